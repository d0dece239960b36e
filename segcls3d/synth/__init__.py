"""The synthetic task of Hooper et al. (2023, Section 4.1 / Appendix A4) in 2D and 3D.

Find one small target object, a ball (disc) of one intensity, among many distractor objects that
share its shape or its intensity; knobs change the training distribution (prevalence, size bias,
spurious correlate, location bias) while the test split follows the paper's unbiased test set.

Example:
    >>> from segcls3d.synth import SynthConfig, generate_dataset  # doctest: +SKIP
    >>> generate_dataset(SynthConfig(n_train=100, spurious=0.9), "Dataset901_Synth")  # doctest: +SKIP
"""
from segcls3d.synth.config import SynthConfig, SynthConfigError
from segcls3d.synth.dataset import generate_dataset
from segcls3d.synth.generator import SynthCase, generate_case
from segcls3d.synth.writer import SynthWriteError

__all__ = ["SynthConfig", "SynthConfigError", "SynthWriteError", "SynthCase", "generate_case", "generate_dataset"]
