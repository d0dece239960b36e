"""CheXseg (Gadgil et al.): segmentation trained on a few expert masks and many weak (saliency) masks.

``nnUNetTrainerCheXseg`` (trainer.py) draws each training sample from the expert cases with
probability p and from the weak cases otherwise (loader.py); variants.py names p and the schedules.
The dataset comes from ``segcls3d pseudolabel cam``, which records the expert and weak cases.
"""
