"""The photo with the marking boxed, as a JPEG a person can check at a glance."""

from __future__ import annotations

import cv2
import numpy as np

from inference.lines import upside_down
from inference.pipeline import Recognition

MARKING = (40, 200, 40)  # BGR green
OTHER = (0, 170, 255)  # BGR orange: lines that were read but are not the marking


def annotated_jpeg(recognition: Recognition, quality: int = 85) -> bytes:
    """Working-size photo, every read line outlined, the marking's lines in bold green."""
    image = recognition.photo.image.copy()
    used = {id(ln) for ln in recognition.best.lines} if recognition.best else set()
    thickness = max(2, round(max(image.shape[:2]) / 400))
    for line in recognition.lines:
        if id(line) not in used and not upside_down(line):
            cv2.polylines(image, [line.quad.astype(np.int32)], True, OTHER, 1)
    for line in recognition.best.lines if recognition.best else []:
        cv2.polylines(image, [line.quad.astype(np.int32)], True, MARKING, thickness)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()
