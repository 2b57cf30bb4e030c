"""Which runtime runs the models: the CPU runtimes (the default: OpenVINO detects, onnxruntime
recognizes and embeds) or torch, on the CPU or a CUDA GPU.

A backend is a name (``onnx`` | ``torch``), a device (``cpu`` | ``cuda``) and a
precision (``fp32`` | ``fp16``; fp16 applies on CUDA only): the settings
``MARKSCAN_BACKEND``, ``MARKSCAN_DEVICE`` and ``MARKSCAN_PRECISION`` of the
app (``web.config``). The torch backend runs the
same ONNX files (``inference.onnx_torch``), with the line crops, photos and
embeddings of concurrent requests batched together (``inference.batched_model``);
it needs the optional extra: ``pip install -e '.[gpu]'``.
"""

from __future__ import annotations

from dataclasses import dataclass

BACKENDS = ("onnx", "torch")
DEVICES = ("cpu", "cuda")
PRECISIONS = ("fp16", "fp32")


class BackendError(ValueError):
    """A backend that cannot run here; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Backend:
    name: str = "onnx"
    device: str = "cpu"
    precision: str = "fp32"  # fp16 measured slower and less exact on an H200 (README)
    max_wait_s: float = 0.002  # how long a shared step waits for more requests

    def __post_init__(self) -> None:
        if self.name not in BACKENDS:
            raise BackendError(f"MARKSCAN_BACKEND={self.name!r}: use one of {', '.join(BACKENDS)}")
        if self.device not in DEVICES:
            raise BackendError(f"MARKSCAN_DEVICE={self.device!r}: use one of {', '.join(DEVICES)}")
        if self.precision not in PRECISIONS:
            raise BackendError(f"MARKSCAN_PRECISION={self.precision!r}: use one of {', '.join(PRECISIONS)}")
        if self.name == "onnx" and self.device == "cuda":
            raise BackendError("the GPU runs the torch backend: set MARKSCAN_BACKEND=torch with MARKSCAN_DEVICE=cuda")

    @property
    def half(self) -> bool:
        return self.device == "cuda" and self.precision == "fp16"

    def describe(self) -> str:
        if self.name == "onnx":
            return "OpenVINO and onnxruntime, CPU"
        return f"torch, {self.device.upper()}" + (", fp16" if self.half else "")

    def check(self) -> None:
        """Refuse at start-up what cannot run (BackendError), instead of failing on the first photo."""
        if self.name != "torch":
            return
        try:
            import torch
        except ImportError as exc:
            raise BackendError("MARKSCAN_BACKEND=torch needs torch: pip install -e '.[gpu]'") from exc
        if self.device == "cuda" and not torch.cuda.is_available():
            raise BackendError("MARKSCAN_DEVICE=cuda, but torch sees no CUDA GPU")

    def batched(self, module, name: str, **options):
        """A torch module as a thread-shared, batching session on this backend's device."""
        from inference.batched_model import BatchedModel

        return BatchedModel(module, self.device, half=self.half, max_wait_s=self.max_wait_s, name=name, **options)
