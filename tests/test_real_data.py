"""The real orders table and the real photos, read from ../shared/data (not shipped).

Skipped with a reason where the data is absent. The floors sit below the
figures measured with ``markscan evaluate`` (see README) so a regression fails.
"""

import csv
import json
import subprocess
import sys
from collections import Counter

import pytest
from conftest import REAL_ORDERS, REAL_PHOTOS, needs_real_data

from inference.catalog import CatalogIndex
from inference.pipeline import Recognizer
from inference.scoring import parse_yolo, score_reading
from web.storage.orders_xlsx import read_orders_xlsx

pytestmark = needs_real_data


@pytest.fixture(scope="module")
def real_rows():
    return read_orders_xlsx(REAL_ORDERS).rows


def test_the_real_orders_table_imports_whole(real_rows):
    report = read_orders_xlsx(REAL_ORDERS)
    assert len(report.rows) == 12708
    assert report.rejected == []
    assert not any(r.article.startswith('"') or r.order_number.endswith(" ") for r in real_rows)
    assert sum(1 for r in real_rows if not r.serial) == 9837 + 253  # serial 0 or blank: none
    assert any(r.article.endswith(" ТС1.1") for r in real_rows)


def test_real_articles_fold_to_the_stamped_form(real_rows):
    index = CatalogIndex(real_rows)
    assert "АМ116.17.02.015" in {e.stamped for e in index.entries.values()}
    assert index.lookup("AHEM.492664.500-03.LP")[0].entry.stamped == "АНЕМ.492664.500-03.LP"


def _sample_labels(every: int = 14) -> list[dict]:
    with open(REAL_PHOTOS / "labels.csv", encoding="utf-8") as f:
        labels = list(csv.DictReader(f))
    return labels[::every]


def test_a_handful_of_real_photos_end_to_end(ocr_engine, real_rows):
    recognizer = Recognizer(ocr_engine, CatalogIndex(real_rows))
    scores = []
    for label in _sample_labels():
        result = recognizer.recognize(REAL_PHOTOS / "images" / label["image_file"])
        scores.append(
            score_reading(label["label_text"], parse_yolo(label["label"]), result.marking, result.yolo_boxes())
        )
    assert len(scores) >= 8
    assert sum(s.score for s in scores) / len(scores) >= 0.7
    assert sum(s.char for s in scores) / len(scores) >= 0.85


def _evaluate_with_memory(folder, chosen: list[dict]) -> dict:
    """``markscan evaluate --memory leave-one-out --json`` on a folder of the ``chosen`` dev photos."""
    (folder / "images").mkdir()
    for label in chosen:
        (folder / "images" / label["image_file"]).symlink_to(REAL_PHOTOS / "images" / label["image_file"])
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(chosen[0]))
        writer.writeheader()
        writer.writerows(chosen)
    command = ["evaluate", str(folder), "--catalog", str(REAL_ORDERS), "--memory", "leave-one-out", "--json"]
    result = subprocess.run([sys.executable, "-m", "web.cli", *command], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_memory_leave_one_out_on_a_few_real_photos(tmp_path):
    """The photos of the three most photographed articles: memory never lowers the score or exact match."""
    with open(REAL_PHOTOS / "labels.csv", encoding="utf-8") as f:
        labels = list(csv.DictReader(f))
    articles = Counter(label["label_text"].split()[0] for label in labels)
    frequent = {article for article, _ in articles.most_common(3)}
    chosen = [label for label in labels if label["label_text"].split()[0] in frequent][:18]
    figures = _evaluate_with_memory(tmp_path, chosen)
    assert figures["n"] == len(chosen)
    assert figures["score"] >= figures["without_memory"]["score"]
    assert figures["exact"] >= figures["without_memory"]["exact"]
    assert figures["memory_lowered"] == 0  # no answer the memory changed got worse


def test_an_answer_the_memory_chose_over_the_ocr_is_never_sure(tmp_path):
    """Near-twin articles (`АМ117.07.01.210` and `…211`): on one photo of `…211` the OCR is unsure,
    and the memory of the `…210` photos tips it to `…210` with a listed serial. A person decides."""
    with open(REAL_PHOTOS / "labels.csv", encoding="utf-8") as f:
        labels = list(csv.DictReader(f))
    twins = ("АМ117.07.01.210 ", "АМ117.07.01.211 ")
    chosen = [label for label in labels if label["label_text"].startswith(twins)][:6]
    figures = _evaluate_with_memory(tmp_path, chosen)
    assert figures["memory_changed"] >= 1
    assert figures["wrong_sure"] == 0


def test_the_correction_field_suggests_real_articles_for_a_typed_prefix(real_rows):
    """What the card's autocomplete (/catalog/suggest) shows for `195-30-12` on the real orders table."""
    suggested = [m.entry.stamped for m in CatalogIndex(real_rows).lookup("195-30-12", limit=8)]
    assert len(suggested) == 8 and all(article.startswith("195-30-1") for article in suggested)
    assert "195-30-1285" in suggested and "195-30-1286" in suggested
