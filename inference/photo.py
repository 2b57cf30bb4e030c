"""Photos as phones send them: checked, turned upright, reduced to a working size."""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)
pillow_heif.register_heif_opener()  # HEIC/HEIF: the photo format of iPhones and many Android phones

# Phones give up to ~16 MP (50 MP on a few); past these, a photo is refused from its header, before
# anything is decoded: a few hundred bytes of file must not cost gigabytes.
MAX_PIXELS = 40_000_000
MAX_DECODED_BYTES = MAX_PIXELS * 3  # 40 MP at 8 bits per channel
MAX_DEEP_PIXELS = 10_000_000  # 16 and 32 bits per pixel: decoding and scaling such a photo takes several times its size
DEEP_MODES = ("I", "F", "I;16", "I;16L", "I;16B", "I;16N")
WORKING_SIDE = 960
# Bytes per pixel a mode decodes to (others: one per band).
MODE_BYTES = {"1": 1, "I": 4, "F": 4, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2, "RGBA": 4, "CMYK": 4}


class PhotoError(ValueError):
    """The bytes are not a usable photo; the message says why, for a person.

    ``reason`` is the Russian phrase (the key of its translation), ``values`` fill it.
    """

    def __init__(self, reason: str, **values: object):
        super().__init__(reason.format(**values))
        self.reason, self.values = reason, values


@dataclass(frozen=True, slots=True)
class Photo:
    """An upright photo at working size, and how it maps back to the original."""

    image: np.ndarray  # BGR uint8, longest side <= WORKING_SIDE
    original_size: tuple[int, int]  # (width, height) of the upright original
    scale: float  # working pixels * (1 / scale) = original pixels


def load_photo(source: bytes | str | Path, working_side: int = WORKING_SIDE) -> Photo:
    """Decode, apply EXIF orientation and shrink; raise PhotoError on bad input."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data:
        raise PhotoError("Фото не прочитать: файл пустой.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            width, height = opened.size
            decoded = width * height * MODE_BYTES.get(opened.mode, len(opened.getbands()))
            deep = opened.mode in DEEP_MODES and width * height > MAX_DEEP_PIXELS
            if width * height > MAX_PIXELS or decoded > MAX_DECODED_BYTES or deep:
                raise PhotoError(
                    "Фото не прочитать: снимок слишком большой ({width}×{height} точек).", width=width, height=height
                )
            opened.draft("RGB", (working_side, working_side))  # fast JPEG downscale
            image = ImageOps.exif_transpose(opened)
            image = _eight_bit(image, working_side).convert("RGB")
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError("Фото не прочитать: снимок слишком большой.") from exc
    except UnidentifiedImageError as exc:
        raise PhotoError("Фото не прочитать: это не изображение.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        log.info("a photo did not decode: %s", exc)
        raise PhotoError("Фото не прочитать: файл повреждён или обрезан.") from exc
    upright_size = _upright_size(width, height, image)
    factor = min(1.0, working_side / max(image.size))
    if factor < 1.0:
        image = image.resize(
            (max(1, round(image.width * factor)), max(1, round(image.height * factor))), Image.Resampling.BILINEAR
        )
    rgb = np.asarray(image)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    return Photo(bgr, upright_size, bgr.shape[1] / upright_size[0])


def _eight_bit(image: Image.Image, working_side: int) -> Image.Image:
    """16- and 32-bit greyscale scaled down to 8 bits (a plain convert clips all but the darkest to white),
    after taking every n-th pixel down to about the working size: a big one never goes through floats whole."""
    if image.mode not in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        return image
    values = np.asarray(image)
    step = max(1, max(values.shape) // (2 * working_side))
    values = values[::step, ::step].astype(np.float32)
    top = 65535.0 if image.mode.startswith("I;16") else max(float(values.max()), 255.0)
    return Image.fromarray(np.clip(values * (255.0 / top), 0, 255).astype(np.uint8), mode="L")


def _upright_size(width: int, height: int, upright: Image.Image) -> tuple[int, int]:
    """The original's size after EXIF rotation (draft() may have shrunk ``upright``)."""
    if (upright.width >= upright.height) == (width >= height):
        return width, height
    return height, width


def thumbnail_jpeg(photo: Photo, side: int = 240, quality: int = 80) -> bytes:
    """The photo upright, its longer side ``side`` pixels, as a JPEG."""
    h, w = photo.image.shape[:2]
    scale = side / max(h, w)
    small = cv2.resize(photo.image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()
