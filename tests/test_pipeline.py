"""The whole recognition pipeline with the real OCR models, on photos the project renders."""

import io

import numpy as np
import pytest
from PIL import Image

from inference.annotate import annotated_jpeg
from inference.photo import PhotoError
from inference.pipeline import Recognizer
from inference.reading import MATCHED, UNREADABLE
from inference.scoring import union_iou
from web.demo import render_marking


@pytest.fixture(scope="module")
def recognizer(ocr_engine, index):
    return Recognizer(ocr_engine, index)


def _stamped_serial(rows):
    return next(r for r in rows if r.serial and r.article.startswith("195"))


@pytest.mark.parametrize("quarter_turns", [0, 1, 3])
def test_a_rendered_marking_is_read_at_any_quarter_turn(recognizer, rows, quarter_turns):
    target = next(r for r in rows if r.serial and r.article.split()[0].count("-") == 2)
    marking = f"{target.article.split()[0]} {target.serial}"
    photo = render_marking(marking, seed=3, quarter_turns=quarter_turns)
    result = recognizer.recognize(photo.jpeg)
    assert result.marking == marking
    assert result.status == MATCHED
    assert result.best.rows[0].order_number == target.order_number
    w, h = result.photo.original_size
    x0, y0, x1, y1 = photo.box
    truth = [((x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h)]
    assert union_iou(result.yolo_boxes(), truth) > 0.5


def test_result_carries_boxes_candidates_and_stage_times(recognizer, rows):
    photo = render_marking("1391-30-1583 1574", seed=5)
    data = recognizer.recognize(photo.jpeg).to_record()
    assert set(data) >= {
        "marking",
        "article",
        "serial",
        "confidence",
        "status",
        "boxes",
        "yolo_boxes",
        "candidates",
        "timings_s",
    }
    assert {"load", "detect", "recognize", "match", "total"} <= set(data["timings_s"])
    x0, y0, x1, y1 = data["boxes"][0]
    assert 0 <= x0 < x1 <= 960 and 0 <= y0 < y1 <= 720


def test_a_photo_without_text_is_unreadable(recognizer):
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(100, 140, (600, 800, 3), dtype=np.uint8)).save(buffer, "JPEG")
    result = recognizer.recognize(buffer.getvalue())
    assert result.status == UNREADABLE
    assert result.marking == ""
    assert annotated_jpeg(result)[:2] == b"\xff\xd8"


def test_annotated_jpeg_is_a_jpeg(recognizer):
    result = recognizer.recognize(render_marking("1391-30-1583 1574", seed=5).jpeg)
    data = annotated_jpeg(result)
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_not_an_image_raises_photo_error(recognizer):
    with pytest.raises(PhotoError):
        recognizer.recognize(b"GIF89a but not really")


def test_an_empty_memory_changes_nothing(recognizer, rows):
    from inference.embedder import DinoV2Embedder
    from inference.memory import VisualMemory

    row = _stamped_serial(rows)
    photo = render_marking(f"{row.article.split()[0]} {row.serial}", seed=9).jpeg
    with_memory = Recognizer(recognizer.engine, recognizer.index, memory=VisualMemory(), embedder=DinoV2Embedder())
    plain, remembered = recognizer.recognize(photo).to_record(), with_memory.recognize(photo).to_record()
    for result in (plain, remembered):
        del result["timings_s"]
    assert remembered == plain


def _frame_without_text(kind: str) -> bytes:
    """A plain grey frame, or a blurred texture (steel-like noise) with no text at all."""
    import cv2

    rng = np.random.default_rng(1)
    if kind == "grey":
        pixels = np.full((720, 960, 3), 128, dtype=np.uint8)
    else:
        noise = rng.normal(128, 40, (720, 960)).astype(np.float32)
        pixels = np.clip(cv2.GaussianBlur(noise, (0, 0), 6) * 3 - 256, 0, 255).astype(np.uint8)
        pixels = np.dstack([pixels] * 3)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["grey", "texture"])
def test_a_frame_without_text_gets_no_article_whatever_the_memory_holds(recognizer, rows, kind):
    """The memory is filled with this very frame, labelled with a catalog article: still no answer."""
    from inference.embedder import DinoV2Embedder
    from inference.memory import VisualMemory
    from inference.photo import load_photo

    photo = _frame_without_text(kind)
    embedder = DinoV2Embedder()
    memory = VisualMemory(embedder.dimension)
    article = _stamped_serial(rows).article.split()[0]
    for i in range(5):
        memory.add(i, embedder.embed(load_photo(photo).image), article, str(i + 1))
    with_memory = Recognizer(recognizer.engine, recognizer.index, memory=memory, embedder=embedder)
    result = with_memory.recognize(photo)
    assert result.status == UNREADABLE
    assert result.to_record()["article"] == "" and result.marking == ""
    assert not result.sure and result.probability == 0.0


def test_a_clear_rendered_marking_is_sure_and_says_why(recognizer, rows):
    target = _stamped_serial(rows)
    marking = f"{target.article.split()[0]} {target.serial}"
    data = recognizer.recognize(render_marking(marking, seed=11).jpeg).to_record()
    assert data["marking"] == marking
    assert data["sure"] and data["probability"] >= recognizer.confidence.sure_from
    best = data["candidates"][0]
    assert best["corroborated"] and best["sure"]
