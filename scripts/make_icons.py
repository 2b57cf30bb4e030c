"""Draw the app icons (static/icon-192.png, static/icon-512.png): a stamped plate with a check mark."""

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "static"


def icon(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), (29, 53, 87))
    draw = ImageDraw.Draw(image)
    pad = size // 6
    draw.rounded_rectangle([pad, pad * 1.6, size - pad, size - pad * 1.6], radius=size // 14, fill=(200, 205, 210))
    for i in range(4):
        y = pad * 2.2 + i * size // 11
        draw.line(
            [pad * 1.5, y, size - pad * 1.5 - (i % 2) * size // 6, y], fill=(60, 64, 70), width=max(2, size // 40)
        )
    draw.line(
        [size * 0.55, size * 0.78, size * 0.66, size * 0.88, size * 0.86, size * 0.62],
        fill=(230, 57, 70),
        width=max(3, size // 18),
        joint="curve",
    )
    return image


if __name__ == "__main__":
    for size in (192, 512):
        icon(size).save(STATIC / f"icon-{size}.png", optimize=True)
