"""The engines a backend runs (``inference.backends``): the OCR and the picture embedder.

Kept apart from ``Backend``, which only names a runtime: the engines are built
on it, so they import it and it imports none of them.
"""

from __future__ import annotations

from inference.backends import Backend
from inference.embedder import DinoV2Embedder
from inference.ocr import OcrEngine


def ocr_engine(backend: Backend) -> OcrEngine:
    """The OCR engine on ``backend``; BackendError if it cannot run here."""
    backend.check()
    if backend.name == "torch":
        from inference.torch_ocr import TorchOcrEngine

        return TorchOcrEngine(backend)
    from inference.ocr import RapidOcrEngine

    return RapidOcrEngine()


def embedder(backend: Backend) -> DinoV2Embedder:
    """The picture embedder on ``backend``; BackendError if it cannot run here."""
    backend.check()
    return DinoV2Embedder(backend)
