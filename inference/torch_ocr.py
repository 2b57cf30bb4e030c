"""PP-OCRv6 run by torch: the same ONNX files as the default engine, on the CPU or a CUDA GPU.

``TorchOcrEngine`` implements ``OcrEngine``. rapidocr still does what is not
the network (resizing, the text-map post-processing, CTC decoding), so both
engines read alike. What differs is what a GPU wants:

- the photo travels to the device as 8-bit pixels and is normalized there;
- the recognizer's scores over 18,710 characters are reduced to the best
  character and its probability on the device, not copied back whole;
- each line crop is its own unit, padded to rapidocr's width (320 px) or the
  next multiple of 32, so crops of concurrent photos share forward passes and
  a crop reads the same whoever shares its step (``inference.batched_model``).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch

from inference.backends import Backend
from inference.glyphs import FEATURES_OUTPUT, READ_WIDTH
from inference.ocr import REC_HEIGHT, Quad, RecognizedText, recognized, window_inputs

log = logging.getLogger(__name__)

REC_MIN_WIDTH = 320  # rapidocr pads every crop to at least this width
REC_WIDTH_STEP = 32


class PixelsIn(torch.nn.Module):
    """N x H x W x 3 bytes in, normalized N x 3 x H x W floats to the wrapped network."""

    def __init__(self, network: torch.nn.Module, mean, std):
        super().__init__()
        self.network = network
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).reshape(1, 3, 1, 1), persistent=False)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        # contiguous: channels-first memory, as the network was exported (with a channels-last
        # view, detection measured 0.26 s a photo on an H200 instead of 0.034 s)
        image = pixels.permute(0, 3, 1, 2).contiguous().float() / 255.0
        mean, std = self.get_buffer("mean"), self.get_buffer("std")
        return self.network((image - mean) / std)


class BestCharacter(torch.nn.Module):
    """The wrapped recognizer's output reduced to N x 2 x T: best character index, its probability."""

    def __init__(self, network: torch.nn.Module):
        super().__init__()
        self.network = network

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        probability, index = self.network(crops).float().max(dim=2)
        return torch.stack((index.float(), probability), dim=1)


def crop_width(crop: np.ndarray) -> int:
    """The width a crop is recognized at: its own at 48 px high, at least 320, rounded up to 32."""
    height, width = crop.shape[:2]
    natural = math.ceil(REC_HEIGHT * width / max(height, 1))
    return max(REC_MIN_WIDTH, math.ceil(natural / REC_WIDTH_STEP) * REC_WIDTH_STEP)


class TorchOcrEngine:
    """PP-OCRv6 detector and recognizer from the ``rapidocr`` wheel, run by torch."""

    def __init__(self, backend: Backend, det_side: int = 960):
        from rapidocr import RapidOCR

        from inference import onnx_torch

        backend.check()
        engine = RapidOCR(params={"Global.log_level": "error", "Det.limit_type": "max", "Det.limit_side_len": det_side})
        self._det = engine._load_det_model()
        self._rec = engine._load_rec_model()
        det_file = self._det.session.session._model_path  # the wheel's ONNX files that onnxruntime loaded
        rec_file = self._rec.session.session._model_path
        self._det.session = self._rec.session = None  # onnxruntime's copies are not needed
        self._preprocess = self._det.get_preprocess()
        mean, std = self._preprocess.mean.tolist(), self._preprocess.std.tolist()
        self._detector = backend.batched(PixelsIn(onnx_torch.load(det_file), mean, std), "detector", max_batch=8)
        self._recognizer = backend.batched(BestCharacter(onnx_torch.load(rec_file)), "recognizer", max_batch=128)
        features = onnx_torch.load(rec_file, outputs=[FEATURES_OUTPUT])
        self._features = backend.batched(features, "window features", max_batch=128)
        self.name = f"PP-OCRv6 (rapidocr, {backend.describe()})"
        log.info("OCR engine ready: %s", self.name)

    @property
    def sessions(self):
        """The batching sessions (for their step counts)."""
        return {"detector": self._detector, "recognizer": self._recognizer, "window features": self._features}

    def detect(self, image: np.ndarray) -> list[Quad]:
        resized = self._preprocess.resize(image)
        if resized is None:
            return []
        text_map = self._detector(resized[None])
        boxes, _ = self._det.postprocess_op(text_map, image.shape[:2])
        if len(boxes) < 1:
            return []
        return [np.asarray(b, dtype=np.float32) for b in self._det.sorted_boxes(boxes)]

    def recognize(self, crops: list[np.ndarray]) -> list[RecognizedText]:
        widths = [crop_width(crop) for crop in crops]
        pending = [
            self._recognizer.submit(self._rec.resize_norm_img(crop, (w + 0.5) / REC_HEIGHT)[None])
            for crop, w in zip(crops, widths, strict=True)
        ]
        results = []
        for crop, width, future in zip(crops, widths, pending, strict=True):
            best = future.result()
            ratio = crop.shape[1] / max(crop.shape[0], 1)
            lines, words = self._rec.postprocess_op.decode(
                best[:, 0].astype(np.int64), best[:, 1], True, [ratio], width / REC_HEIGHT, remove_duplicate=True
            )
            text, score = lines[0]
            results.append(recognized(text, score, words[0]))
        return results

    def window_features(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, 0, 0), dtype=np.float32)
        return np.asarray(self._features(window_inputs(self._rec, crops, READ_WIDTH)), dtype=np.float32)
