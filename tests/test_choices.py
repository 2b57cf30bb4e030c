"""What a person is offered to tap when a reading is not sure."""

import numpy as np
import pytest
from conftest import row

from inference.catalog import ArticleEntry, CatalogIndex
from inference.choices import SERIAL, TWIN, likely_choices, misread_chance, serial_chances
from inference.confidence import assess
from inference.lines import TextLine
from inference.models import Models
from inference.reading import read_marking

MODELS = Models.load()
INDEX = CatalogIndex(
    [row("195-30-1285", s) for s in ("2660", "2661", "2662", "2663", "2645", "2700")]
    + [row("АМ117.07.01.210", "31"), row("АМ117.07.01.211", "31"), row("АМ116.06.00.962", "1")]
    + [row("АМ116.06.00.962", "2"), row("1753-30-1034")]
)


def replace_serials(entry, serials):
    return ArticleEntry(entry.stamped, entry.key, [row(entry.stamped, s) for s in serials])


def line(text, y=0.0, chars=None, variant="upright"):
    quad = np.array([[0, y], [200, y], [200, y + 30], [0, y + 30]], dtype=np.float32)
    chars = tuple(chars) if chars is not None else (0.99,) * len(text.replace(" ", ""))
    return TextLine(text, sum(chars) / len(chars), quad, variant, (), None, chars)


def offered(lines):
    candidates = read_marking(lines, INDEX, MODELS.roles)
    assess(candidates, INDEX, MODELS.confidence)
    return candidates[0], likely_choices(candidates, INDEX)


@pytest.mark.parametrize("views", [("upright",), ("upright", "contrast")])
def test_listed_serials_one_misread_digit_away_are_offered(views):
    """2668 read, unlisted: 2660..2663 are listed, one digit away; the confusable 2663 first.
    Whether or not 2669 was taken as the serial (read once, the serial model doubts an unlisted number)."""
    serial = [line("2668", 40, chars=(0.99, 0.99, 0.99, 0.7), variant=v) for v in views]
    best, choices = offered([line("195-30-1285"), *serial])
    assert best.article == "195-30-1285" and not best.sure
    listed = [c for c in choices if c.reason == SERIAL]
    assert {c.serial for c in listed} <= {"2660", "2661", "2662", "2663"} and len(listed) >= 2
    assert listed[0].serial == "2663"  # 8 and 3 are look-alikes to the recognizer


def test_the_twin_article_is_offered_where_its_deciding_character_was_unclear():
    best, choices = offered([line("AM1170701210", chars=(0.99,) * 11 + (0.5,)), line("31", 40)])
    assert best.marking == "АМ117.07.01.210 31" and not best.sure
    assert ("АМ117.07.01.211 31", TWIN) in [(c.marking, c.reason) for c in choices]


def test_a_doubtful_number_offers_the_listed_serials_it_may_be_before_the_article_alone():
    """An article that lists serials hardly ever carries none: its listed neighbours come first."""
    best, choices = offered([line("195-30-1285"), line("2661", 40, chars=(0.99, 0.5, 0.99, 0.6))])
    assert best.serial == "2661" and not best.sure
    assert [c.reason for c in choices] == [SERIAL] * 3
    assert {c.serial for c in choices} <= {"2660", "2662", "2663"}


def test_the_glyph_reader_s_runner_up_for_a_digit_stamped_alone_is_offered():
    alone = line("7", 40, chars=(0.8,))
    alone.searched = alone.unboxed = True
    alone.alternatives = (("1", 0.15),)
    best, choices = offered([line("1753-30-1034"), alone])
    assert best.marking == "1753-30-1034 7" and not best.sure
    assert "1753-30-1034 1" in [c.marking for c in choices[:3]]


def test_an_article_with_few_serials_offers_them_when_none_was_read():
    best, choices = offered([line("AM116.06.00.962")])
    assert best.marking == "АМ116.06.00.962" and not best.sure
    assert {"АМ116.06.00.962 1", "АМ116.06.00.962 2"} <= {c.marking for c in choices}


def test_the_best_reading_itself_is_never_offered():
    best, choices = offered([line("195-30-1285"), line("2661", 40)])
    assert best.marking not in {c.marking for c in choices}
    assert len({c.marking for c in choices}) == len(choices)


def test_a_listed_serial_read_with_two_digits_swapped_comes_first():
    """51 read where the table lists 13..16 for the article: 15 is one swap away, the others two edits."""
    entry = INDEX.entry_for("195-30-1285")
    reads = {"51": 0.9}
    chances = serial_chances(replace_serials(entry, ["13", "14", "15", "16"]), reads, None)
    ranked = sorted((s for s in chances if s != "51"), key=lambda s: -chances[s])
    assert ranked[0] == "15"


def test_a_number_read_for_an_article_that_lists_no_serials_may_be_a_stray():
    """An article that lists no serials often carries none: the article alone is a choice beside a lone digit."""
    chances = serial_chances(None, {"1": 0.8, "9": 0.5}, None)
    assert chances[""] > 0.05 and chances["1"] > chances["9"] > 0


def test_misread_chance_follows_the_recognizers_doubt():
    assert misread_chance("2669", "2669", [0.9] * 4) == 1.0
    unclear, clear = misread_chance("2669", "2668", [0.99, 0.99, 0.99, 0.4]), misread_chance("2669", "2668", [0.99] * 4)
    assert unclear > clear
    assert misread_chance("2669", "2663", [0.99] * 4) == clear
    assert misread_chance("2668", "2663", [0.99] * 4) > clear  # 8 and 3 are look-alikes to the recognizer
    assert misread_chance("2669", "1234", [0.5] * 4) < misread_chance("2669", "2966", [0.5] * 4)
