"""Command-line interface: `segcls3d <command> ...`. Each command lives in its own module."""
