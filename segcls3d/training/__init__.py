"""nnU-Net-facing training code: mixins and the trainer classes users select with ``-tr``."""
