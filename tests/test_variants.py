import numpy as np
import pytest

from inference.variants import fit_ring, turned, unwrapped


def test_turned_variants_map_points_back_to_the_photo():
    image = np.zeros((60, 100, 3), dtype=np.uint8)
    image[10, 70] = 255  # a marked pixel at (x=70, y=10)
    for k in range(4):
        variant = turned(image, k)
        ys, xs = np.nonzero(variant.image[:, :, 0])
        back = variant.to_photo(np.array([[xs[0], ys[0]]], dtype=float))
        assert back.tolist() == [[70, 10]]


def test_a_ring_of_text_fragments_is_found():
    angles = np.radians([10, 50, 95, 140, 300])
    points = np.stack([200 + 80 * np.cos(angles), 150 + 80 * np.sin(angles)], axis=1)
    points = np.vstack([points, [[30.0, 30.0], [380.0, 20.0]]])  # two stray lines
    cx, cy, r = fit_ring(points, np.full(len(points), 12.0))
    assert (cx, cy, r) == pytest.approx((200, 150, 80), abs=1.0)


def test_stacked_straight_lines_are_no_ring():
    points = np.array([[100.0, 100.0], [100.0, 130.0], [100.0, 160.0], [100.0, 190.0]])
    assert fit_ring(points, np.full(4, 20.0)) is None


def test_unwrapped_strip_maps_back_onto_the_ring():
    image = np.zeros((300, 400, 3), dtype=np.uint8)
    variant = unwrapped(image, (200.0, 150.0, 80.0), band=20.0)
    h, w = variant.image.shape[:2]
    points = np.array([[w * 0.1, h / 2], [w * 0.4, h / 2], [w * 0.6, 0.0]])
    back = variant.to_photo(points)
    radii = np.hypot(back[:, 0] - 200, back[:, 1] - 150)
    assert radii[:2] == pytest.approx([80, 80], abs=3)
    assert radii[2] == pytest.approx(100, abs=3)  # the strip's top edge is the outer rim
