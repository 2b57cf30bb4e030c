"""Several photos of one part, one reading."""

import pytest

from inference.fusion import fuse

SURE_FROM = 0.8


def candidate(marking, probability, corroborated=True, rows=1):
    article, _, serial = marking.partition(" ")
    status = "matched" if corroborated else "article only"
    return {
        "marking": marking,
        "article": article,
        "serial": serial,
        "probability": probability,
        "corroborated": corroborated,
        "sure": corroborated and probability >= SURE_FROM,
        "status": status,
        "rows": [{"serial": serial}] * rows,
    }


def reading(*candidates):
    best = candidates[0] if candidates else None
    return {
        "marking": best["marking"] if best else "",
        "article": best["article"] if best else "",
        "serial": best["serial"] if best else "",
        "status": best["status"] if best else "unreadable",
        "probability": best["probability"] if best else 0.0,
        "sure": best["sure"] if best else False,
        "candidates": list(candidates),
    }


def test_agreeing_photos_raise_the_probability():
    one = reading(candidate("195-30-1285 2669", 0.75))
    fused = fuse([one, reading(candidate("195-30-1285 2669", 0.75))], SURE_FROM)
    assert fused["marking"] == "195-30-1285 2669"
    assert fused["probability"] > 0.75
    assert fused["sure"] and not one["sure"]
    assert len(fused["photos"]) == 2


def test_a_disagreeing_photo_lowers_it():
    first = reading(candidate("195-30-1285 2669", 0.9), candidate("195-30-1285 2668", 0.3))
    second = reading(candidate("195-30-1285 2668", 0.85), candidate("195-30-1285 2669", 0.2))
    fused = fuse([first, second], SURE_FROM)
    assert fused["probability"] < 0.85
    assert not fused["sure"]
    assert {c["marking"] for c in fused["candidates"]} == {"195-30-1285 2669", "195-30-1285 2668"}


def test_a_serial_read_on_one_photo_completes_an_article_read_on_another():
    article_only = reading(candidate("АМ116.05.02.201", 0.25, corroborated=False))
    with_serial = reading(candidate("АМ116.05.02.201 7", 0.9))
    fused = fuse([article_only, with_serial], SURE_FROM)
    assert fused["marking"] == "АМ116.05.02.201 7"
    assert fused["serial"] == "7"


def test_readings_the_catalog_never_corroborated_are_not_sure_together():
    guess = candidate("195-30-1285 2663", 0.75, corroborated=False)
    fused = fuse([reading(guess), reading(dict(guess)), reading(dict(guess))], SURE_FROM)
    assert fused["marking"] == "195-30-1285 2663"
    assert fused["probability"] >= SURE_FROM  # three photos agree...
    assert not fused["sure"]  # ...but the table never confirmed that serial


def test_unreadable_photos_take_nothing_away():
    fused = fuse([reading(), reading(candidate("195-30-1285 2669", 0.9))], SURE_FROM)
    assert fused["marking"] == "195-30-1285 2669"
    assert fused["probability"] == pytest.approx(0.9, abs=1e-3)
    assert fuse([reading(), reading()], SURE_FROM)["marking"] == ""


def test_nothing_to_fuse_is_an_error():
    with pytest.raises(ValueError):
        fuse([], SURE_FROM)
