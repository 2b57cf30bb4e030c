"""The glyph reader: which digit, if any, is centred in a small window of stamped steel.

A slim head over PP-OCRv6's frozen recognizer: the recognizer's own features
for a window (``OcrEngine.window_features``: 8 columns of 120 numbers for a
window read at 64 x 48 px) go through a small network trained on stamped
glyphs (``markscan train``, ``inference.training``) that says, for each of the
ten digits, for "text" (a letter, or part of a line) and for "blank" (bare
surface), how likely it is. The head is an ONNX file in
``inference/models/``, run by onnxruntime on the CPU whatever runs the
recognizer: it is a few matrix products.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIGITS = "0123456789"
TEXT = len(DIGITS)  # a letter, or a window between two characters: part of a line of text
BLANK = TEXT + 1  # bare surface: nothing stamped
CLASSES = len(DIGITS) + 2
READ_WIDTH = 64  # windows are read at this many pixels wide (48 high)
FEATURES_OUTPUT = "p2o.pd_op.transpose.8.0"  # the recognizer's sequence features, before its last layer


class GlyphHead:
    """The trained head: window features (N x columns x channels) in, class probabilities (N x CLASSES) out."""

    def __init__(self, source: str | Path | bytes):
        """``source``: the ONNX file, or its bytes."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        model = source if isinstance(source, bytes) else str(source)
        self._session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros((0, CLASSES), dtype=np.float32)
        return self._session.run(None, {self._input: features.astype(np.float32)})[0]
