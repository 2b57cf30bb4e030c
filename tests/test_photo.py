import io

import numpy as np
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
        (b"", "файл пустой"),
        (b"%PDF-1.4 not an image at all", "это не изображение"),
        (jpeg()[:3000], "повреждён или обрезан"),
        (png_header_only(30000, 30000), "слишком большой"),
    ],
)
def test_bad_input_gets_a_clear_error(data, message):
    with pytest.raises(PhotoError, match=message):
        load_photo(data)


def test_a_heic_photo_from_a_phone_is_read():
    from web.demo import render_marking

    stamped = Image.open(io.BytesIO(render_marking("1391-30-1583 1574", seed=3).jpeg))
    buffer = io.BytesIO()
    stamped.save(buffer, format="HEIF", quality=90)
    assert buffer.getvalue()[4:12] == b"ftypheic"
    photo = load_photo(buffer.getvalue())
    assert photo.original_size == stamped.size
    assert abs(float(photo.image.mean()) - float(np.asarray(stamped).mean())) < 8


def test_a_16_bit_greyscale_png_keeps_its_greys():
    ramp = (np.tile(np.linspace(0, 65535, 400), (300, 1))).astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(ramp).save(buffer, "PNG")  # mode I;16
    grey = load_photo(buffer.getvalue()).image[:, :, 0]
    assert grey[:, :10].mean() < 10 and grey[:, -10:].mean() > 245
    assert 100 < grey[:, 195:205].mean() < 155  # the middle stays mid-grey, not clipped to white


def test_a_photo_too_big_once_decoded_is_refused_from_its_header(tmp_path):
    """Small files that decode to hundreds of megabytes: refused before decoding."""
    deep = tmp_path / "deep.tif"  # 32 bits a pixel, 36 MP
    Image.fromarray(np.zeros((6000, 6000), dtype=np.int32), mode="I").save(deep, compression="tiff_deflate")
    wide = tmp_path / "wide.png"  # 16 bits a pixel, 24 MP
    Image.fromarray(np.zeros((4000, 6000), dtype=np.uint16)).save(wide)
    for path in (deep, wide):
        assert path.stat().st_size < 1_000_000
        with pytest.raises(PhotoError, match="слишком большой"):
            load_photo(path.read_bytes())


def test_a_big_16_bit_photo_is_thinned_before_its_greys_are_scaled():
    ramp = np.tile(np.linspace(0, 65535, 3500), (2800, 1)).astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(ramp).save(buffer, "PNG")
    photo = load_photo(buffer.getvalue())
    assert photo.original_size == (3500, 2800) and max(photo.image.shape[:2]) == 960
    grey = photo.image[:, :, 0]
    assert grey[:, :10].mean() < 10 and grey[:, -10:].mean() > 245
