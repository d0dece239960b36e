"""`segcls3d demo`: synthetic data -> nnU-Net -> seg-for-class vs classification, side by side."""
from segcls3d.demo.run import DemoSettings, run_demo

__all__ = ["DemoSettings", "run_demo"]
