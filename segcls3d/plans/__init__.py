"""Plans presets: derive a new nnU-Net plans identifier (``-p``) from generated plans."""
from segcls3d.plans.presets import apply_preset, load_preset, preset_names, write_preset_plans

__all__ = ["apply_preset", "load_preset", "preset_names", "write_preset_plans"]
