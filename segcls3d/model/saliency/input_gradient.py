"""The input gradient: how a class score changes with each input voxel (Simonyan et al. 2014).

It is the saliency of MultiMix's bridge (Haque et al. 2021, Sec. 2.3), computed inside the
network's forward pass at training and at inference. ``create_graph=True`` keeps the gradient
differentiable, so a loss on whatever is built from it trains the network through it (double
backpropagation); without it the gradient is a constant of the graph.

Example:
    >>> import torch
    >>> image = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    >>> input_gradient((image ** 2).sum(1), image)
    tensor([[2., 4., 6.]])
"""
from __future__ import annotations

import torch

from segcls3d.errors import SegCls3dError


def input_gradient(scores: torch.Tensor, image: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    """Gradient of ``scores.sum()`` with respect to ``image`` (same shape as ``image``).

    Summing over the batch gives every sample the gradient of its own score as long as samples do
    not interact in the network (nnU-Net's networks normalize per instance). The graph of ``scores``
    is kept, so losses on ``scores`` can still be backpropagated afterwards.

    Args:
        scores: class scores (logits) computed from ``image``, any shape.
        image: the network input; must require grad.
        create_graph: make the returned gradient differentiable (for training through it).

    Raises:
        SegCls3dError: ``image`` does not require grad, or ``scores`` do not depend on it.
    """
    if not image.requires_grad:
        raise SegCls3dError("input_gradient: the image must require grad (image.requires_grad_(True) before the "
                            "forward pass)")
    if not scores.requires_grad:
        raise SegCls3dError("input_gradient: the scores carry no gradient (computed under no_grad/inference mode?)")
    (gradient,) = torch.autograd.grad(scores.sum(), image, create_graph=create_graph, retain_graph=True,
                                      allow_unused=True)
    if gradient is None:
        raise SegCls3dError("input_gradient: the scores do not depend on the image")
    return gradient
