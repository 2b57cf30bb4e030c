"""Which number is the serial: the numbers a line holds, what is known of each, and the learned choice."""

import numpy as np
import pytest
from conftest import row

from inference.catalog import CatalogIndex
from inference.lines import TextLine
from inference.models import Models
from inference.roles import FEATURES, NONE_FEATURES, RoleModel, as_serial, line_tokens
from inference.serials import choose_serial
from inference.training.serial_fit import PhotoTokens, chances, fit_roles, taken

ROLES = Models.load().roles


def line(text, y=0.0, positions=None, scores=None, variant="upright"):
    quad = np.array([[0, y], [200, y], [200, y + 30], [0, y + 30]], dtype=np.float32)
    solid = text.replace(" ", "")
    scores = tuple(scores) if scores is not None else (0.99,) * len(solid)
    return TextLine(text, float(np.mean(scores)), quad, variant, (), None, scores, False, tuple(positions or ()))


def spaced(text, gap_after=None, gap=3.5, pitch=0.1):
    """Character places along a crop, one pitch apart, with a wider gap after character ``gap_after``."""
    places, x = [], 0.05
    for k in range(len(text)):
        places.append(x)
        x += pitch * (gap if k == gap_after else 1)
    return places


def test_a_wide_gap_splits_what_the_recognizer_read_as_one_word():
    """``181304  2`` read as ``1813042``: the places the recognizer read each character at show the gap."""
    tokens = line_tokens(line("1813042", positions=spaced("1813042", gap_after=5)))
    lone = [t for t in tokens if t.serial == "2"]
    assert lone and lone[0].gap_before == pytest.approx(3.5) and lone[0].long_before
    assert {t.serial for t in tokens} >= {"181304", "2"}
    close = line_tokens(line("1813042", positions=spaced("1813042")))
    assert "2" not in {t.serial for t in close}  # no gap, no second word


@pytest.mark.parametrize("text", ["181169-1", "181169 -1", "908942-3"])
def test_a_heat_number_s_ending_is_never_a_serial(text):
    serials = {t.serial for t in line_tokens(line(text))}
    assert text.split("-")[-1] not in serials
    assert text.split("-")[0].strip() in serials  # the heat number itself stays a number on the photo


def test_ranges_fractions_and_short_numbers_after_a_dash_are_kept():
    assert {"3398-3409", "3398", "3409"} <= {t.serial for t in line_tokens(line("3398-3409"))}
    assert "497/4" in {t.serial for t in line_tokens(line("497/4"))}
    after_dash = [t for t in line_tokens(line("901-05")) if t.serial == "05"]
    assert after_dash and after_dash[0].after_dash  # not a heat number: three digits before the dash


def test_letters_the_recognizer_prints_for_digits_are_read_back():
    assert as_serial("2O65") == "2065"
    assert as_serial("10MnNi2MoVA") == ""  # a steel grade is no number


def test_the_choice_model_gives_each_number_and_none_a_chance():
    facts = [dict.fromkeys(FEATURES, 0.0) for _ in range(3)]
    chances, none = ROLES.probabilities(facts, lists_none=False)
    assert len(chances) == 3 and sum(chances) + none == pytest.approx(1.0)


INDEX = CatalogIndex([row("195-30-1285", s) for s in ("2660", "2661", "2662")] + [row("1753-30-1034")])


def test_the_shipped_model_takes_a_listed_serial_under_the_article_and_not_the_heat_number():
    article = line("195-30-1285")
    lines = [article, line("181268-1", 40), line("2661", 80)]
    entry = INDEX.entry_for("195-30-1285")
    choice = choose_serial(entry, article, "", lines, INDEX.serial_lengths, ROLES)
    assert choice.serial == "2661" and choice.listed
    nothing = choose_serial(entry, article, "", [article, line("181268-1", 40)], INDEX.serial_lengths, ROLES)
    assert nothing.serial == ""  # the heat number's ending is no serial, and nothing else was read


def test_without_a_model_no_serial_is_chosen():
    article = line("195-30-1285")
    entry = INDEX.entry_for("195-30-1285")
    assert choose_serial(entry, article, "", [article, line("2661", 40)], INDEX.serial_lengths, None).serial == ""


def _photo(family, serial, tokens, listed_token):
    facts = np.zeros((len(tokens), len(FEATURES)))
    facts[:, FEATURES.index("listed")] = [float(t == listed_token) for t in tokens]
    facts[:, FEATURES.index("weakest")] = 0.9
    return PhotoTokens(family, serial, tokens, facts, False, "195-30-1285")


def test_the_choice_model_learns_from_examples_which_number_is_the_serial(tmp_path):
    """Held-out families decide by what was learned on the others: the listed number is the serial."""
    photos = [_photo(f"family {k % 4}", f"{k}", [f"{k}", f"9{k}", f"8{k}"], f"{k}") for k in range(24)]
    photos += [_photo(f"family {k % 4}", "", [f"7{k}"], "") for k in range(8)]  # nothing listed: no serial
    model = fit_roles(photos)
    assert set(model.weights) == set(FEATURES + NONE_FEATURES)
    assert model.weights["listed"] > 0
    assert all(taken(p, *chances(model, p)[:2], model.take_from, model.glyph_from) == p.serial for p in photos)
    (tmp_path / "serial_model.json").write_text(model.to_json(), encoding="utf-8")
    assert RoleModel.load(tmp_path / "serial_model.json") == model
