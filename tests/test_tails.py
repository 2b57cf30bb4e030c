"""The second search past a line's end: a serial stamped after a gap, which the recognizer drops."""

import csv

import numpy as np
from conftest import REAL_ORDERS, REAL_PHOTOS, needs_real_data

from inference.catalog import CatalogIndex
from inference.crops import crop_line, part_of_quad
from inference.ocr import RecognizedText
from inference.pipeline import Recognizer
from inference.settings import THRESHOLDS
from inference.tails import best_tail, closed_up, extra_digits
from web.demo import render_marking
from web.storage.orders_xlsx import read_orders_xlsx


def test_the_gap_after_the_last_character_is_closed_up_at_several_widths():
    crop = np.tile(np.arange(200, dtype=np.uint8), (40, 1))[:, :, None].repeat(3, axis=2)  # pixel value = column
    positions = (0.05, 0.15, 0.25, 0.35)  # four characters, a tenth of the width apart; the rest is the tail
    pieces = closed_up(crop, positions)
    assert len(pieces) >= 4
    for start, joined in pieces:
        assert 0.4 < start < 1.0
        assert joined.shape[0] == 40 and joined.shape[1] < 200
        assert joined[0, 79, 0] == 79  # the text is kept up to just past its last character
        assert joined[0, 80, 0] == int(start * 200)  # and joined to the rest from the cut point
    assert [s for s, _ in pieces] == sorted(s for s, _ in pieces)
    assert closed_up(crop, (0.3, 0.5, 0.7, 0.9)) == []  # no room past the text
    assert closed_up(crop, ()) == []


def _read(text: str, scores: tuple[float, ...]) -> RecognizedText:
    return RecognizedText(text, sum(scores) / len(scores), scores)


def test_only_digits_added_to_the_line_s_own_text_count():
    assert extra_digits("163033", _read("1630331", (1.0,) * 6 + (0.9,))) == ("1", 0.9)
    assert extra_digits("163033", _read("163033 12", (1.0,) * 6 + (0.95, 0.85))) == ("12", 0.85)
    assert extra_digits("163033", _read("163033", (1.0,) * 6)) is None  # nothing added
    assert extra_digits("163033", _read("1630337", (1.0, 1.0, 0.2, 1.0, 1.0, 1.0, 0.99))) == ("7", 0.99)
    assert extra_digits("163033", _read("1630381", (1.0,) * 7)) is None  # the line itself read otherwise
    assert extra_digits("163033", _read("163033A", (1.0,) * 7)) is None  # a letter is no serial
    assert extra_digits("163033", _read("163033123", (1.0,) * 9)) is None  # three digits: another line's text


def test_the_clearest_tail_wins_and_an_unclear_one_does_not_count():
    clear, unclear = THRESHOLDS.tail_min_score + 0.1, THRESHOLDS.tail_min_score - 0.1
    readings = [(0.5, _read("9011", (1.0, 1.0, 1.0, unclear))), (0.6, _read("9017", (1.0, 1.0, 1.0, clear)))]
    tail = best_tail("901", readings)
    assert (tail.digits, tail.score, tail.start) == ("7", clear, 0.6)
    assert best_tail("901", readings[:1]) is None


def test_part_of_a_quad_follows_the_crop_it_was_read_from():
    wide = np.array([[10, 10], [110, 10], [110, 30], [10, 30]], dtype=np.float32)
    assert part_of_quad(wide, 0.5, 1.0).tolist() == [[60, 10], [110, 10], [110, 30], [60, 30]]
    tall = np.array([[10, 10], [30, 10], [30, 110], [10, 110]], dtype=np.float32)  # laid down: width runs down
    part = part_of_quad(tall, 0.5, 1.0)
    assert part[:, 1].min() == 60 and part[:, 1].max() == 110 and part[:, 0].min() == 10 and part[:, 0].max() == 30


def test_the_engine_says_where_it_read_each_character(ocr_engine):
    photo = render_marking("1391-30-1583 1574", seed=5)
    recognizer = Recognizer(ocr_engine, CatalogIndex([]))
    result = recognizer.recognize(photo.jpeg)
    line = max(result.lines, key=lambda ln: len(ln.text))
    crop = crop_line(result.photo.image, line.quad)
    reading = ocr_engine.recognize([crop])[0]
    assert len(reading.char_positions) == len(reading.text.replace(" ", "")) >= 8
    assert list(reading.char_positions) == sorted(reading.char_positions)
    assert 0 < reading.char_positions[0] < 0.2 and 0.8 < reading.char_positions[-1] < 1


def test_an_article_stamped_alone_gets_no_serial_from_the_search(ocr_engine, index, rows):
    article = next(r.article for r in rows if r.serial).split()[0]
    result = Recognizer(ocr_engine, index).recognize(render_marking(article, seed=2).jpeg)
    assert result.marking == article
    assert not any(line.searched and line.text.isdigit() for line in result.lines)


@needs_real_data
def test_a_serial_stamped_past_a_gap_after_the_heat_number_is_found(ocr_engine):
    """A dev photo whose serial ``1`` follows the heat number past a gap: the detector boxes it, the
    recognizer drops it, closing the gap up reads it (the photo is on the tune side of the split)."""
    with open(REAL_PHOTOS / "labels.csv", encoding="utf-8") as f:
        label = next(row for row in csv.DictReader(f) if row["image_file"] == "449.jpg")
    assert label["label_text"] == "АМ116.06.00.962 1"
    recognizer = Recognizer(ocr_engine, CatalogIndex(read_orders_xlsx(REAL_ORDERS).rows))
    result = recognizer.recognize(REAL_PHOTOS / "images" / "449.jpg")
    assert result.marking == label["label_text"]
    serial = result.best.serial_line
    assert serial.searched and serial.text == "1"
    heat = next(ln for ln in result.lines if ln.text == "163033" and ln.variant == serial.variant)
    # the end of the heat number's box, in the reading direction (this line runs down the photo)
    (x0, y0, x1, y1), (hx0, hy0, hx1, hy1) = serial.box, heat.box
    assert hx0 - 1 <= x0 and x1 <= hx1 + 1 and y1 <= hy1 + 1
    assert y0 > hy0 + 0.6 * (hy1 - hy0)
    assert not result.sure  # the table lists no serials for this article: nothing corroborates the digit
