"""nnU-Net data loader that yields whole images (fit to the patch) instead of random crops."""
from __future__ import annotations

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from segcls3d.model.whole_image import fit_to_canvas, spatial_for_patch
from segcls3d.training.label_aware_loader import LabelAwareDataLoader


class WholeImageDataLoader(LabelAwareDataLoader):
    """Same case sampling, transforms and batch format as the patch loader; each sample is a whole case.

    The case is shrunk to fit ``final_patch_size`` and centered on a ``patch_size`` canvas (the larger
    initial patch for training), so nnU-Net's centered spatial augmentation keeps all of it in view.
    """

    def generate_train_batch(self) -> dict:
        keys = self.get_indices()
        patch = self.final_patch_size[1:] if self.patch_size_was_2d else self.final_patch_size
        canvas = self.patch_size[1:] if self.patch_size_was_2d else self.patch_size
        data_all = seg_all = None
        with torch.no_grad(), threadpool_limits(limits=1, user_api=None):
            for j, key in enumerate(keys):
                data, seg, seg_prev, _ = self._data.load_case(key)
                image = spatial_for_patch(torch.from_numpy(np.asarray(data[:])).float(), patch, key)
                seg_t = torch.from_numpy(np.asarray(seg[:]).astype(np.int16))
                if seg_prev is not None:
                    seg_t = torch.cat((seg_t, torch.from_numpy(np.asarray(seg_prev[:]).astype(np.int16))[None]))
                seg_t = spatial_for_patch(seg_t, patch, key)
                image, seg_t = fit_to_canvas(image, patch, canvas, seg_t, pad_value_seg=0)
                if self.transforms is not None:
                    out = self.transforms(image=image, segmentation=seg_t)
                    image, seg_t = out["image"], out["segmentation"]
                if data_all is None:
                    data_all = torch.empty((self.batch_size, *image.shape), dtype=torch.float32)
                    seg_all = (
                        [torch.empty((self.batch_size, *s.shape), dtype=s.dtype) for s in seg_t]
                        if isinstance(seg_t, list)
                        else torch.empty((self.batch_size, *seg_t.shape), dtype=seg_t.dtype)
                    )
                data_all[j] = image
                if isinstance(seg_t, list):
                    for s_all, s in zip(seg_all, seg_t):
                        s_all[j] = s
                else:
                    seg_all[j] = seg_t
        return {"data": data_all, "target": seg_all, "keys": keys}
