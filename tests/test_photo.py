import io

import pytest
from conftest import png_header_only
from PIL import Image

from inference.photo import PhotoError, load_photo


def jpeg(width=1600, height=1200, **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 120, 120)).save(buffer, "JPEG", **save)
    return buffer.getvalue()


def test_large_photo_is_reduced_to_working_size():
    photo = load_photo(jpeg(4160, 3120))
    assert max(photo.image.shape[:2]) == 960
    assert photo.original_size == (4160, 3120)
    assert photo.scale == pytest.approx(960 / 4160, rel=0.01)


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (1600, 1200), (100, 100, 100))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    photo = load_photo(buffer.getvalue())
    assert photo.original_size == (1200, 1600)
    assert photo.image.shape[:2] == (960, 720)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 not an image at all", "not an image"),
        (jpeg()[:3000], "damaged or truncated"),
        (png_header_only(30000, 30000), "too large"),
    ],
)
def test_bad_input_gets_a_clear_error(data, message):
    with pytest.raises(PhotoError, match=message):
        load_photo(data)
