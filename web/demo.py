"""A made-up plant for trying markscan at once: a catalog and stamped-looking photos.

Nothing here comes from a real plant; the formats follow the real orders table
(articles like ``АМ116.06.00.901-03`` or ``195-30-1285``, serials per order).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from inference.catalog import CatalogRow
from inference.lookalikes import fold

STATIONS = (
    "АЭС Эль-Дабаа_блок 1",
    "АЭС Эль-Дабаа_блок 2",
    "АЭС Аккую_блок 3",
    "Тяньваньская АЭС_блок 7",
    "АЭС Сюйдапу_блок 4",
    "АЭС Руппур_блок 2",
)
SUFFIXES = ("", "", "", " ТС1.1", " Пр.", " ЗИП")


def demo_article(rng: random.Random) -> str:
    """A made-up article in one of the real formats."""
    kind = rng.randrange(5)
    if kind == 0:
        base = f"АМ{rng.randint(110, 119)}.{rng.randint(1, 17):02d}.{rng.randint(0, 5):02d}.{rng.randint(100, 999)}"
        return base + (f"-{rng.randint(1, 9):02d}" if rng.random() < 0.4 else "")
    if kind == 1:
        return f"{rng.choice((195, 1391, 1753))}-30-{rng.randint(100, 1999):04d}"
    if kind == 2:
        return f"АНЕМ.{rng.randint(400000, 799999)}.{rng.randint(100, 999)}-{rng.randint(1, 20):02d}.LP"
    if kind == 3:
        return f"{rng.randint(10, 19)}-{rng.randint(10, 30)}-{rng.randint(1000, 1999)}.{rng.randint(100, 300)}"
    return f"АМ{rng.randint(110, 119)}.{rng.randint(1, 17):02d}.{rng.randint(0, 5):02d}.{rng.randint(100, 999)}"


def demo_rows(n_articles: int = 60, seed: int = 7) -> list[CatalogRow]:
    """A few hundred catalog rows: every article with a run of serials (or none)."""
    rng = random.Random(seed)
    rows: list[CatalogRow] = []
    seen: set[str] = set()
    while len(seen) < n_articles:
        article = demo_article(rng)
        if article in seen:
            continue
        seen.add(article)
        suffix = rng.choice(SUFFIXES)
        order = str(rng.randint(201010000, 201019999))
        station = rng.choice(STATIONS)
        part = f"ДетальЦБ-{rng.randint(1000, 150000):08d}"
        if rng.random() < 0.15:
            rows.append(CatalogRow(article + suffix, "", part, order, station))
            continue
        start = rng.choice((1, rng.randint(10, 300), rng.randint(1000, 3500)))
        for serial in range(start, start + rng.randint(2, 12)):
            rows.append(CatalogRow(article + suffix, str(serial), part, order, station))
    return rows


_OCR_SLIPS = {"0": "O", "1": "I", "5": "S", "8": "B", "6": "G", "2": "Z"}


def ocr_like(article: str, rng: random.Random, serial: str = "") -> str:
    """An article as the OCR tends to print it: Latin letters, dots lost, a slip or two."""
    text = fold(article)
    if rng.random() < 0.5:
        text = text.replace(".", "")
    chars = list(text)
    for _ in range(rng.randint(0, 2)):
        i = rng.randrange(len(chars))
        chars[i] = _OCR_SLIPS.get(chars[i], chars[i])
    text = "".join(chars)
    return f"{text} {serial}" if serial else text


@dataclass(frozen=True, slots=True)
class DemoPhoto:
    marking: str  # the truth: article and serial as the catalog writes them
    jpeg: bytes
    box: tuple[int, int, int, int]  # the marking in the photo's pixels


def _metal(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Brushed steel: streaky noise, a light gradient, a soft highlight."""
    noise = rng.normal(0, 1, (height, width // 8 + 1)).astype(np.float32)
    streaks = np.repeat(noise, 8, axis=1)[:, :width]
    base = 150 + 12 * streaks + rng.normal(0, 4, (height, width))
    ramp = np.linspace(-25, 25, width)[None, :] + np.linspace(-10, 10, height)[:, None]
    gray = np.clip(base + ramp, 0, 255).astype(np.uint8)
    image = Image.fromarray(gray).filter(ImageFilter.GaussianBlur(1.2))
    return image.convert("RGB")


def render_marking(marking: str, seed: int = 0, quarter_turns: int = 0) -> DemoPhoto:
    """A photo of ``marking`` stamped on steel (article above, serial below).

    Letters are drawn with their Latin twins: the stamp looks the same.
    """
    rng = np.random.default_rng(seed)
    width, height = 960, 720
    image = _metal(rng, width, height)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=int(rng.integers(52, 64)))
    lines = fold(marking).split(" ", 1)
    x = int(rng.integers(60, 160))
    y = int(rng.integers(180, 300))
    top = y
    right = x
    for text in lines:
        # An engraved groove: dark stroke, light lip below-right.
        draw.text((x + 2, y + 2), text, font=font, fill=(205, 205, 200))
        draw.text((x, y), text, font=font, fill=(55, 55, 60))
        box = draw.textbbox((x, y), text, font=font)
        right = max(right, round(box[2]))
        y = round(box[3]) + 25
    bottom = y - 25
    image = image.filter(ImageFilter.GaussianBlur(0.8))
    box = (x - 5, top - 5, right + 5, bottom + 5)
    for _ in range(quarter_turns % 4):
        image = image.transpose(Image.Transpose.ROTATE_90)
        w = image.height  # width before this turn
        box = (box[1], w - box[2], box[3], w - box[0])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return DemoPhoto(marking, buffer.getvalue(), box)


def demo_photos(rows: list[CatalogRow], count: int = 4, seed: int = 11) -> list[DemoPhoto]:
    """Photos of a few catalog parts, some turned as a phone would hold them."""
    from inference.catalog import learn_suffixes, stamped_form

    rng = random.Random(seed)
    suffixes = learn_suffixes(r.article for r in rows)
    with_serial = [r for r in rows if r.serial]
    photos = []
    for i in range(count):
        row = rng.choice(with_serial)
        marking = f"{stamped_form(row.article, suffixes)} {row.serial}"
        photos.append(render_marking(marking, seed=seed + i, quarter_turns=(0, 1, 0, 3)[i % 4]))
    return photos


def misread_marking(rows: list[CatalogRow], min_serials: int = 2) -> tuple[str, str, str]:
    """A part whose serial is stamped worn, read one digit off: its article (as stamped), the number a
    reader would see (one the article does not list), and the serial stamped (the only listed one a
    digit away). Articles listing at least ``min_serials`` serials; the most serials first."""
    from inference.catalog import learn_suffixes, stamped_form

    suffixes = learn_suffixes(r.article for r in rows)
    listed: dict[str, set[str]] = {}
    for r in rows:
        if r.serial.isdigit():
            listed.setdefault(stamped_form(r.article, suffixes), set()).add(r.serial)
    for article, serials in sorted(listed.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(serials) < min_serials:
            break
        for serial in sorted(serials):
            for k, digit in ((k, d) for k in range(len(serial)) for d in "0123456789"):
                read = serial[:k] + digit + serial[k + 1 :]
                near = [
                    s for s in serials if len(s) == len(read) and sum(a != b for a, b in zip(s, read, strict=True)) == 1
                ]
                if read not in serials and near == [serial]:
                    return article, read, serial
    raise ValueError(f"no article lists {min_serials} serials with a number one digit from only one of them")
