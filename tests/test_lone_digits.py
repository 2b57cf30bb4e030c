"""The second search round the block: a serial stamped alone, which the detector never boxes."""

import csv

import numpy as np
import pytest
from conftest import REAL_ORDERS, REAL_PHOTOS, needs_real_data

from inference.catalog import CatalogIndex
from inference.crops import Frame
from inference.glyphs import BLANK, CLASSES, TEXT
from inference.lone_digits import FLANK, STEP, Window, lone_serials, scan_windows
from inference.pipeline import Recognizer
from web.storage.orders_xlsx import read_orders_xlsx


def box(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


# A block of three lines, 30 px high, 20 px a character, 50 px apart, with the row after the second left empty.
ARTICLE = (box(100, 100, 400, 130), "AM116.05.02.201")
GRADE = (box(100, 150, 260, 180), "10GN2MFA")
HEAT = (box(100, 250, 220, 280), "908942")
BLOCK = [ARTICLE, GRADE, HEAT]


def centre(window: Window) -> tuple[float, float]:
    x, y = window.quad.mean(axis=0)
    return float(x), float(y)


def test_windows_run_along_the_rows_before_after_and_between_the_block_s_lines():
    windows = scan_windows(ARTICLE[0], BLOCK, [q for q, _ in BLOCK])
    rows = {}
    for w in windows:
        if not w.past_line:
            rows.setdefault(w.row, []).append(centre(w)[1])
    heights = sorted(float(np.mean(ys)) for ys in rows.values())
    # a pitch above and below (50 px here, at most 1.5 line heights: 45), and the empty row between
    assert heights == pytest.approx([115 - 45, 215, 265 + 45], abs=1)
    for w in windows:
        (x0, y0), (x1, _), (_, y2) = w.quad[0], w.quad[1], w.quad[2]
        assert x1 > x0 and y2 > y0  # read left to right, top down, as the lines are
        assert 1.0 * 20 < x1 - x0 < 2.0 * 20  # a character and a half wide
    empty = [w for w in windows if not w.past_line]
    assert min(w.quad[0][0] for w in empty) < 100 and max(w.quad[1][0] for w in empty) > 400  # past the block


def test_windows_run_on_past_each_line_s_end():
    """A serial stamped after the heat number, a gap between: the stretch past each line's end."""
    windows = [w for w in scan_windows(ARTICLE[0], BLOCK, [q for q, _ in BLOCK]) if w.past_line]
    for quad, _ in BLOCK:
        x1, (y0, y1) = quad[:, 0].max(), (quad[:, 1].min(), quad[:, 1].max())
        on_row = [w for w in windows if y0 <= centre(w)[1] <= y1]
        assert on_row and min(centre(w)[0] for w in on_row) > x1  # none centred on the line itself


def test_a_block_read_upside_down_is_scanned_the_way_it_reads():
    """On a view where the article reads upside down its text ends at the view's left: the stretch past
    each line's end lies there, and the windows run right to left, so two digits read in their order."""
    windows = scan_windows(ARTICLE[0], BLOCK, [q for q, _ in BLOCK], turned=True)
    past = [w for w in windows if w.past_line]
    for quad, _ in BLOCK:
        x0, (y0, y1) = quad[:, 0].min(), (quad[:, 1].min(), quad[:, 1].max())
        on_row = [w for w in past if y0 <= centre(w)[1] <= y1]
        assert on_row and max(centre(w)[0] for w in on_row) < x0
    for w in windows:
        (x0, y0), (x1, _), (_, y2) = w.quad[0], w.quad[1], w.quad[2]
        assert x1 < x0 and y2 < y0  # the crop's top-left is the view's bottom-right: it reads upright
    row = [w for w in past if (w.row, w.shift) == (past[0].row, past[0].shift)]
    assert all(a.start < b.start for a, b in zip(row, row[1:], strict=False))
    assert centre(row[0])[0] > centre(row[-1])[0]


def test_no_window_is_centred_on_text_already_read():
    windows = scan_windows(ARTICLE[0], BLOCK, [q for q, _ in BLOCK] + [box(100, 200, 200, 230)])
    assert not any(100 <= x <= 200 and 200 <= y <= 230 for x, y in map(centre, windows))
    assert any(x > 220 and 200 <= y <= 230 for x, y in map(centre, windows))


def test_a_vertical_block_is_scanned_along_its_own_direction():
    """Text running down a photo is read from a tall box laid down: the windows follow it."""
    turn = np.array([[0, 1], [-1, 0]], dtype=np.float32)  # a quarter turn clockwise, on the screen
    turned = [((q @ turn.T) + np.float32([600, 0]), text) for q, text in BLOCK]
    turned = [(np.roll(q, 1, axis=0), text) for q, text in turned]  # clockwise from the top-left again
    windows = scan_windows(turned[0][0], turned, [q for q, _ in turned])
    assert windows
    along = Frame.of(turned[0][0]).along
    for w in windows:
        assert abs(Frame.of(w.quad).along @ along) > 0.99
    assert abs(along[1]) > 0.99
    for row in {w.row for w in windows}:  # each row runs down the photo
        xs, ys = zip(*(centre(w) for w in windows if w.row == row), strict=True)
        assert np.ptp(ys) > 5 * np.ptp(xs)


def _windows(row, starts, past_line=False):
    return [Window(row, 1, x, box(x * 20, row * 50, x * 20 + 32, row * 50 + 33), past_line) for x in starts]


def _probabilities(classes):
    """One row per window: the chance of each class, most of it on ``classes[i]``."""
    out = np.full((len(classes), CLASSES), 0.01, dtype=np.float32)
    for i, (cls, p) in enumerate(classes):
        out[i, cls] = p
    return out / out.sum(axis=1, keepdims=True)


def _row(middle, width=12):
    """A row of windows half a character apart: bare surface but ``middle`` {start: (class, chance)}."""
    starts = [k * STEP for k in range(width)]
    return starts, [middle.get(x, (BLANK, 0.95)) for x in starts]


def test_a_digit_alone_on_bare_surface_is_a_serial_and_its_runner_up_is_kept():
    starts, classes = _row({2.5: (7, 0.6), 3.0: (7, 0.95), 3.5: (7, 0.7)})
    probabilities = _probabilities(classes)
    probabilities[6, 1] = 0.04  # a 1 is the next likeliest reading of the clearest window (at 3.0)
    found = lone_serials(_windows(0, starts), probabilities)
    assert [s.digits for s in found] == ["7"]
    assert found[0].score > 0.7 and found[0].runner_up == "1"
    assert 0 < found[0].runner_up_score < found[0].score


def test_text_beside_a_digit_makes_it_no_lone_serial():
    """A digit read at the edge of other text (a letter beside it) is a piece of that text."""
    starts, classes = _row({3.0: (7, 0.95), 3.0 + FLANK: (TEXT, 0.95), 3.0 - FLANK: (TEXT, 0.95)})
    found = lone_serials(_windows(0, starts), _probabilities(classes))
    assert all(s.score < 0.1 for s in found)


def test_two_digits_a_character_apart_are_one_number_three_are_a_line():
    starts, classes = _row({2.0: (1, 0.95), 3.0: (5, 0.95)})
    assert [s.digits for s in lone_serials(_windows(0, starts), _probabilities(classes))] == ["15"]
    starts, classes = _row({1.0: (1, 0.95), 2.0: (5, 0.95), 3.0: (2, 0.95)})
    assert lone_serials(_windows(0, starts), _probabilities(classes)) == []


def test_unclear_digits_are_no_glyphs():
    starts, classes = _row({3.0: (7, 0.3)})
    probabilities = _probabilities(classes)
    probabilities[6, BLANK] = 0.6  # the window is likelier bare than a 7
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    assert lone_serials(_windows(0, starts), probabilities, floor=0.5) == []


@needs_real_data
def test_a_serial_stamped_alone_on_a_real_photo_is_found_and_not_called_sure(ocr_engine):
    """A dev photo whose serial ``4`` is stamped alone in the block, where the detector boxes nothing:
    the glyph reader finds it on the article's view, and a person confirms it (nothing boxed corroborates it)."""
    with open(REAL_PHOTOS / "labels.csv", encoding="utf-8") as f:
        label = next(row for row in csv.DictReader(f) if row["image_file"] == "424.JPG")
    result = Recognizer(ocr_engine, CatalogIndex(read_orders_xlsx(REAL_ORDERS).rows)).recognize(
        REAL_PHOTOS / "images" / "424.JPG"
    )
    assert result.marking == label["label_text"] == "АМ116.05.02.200 4"
    serial = result.best.serial_line
    assert serial.unboxed and serial.text == "4"
    assert not any(ln.text == "4" and not ln.unboxed for ln in result.lines)  # no line read it
    assert not result.sure
