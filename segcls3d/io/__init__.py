"""Small I/O helpers shared by every writer: nothing half-written is ever left behind."""
from segcls3d.io.atomic import atomic_path, write_json_atomic, write_text_atomic

__all__ = ["atomic_path", "write_json_atomic", "write_text_atomic"]
