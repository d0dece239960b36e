"""Saliency maps of our networks: the one place that computes a map from (network, image, class).

Used by ``segcls3d saliency`` (maps as NIfTI), by ``segcls3d pseudolabel cam`` (CheXseg's weak
masks), by evaluate (thresholded maps against expert masks) and by trainers that train through a
saliency (MultiMix's bridge uses :func:`input_gradient.input_gradient`).

Modules (imported one by one: this package file imports nothing, so that evaluate can use the
thresholds without loading torch):

* :mod:`.class_scores`: what is differentiated: the class logit of ``nnUNetTrainerCls``, the head
  logit of ``nnUNetTrainerMultitask``, the summed class logit of a segmentation network;
* :mod:`.layers`: the target layer by name, default the deepest whole encoder stage;
* :mod:`.cam`: Grad-CAM and Grad-CAM++ through MONAI, with our own (identity) postprocessing;
* :mod:`.input_gradient`: the gradient of the class score with respect to the image;
* :mod:`.compute`: :class:`~.compute.SaliencyModel` and :func:`~.compute.saliency_maps`, the entry points;
* :mod:`.canvas`: the classifier's whole-image canvas back to the image grid;
* :mod:`.threshold` and :mod:`.threshold_search`: maps to masks (per-class threshold, Otsu, cut-off).
"""
