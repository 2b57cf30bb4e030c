"""The OCR engine: text detection and line recognition behind one small interface.

``OcrEngine`` is what the pipeline needs; ``RapidOcrEngine`` implements it with
PaddleOCR's PP-OCRv6 models shipped inside the ``rapidocr`` wheel, run by
onnxruntime; ``inference.torch_ocr`` runs the same files by torch on a GPU
(``inference.backends`` picks one). Nothing is downloaded.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

Quad = np.ndarray  # 4x2 float32 corner points, clockwise from top-left
REC_HEIGHT = 48  # the recognizer reads crops scaled to this height

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecognizedText:
    text: str
    score: float  # the mean of the character scores
    char_scores: tuple[float, ...] = ()  # the recognizer's probability for each character
    char_positions: tuple[float, ...] = ()  # where each character but spaces was read, as a share of the crop's width


def recognized(text: str, score: float, words) -> RecognizedText:
    """rapidocr's reading of one crop (text, mean score, its per-character ``WordInfo``) as a ``RecognizedText``."""
    confs = tuple(float(c) for c in getattr(words, "confs", ()) or ())
    columns = [c for word in getattr(words, "word_cols", ()) or () for c in word]
    width = float(getattr(words, "line_txt_len", 0.0) or 0.0)  # the crop's width in recognizer steps
    positions = tuple(c / width for c in columns) if width > 0 else ()
    return RecognizedText(text, float(score), confs, positions)


class OcrEngine(Protocol):
    """Detection finds text lines; recognition reads upright line crops.

    ``recognize`` reads each crop at its own width, padded to at least the recognizer's
    usual 320 px; ``window_features`` gives the recognizer's features for small windows
    round a character or two (the glyph reader, ``inference.glyphs``).
    """

    name: str

    def detect(self, image: np.ndarray) -> list[Quad]: ...

    def recognize(self, crops: list[np.ndarray]) -> list[RecognizedText]: ...

    def window_features(self, crops: list[np.ndarray]) -> np.ndarray:
        """The recognizer's own features for small windows read at ``glyphs.READ_WIDTH`` x 48 px, before
        its last layer (N x 8 columns x 120), for the glyph reader (``inference.glyphs``)."""
        ...


def window_inputs(rec, crops: list[np.ndarray], width: int) -> np.ndarray:
    """Windows scaled to ``width`` x 48 and normalized as rapidocr's recognizer ``rec`` normalizes a crop."""
    ratio = width / REC_HEIGHT
    return np.stack([rec.resize_norm_img(cv2.resize(c, (width, REC_HEIGHT)), ratio) for c in crops])


class OpenVinoSession:
    """An ONNX file compiled by OpenVINO for the CPU at full precision, callable as rapidocr's sessions are.

    The detector's outputs match onnxruntime's (within 1e-5) and it runs about three
    times faster here (README). One inference request per thread: requests are not
    thread-safe, the compiled model is.
    """

    def __init__(self, path: str, threads: int = 0):
        import openvino

        # f32: no bf16 on AMX CPUs
        config: dict[str, str | int] = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self.path = path
        self._model = openvino.Core().compile_model(path, "CPU", config)
        self._output = self._model.output(0)
        self._requests = threading.local()

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        request = getattr(self._requests, "request", None)
        if request is None:
            request = self._requests.request = self._model.create_infer_request()
        return request.infer({0: inputs})[self._output].copy()


class RapidOcrEngine:
    """PP-OCRv6 detector and recognizer from the ``rapidocr`` wheel, on the CPU: detection run by
    OpenVINO, recognition (many small crops of varying width) by onnxruntime."""

    def __init__(self, det_side: int = 960, threads: int = 0):
        from rapidocr import RapidOCR

        params = {
            "Global.log_level": "error",
            "Det.limit_type": "max",
            "Det.limit_side_len": det_side,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads or -1,
            # onnxruntime's memory arena: buffers kept between runs (detection 8% faster on 2 cores)
            "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
        }
        engine = RapidOCR(params=params)
        # rapidocr builds its stages lazily; build them now, once per process.
        self._det = engine._load_det_model()
        self._rec = engine._load_rec_model()
        self._det.session = OpenVinoSession(self._det.session.session._model_path, max(threads, 0))
        self._features = _features_session(self._rec.session.session._model_path, threads)
        self.name = "PP-OCRv6 (rapidocr; detection OpenVINO, recognition onnxruntime; CPU)"
        log.info("OCR engine ready: %s", self.name)

    def detect(self, image: np.ndarray) -> list[Quad]:
        result = self._det(image)
        if result.boxes is None:
            return []
        return [np.asarray(b, dtype=np.float32) for b in result.boxes]

    def recognize(self, crops: list[np.ndarray]) -> list[RecognizedText]:
        from rapidocr.ch_ppocr_rec import TextRecInput

        if not crops:
            return []
        result = self._rec(TextRecInput(img=crops, return_word_box=True))
        return [
            recognized(text, score, words)
            for text, score, words in zip(result.txts, result.scores, result.word_results, strict=True)
        ]

    def window_features(self, crops: list[np.ndarray], batch: int = 64) -> np.ndarray:
        from inference.glyphs import READ_WIDTH

        if not crops:
            return np.zeros((0, 0, 0), dtype=np.float32)
        inputs = window_inputs(self._rec, crops, READ_WIDTH)
        return np.concatenate([self._features(inputs[i : i + batch]) for i in range(0, len(inputs), batch)])


def _features_session(path: str, threads: int):
    """The recognizer cut after its sequence features (``glyphs.FEATURES_OUTPUT``), run by onnxruntime."""
    import onnx
    import onnxruntime

    from inference.glyphs import FEATURES_OUTPUT

    model = onnx.load(path)
    del model.graph.output[:]
    model.graph.output.append(onnx.helper.make_tensor_value_info(FEATURES_OUTPUT, onnx.TensorProto.FLOAT, None))
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda inputs: session.run(None, {name: inputs})[0]
