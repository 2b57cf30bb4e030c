"""Confidence: the evidence, the calibrated probability, and what may be called sure."""

import numpy as np
import pytest
from conftest import row

from inference.catalog import CatalogIndex
from inference.confidence import FEATURES, ConfidenceModel, Logistic, assess, corroborated, evidence
from inference.lines import TextLine
from inference.models import Models
from inference.reading import read_marking
from inference.scoring import expected_calibration_error, held_out, reliability

INDEX = CatalogIndex(
    [row("195-30-1285", s) for s in ("2660", "2661", "2662", "2668", "2669")]
    + [row("АМ117.07.01.210", "31"), row("АМ117.07.01.211", "32"), row("АМ116.06.00.962")]
)
MODEL = ConfidenceModel.load()

ROLES = Models.load().roles


def line(text, y=0.0, chars=None, variant="upright"):
    quad = np.array([[0, y], [200, y], [200, y + 30], [0, y + 30]], dtype=np.float32)
    chars = tuple(chars) if chars is not None else (0.99,) * len(text)
    return TextLine(text, sum(chars) / len(chars), quad, variant, (), None, chars)


def assessed(lines):
    candidates = read_marking(lines, INDEX, ROLES)
    assess(candidates, INDEX, MODEL)
    return candidates


def test_a_clear_reading_with_a_listed_serial_is_sure():
    best = assessed([line("195-30-1285"), line("2661", 40)])[0]
    assert best.marking == "195-30-1285 2661"
    assert corroborated(best) and best.sure
    assert best.probability > 0.9


def test_a_doubtful_serial_digit_lowers_the_probability_below_sure():
    clear = assessed([line("195-30-1285"), line("2669", 40)])[0]
    doubtful = assessed([line("195-30-1285"), line("2669", 40, chars=(0.99, 0.99, 0.99, 0.4))])[0]
    assert clear.marking == doubtful.marking == "195-30-1285 2669"
    assert doubtful.probability < clear.probability
    assert clear.sure and not doubtful.sure


@pytest.mark.parametrize(
    "lines",
    [
        [line("195-30-1285"), line("2663", 40)],  # a serial the table does not list
        [line("195-30-1285")],  # no serial read where the article lists serials
        [line("АМ116.06.00.962")],  # an article without serials: a stamped digit would go unnoticed
        [line("2661")],  # the article guessed from the serial alone
    ],
)
def test_what_the_catalog_cannot_corroborate_is_never_sure(lines):
    best = assessed(lines)[0]
    assert not corroborated(best)
    assert not best.sure
    assert best.probability < MODEL.sure_from


def test_a_listed_serial_only_the_glyph_reader_found_is_not_sure():
    """Digits the glyph reader found where the detector boxed nothing (``inference.lone_digits``)
    corroborate nothing, however clear: where no serial was read, they could as well be a scratch."""
    boxed = assessed([line("195-30-1285"), line("2661", 40)])[0]
    alone = line("2661", 40)
    alone.searched = alone.unboxed = True
    found = assessed([line("195-30-1285"), alone])[0]
    assert found.marking == boxed.marking == "195-30-1285 2661"
    assert boxed.sure and corroborated(boxed)
    assert not corroborated(found) and not found.sure


def test_two_views_that_read_two_listed_serials_are_not_sure():
    """The table lists both 2668 and 2669: it cannot tell which view misread a digit."""
    agreeing = assessed([line("195-30-1285"), line("2669", 40), line("2669", 40, variant="contrast")])[0]
    rival = line("2668", 40, chars=(0.99, 0.99, 0.99, 0.7), variant="contrast")
    disagreeing = assessed([line("195-30-1285"), line("2669", 40), rival])[0]
    assert agreeing.marking == disagreeing.marking == "195-30-1285 2669"
    assert agreeing.sure and corroborated(agreeing)
    assert disagreeing.serial_rival > 0
    assert not corroborated(disagreeing) and not disagreeing.sure


def test_the_evidence_counts_catalog_neighbours():
    best = assessed([line("195-30-1285"), line("2669", 40)])[0]
    facts = evidence(best, [best], INDEX)
    assert facts["serial_neighbours"] == pytest.approx(np.log1p(4))  # 2660, 2661, 2662, 2668: one edit from 2669
    assert facts["article_twins"] == 0.0
    twin = assessed([line("AM1170701210"), line("31", 40)])[0]
    assert evidence(twin, [twin], INDEX)["article_twins"] == pytest.approx(np.log1p(1))  # ...210 and ...211


def test_the_model_is_data_and_survives_a_round_trip(tmp_path):
    characters = Logistic({"char_logit": 2.0}, 5.0, {"char_logit": 5.0}, {"char_logit": 2.0})
    model = ConfidenceModel(characters, 0.95, Logistic({}, -1.0, {}, {}), 0.9, "test")
    path = tmp_path / "model.json"
    path.write_text(model.to_json(), encoding="utf-8")
    assert ConfidenceModel.load(path) == model
    facts = {"deciding_scores": [0.99, 0.99], "corroborated": 1.0}
    # each character read at 0.99: log-odds 4.595, so 5 + 2 * (4.595 - 5) / 2 = 4.595, a chance of 0.99
    assert model.probability(facts) == pytest.approx(0.95 * 0.99**2, abs=1e-4)
    assert model.probability({**facts, "corroborated": 0.0}) == pytest.approx(1 / (1 + np.exp(1.0)))


def test_the_shipped_model_trusts_a_clearer_serial_more():
    clear = {feature: 1.0 for feature in FEATURES}
    low, high = ({**clear, "deciding_scores": [0.99, 0.99, c]} for c in (0.5, 0.999))
    assert MODEL.probability(low) < MODEL.sure_from <= MODEL.probability(high)
    assert 0.5 <= MODEL.sure_from < 1.0


def test_reliability_table_and_calibration_error():
    probabilities = [0.15, 0.15, 0.95, 0.95, 0.95, 0.95]
    right = [False, False, True, True, True, False]
    table = reliability(probabilities, right)
    assert [(b.count, round(b.observed, 2)) for b in table] == [(2, 0.0), (4, 0.75)]
    # |0.15 - 0| weighted 2/6, |0.95 - 0.75| weighted 4/6
    assert expected_calibration_error(probabilities, right) == pytest.approx(0.15 * 2 / 6 + 0.2 * 4 / 6)


def test_held_out_photos_are_chosen_by_marking():
    markings = [f"195-30-1285 {2600 + i}" for i in range(300)]
    kept = [m for m in markings if held_out(m)]
    assert 0.25 < len(kept) / len(markings) < 0.42
    assert all(held_out(m) == held_out(m + " ") for m in markings)  # one marking, one side


def twice(text, chars=None):
    """The article's line as two views of the photo read it."""
    return [line(text, chars=chars), line(text, chars=chars, variant="contrast")]


def test_a_doubtful_character_that_tells_twin_articles_apart_is_not_sure():
    """…210 and …211 are both in the table: a doubt on the last character of the article decides the row."""
    clear = assessed([*twice("AM1170701210"), line("31", 40)])[0]
    doubt = (0.99,) * 11 + (0.45,)
    doubtful = assessed([*twice("AM1170701210", doubt), line("31", 40)])[0]
    assert clear.marking == doubtful.marking == "АМ117.07.01.210 31"
    assert clear.sure and not doubtful.sure
    elsewhere = (0.45,) + (0.99,) * 11  # a doubt where no twin differs changes nothing
    assert assessed([*twice("AM1170701210", elsewhere), line("31", 40)])[0].sure


def test_where_one_character_decides_two_views_must_read_it():
    """A twin article one character away, or a serial of one digit: one view's reading is not enough."""
    once = assessed([line("AM1170701210"), line("31", 40)])[0]
    assert once.marking == "АМ117.07.01.210 31" and once.read_once and not once.corroborated and not once.sure
    digit = [row("АМ116.06.00.962", s) for s in ("1", "2")]
    index = CatalogIndex(digit)
    lines = [line("AM116.06.00.962"), line("1", 40)]
    single = read_marking(lines, index, ROLES)
    assess(single, index, MODEL)
    both = read_marking([*lines, line("1", 40, variant="contrast")], index, ROLES)
    assess(both, index, MODEL)
    assert single[0].marking == both[0].marking == "АМ116.06.00.962 1"
    assert single[0].read_once and not single[0].sure
    assert both[0].corroborated and not both[0].read_once
