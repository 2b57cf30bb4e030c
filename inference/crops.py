"""Line crops: a quad's pixels straightened for the recognizer, and the geometry of reading them.

A quad is four corners on a view of the photo, clockwise from top-left as the
detector gives them. ``crop_line`` straightens it; a tall crop is vertical text
and is laid down a quarter turn, so the reading direction on the view depends
on the quad's shape. ``Frame`` says what that direction is.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def half_turned(crop: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(crop[::-1, ::-1])


def crop_size(quad: np.ndarray) -> tuple[int, int]:
    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    return max(width, 1), max(height, 1)


def laid_down(width: int, height: int) -> bool:
    return height >= 1.5 * width  # a tall crop is vertical text


def crop_line(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The quad's pixels straightened; tall crops (vertical text) laid down."""
    quad = quad.astype(np.float32)
    width, height = crop_size(quad)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    crop = cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if laid_down(width, height):
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)


def part_of_quad(quad: np.ndarray, start: float, end: float) -> np.ndarray:
    """The part of ``quad`` between two shares of the width of its ``crop_line`` crop."""
    a, b, c, d = quad.astype(np.float32)
    if laid_down(*crop_size(quad)):  # rot90: the crop's width runs from edge a-b to edge d-c
        return np.array([b + (c - b) * start, b + (c - b) * end, a + (d - a) * end, a + (d - a) * start])
    return np.array([a + (b - a) * start, a + (b - a) * end, d + (c - d) * end, d + (c - d) * start])


@dataclass(frozen=True, slots=True)
class Frame:
    """The directions a line's ``crop_line`` crop is read in, on its view: from the crop's
    top-left corner, ``along`` the text and ``down`` across it (unit vectors)."""

    origin: np.ndarray
    along: np.ndarray
    down: np.ndarray

    @classmethod
    def of(cls, quad: np.ndarray, turned: bool = False) -> Frame:
        """The frame of ``quad``'s crop; ``turned``: of its crop read half turned round (upside down)."""
        a, b, c, d = quad.astype(np.float64)
        if laid_down(*crop_size(quad)):  # rot90: the crop's top edge is a-b's side, its width runs b to c
            origin, along, down = b, c - b, a - b
        else:
            origin, along, down = a, b - a, d - a
        sign = -1.0 if turned else 1.0
        return cls(origin, sign * along / np.linalg.norm(along), sign * down / np.linalg.norm(down))

    def coordinates(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """How far along and how far down the frame each point lies."""
        offset = points.astype(np.float64) - self.origin
        return offset @ self.along, offset @ self.down

    def quad(self, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
        """The box [x0, x1] along by [y0, y1] down, as a quad whose ``straightened`` crop reads like the line's."""
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        return np.array([self.origin + x * self.along + y * self.down for x, y in corners], dtype=np.float32)


def straightened(image: np.ndarray, quad: np.ndarray, height: int = 48) -> np.ndarray:
    """The quad's pixels as an upright crop ``height`` high, its first edge on top: never laid down."""
    side = max(float(np.linalg.norm(quad[3] - quad[0])), 1.0)
    width = max(8, round(height * float(np.linalg.norm(quad[1] - quad[0])) / side))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
