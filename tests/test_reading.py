import numpy as np
from conftest import row

from inference.catalog import CatalogIndex
from inference.lines import TextLine
from inference.models import Models
from inference.reading import ARTICLE_ONLY, MATCHED, NOT_IN_CATALOG, read_marking
from inference.roles import as_serial

ROLES = Models.load().roles


def line(text, y=0.0, score=0.95, variant="upright"):
    quad = np.array([[0, y], [200, y], [200, y + 30], [0, y + 30]], dtype=np.float32)
    return TextLine(text, score, quad, variant)


INDEX = CatalogIndex(
    [row("195-30-1285 ТС1.1", s, order="201013737") for s in ("2660", "2661", "2662")]
    + [row("АМ117.07.01.210", "31"), row("АМ117.07.01.211", "32"), row("1753-30-1034")]
    + [row("195-30-1286", "3089")]
)


def test_article_and_listed_serial_are_matched_in_catalog_form():
    best = read_marking([line("195-30-1285", 0), line("2661", 40)], INDEX, ROLES)[0]
    assert best.marking == "195-30-1285 2661"
    assert best.status == MATCHED
    assert [r.serial for r in best.rows] == ["2661"]


def test_latin_reading_comes_out_cyrillic():
    best = read_marking([line("AM1170701210", 0), line("31", 40)], INDEX, ROLES)[0]
    assert best.read_once is False  # not weighed yet (inference.confidence)
    assert best.marking == "АМ117.07.01.210 31"


def test_unlisted_serial_is_kept_as_read_with_the_article_rows():
    """Two views read 2699 clearly under the article: the table does not list it, it is reported as read."""
    serial = [line("2699", 40, score=0.99), line("2699", 40, score=0.99, variant="contrast")]
    best = read_marking([line("195-30-1285", 0), *serial], INDEX, ROLES)[0]
    assert best.marking == "195-30-1285 2699"
    assert best.status == ARTICLE_ONLY
    assert len(best.rows) == 3


def test_far_off_reading_is_flagged_not_in_catalog():
    best = read_marking([line("4471-88-9035", 0)], INDEX, ROLES)[0]
    assert best.status == NOT_IN_CATALOG
    assert best.marking == "4471-88-9035"
    assert best.rows == []


def test_article_without_serials_matches_alone():
    best = read_marking([line("1753-30-1034", 0)], INDEX, ROLES)[0]
    assert best.marking == "1753-30-1034"
    assert best.status == MATCHED


def test_a_listed_serial_finds_its_article_when_only_a_fragment_was_read():
    best = read_marking([line("3089", 0), line("1286", 40)], INDEX, ROLES)[0]
    assert best.marking == "195-30-1286 3089"


def test_a_range_of_serials_finds_the_article_that_lists_both_ends():
    """One marking for a batch: 3422-3433, where the table lists each serial of the range."""
    index = CatalogIndex([row("195-30-1221", str(s)) for s in range(3420, 3440)] + [row("195-30-1222", "3422")])
    best = read_marking([line("3422-3433", 0)], index, ROLES)[0]
    assert best.marking == "195-30-1221 3422-3433" and not best.sure
    assert read_marking([line("3433-3422", 0)], index, ROLES)[0].article != "195-30-1221"  # no range backwards


def test_steel_grade_lines_are_not_taken_for_serials():
    best = read_marking([line("195-30-1285", 0), line("22K+08X18H10T", 40), line("2662", 80)], INDEX, ROLES)[0]
    assert best.serial == "2662"


def test_serial_text_maps_letters_and_keeps_separators():
    assert as_serial("497/4") == "497/4"
    assert as_serial("3398-3409") == "3398-3409"
    assert as_serial("2O65") == "2065"


def test_no_lines_no_candidates():
    assert read_marking([], INDEX, ROLES) == []
