"""The markscan command, run as a user would run it."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from PIL import Image

from web.demo import demo_photos

MARKSCAN = [sys.executable, "-m", "web.cli"]
ROOT = Path(__file__).resolve().parents[1]


def markscan(*args, cwd=ROOT, env=None):
    """Run ``markscan ARGS``; ``env`` adds to this process's environment."""
    environment = {**os.environ, **env} if env else None
    return subprocess.run([*MARKSCAN, *args], capture_output=True, text=True, cwd=cwd, timeout=600, env=environment)


@pytest.fixture(scope="module")
def orders_xlsx(tmp_path_factory, rows) -> Path:
    path = tmp_path_factory.mktemp("orders") / "orders.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["ДетальАртикул", "ПорядковыйНомер", "ДетальНаименование", "ЗаказНомер", "СтанцияБлок"])
    for r in rows:
        ws.append(
            [
                f'"{r.article}"',
                int(r.serial) if r.serial else 0,
                f'"{r.part_name}"',
                f'"{r.order_number}  "',
                r.station_unit,
            ]
        )
    ws.append(["", "not a number", "", "", ""])
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory, rows) -> Path:
    directory = tmp_path_factory.mktemp("photos")
    (directory / "images").mkdir()
    with open(directory / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["image_file", "label", "label_text"])
        for i, photo in enumerate(demo_photos(rows, count=2)):
            name = f"{i}.jpg"
            (directory / "images" / name).write_bytes(photo.jpeg)
            x0, y0, x1, y1 = photo.box
            w, h = (960, 720) if i % 2 == 0 else (720, 960)
            writer.writerow(
                [name, f"0 {(x0 + x1) / 2 / w} {(y0 + y1) / 2 / h} {(x1 - x0) / w} {(y1 - y0) / h}", photo.marking]
            )
    (directory / "images" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    Image.new("RGB", (800, 600), (128, 128, 128)).save(directory / "images" / "blank.png")
    return directory


def test_catalog_import_reports_and_writes_the_database(tmp_path, orders_xlsx, rows):
    result = markscan("catalog", "import", str(orders_xlsx), "--data", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"{len(rows)} rows kept, 1 rejected" in result.stdout
    assert (tmp_path / "markscan.db").exists()


def test_catalog_import_of_a_wrong_file_changes_nothing(tmp_path):
    bad = tmp_path / "orders.xlsx"
    bad.write_text("not a workbook")
    result = markscan("catalog", "import", str(bad), "--data", str(tmp_path))
    assert result.returncode == 2
    assert "not an .xlsx" in result.stderr
    assert not any("а" <= ch.lower() <= "я" for ch in result.stderr)  # the command speaks English


def test_recognize_prints_json(photo_dir, orders_xlsx):
    result = markscan("recognize", str(photo_dir / "images" / "0.jpg"), "--catalog", str(orders_xlsx))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    truth = (photo_dir / "labels.csv").read_text(encoding="utf-8").splitlines()[1].rsplit(",", 1)[1]
    assert data["marking"] == truth


def test_recognize_with_the_torch_backend_reads_what_the_default_reads(photo_dir, orders_xlsx):
    pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[gpu]')")
    photo = str(photo_dir / "images" / "0.jpg")
    by_torch = markscan("recognize", photo, "--catalog", str(orders_xlsx), "--backend", "torch")
    assert by_torch.returncode == 0, by_torch.stderr
    by_default = markscan("recognize", photo, "--catalog", str(orders_xlsx))
    assert json.loads(by_torch.stdout)["marking"] == json.loads(by_default.stdout)["marking"]


def test_a_gpu_that_is_not_there_is_refused_clearly(photo_dir, orders_xlsx):
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[gpu]')")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU: the refusal cannot happen here")
    photo = str(photo_dir / "images" / "0.jpg")
    done = markscan(
        "recognize", photo, "--catalog", str(orders_xlsx), "--backend", "torch", env={"MARKSCAN_DEVICE": "cuda"}
    )
    assert done.returncode == 2
    assert "MARKSCAN_DEVICE=cuda, but torch sees no CUDA GPU" in done.stderr


def test_the_torch_backend_without_torch_is_refused_with_what_to_install(photo_dir, orders_xlsx, tmp_path):
    (tmp_path / "torch.py").write_text('raise ModuleNotFoundError("No module named torch", name="torch")\n')
    photo = str(photo_dir / "images" / "0.jpg")
    hidden = {"PYTHONPATH": str(tmp_path)}  # this machine's torch hidden
    done = markscan("recognize", photo, "--catalog", str(orders_xlsx), "--backend", "torch", env=hidden)
    assert done.returncode == 2
    assert "MARKSCAN_BACKEND=torch needs torch: pip install -e '.[gpu]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_recognize_a_broken_photo_fails_clearly(photo_dir, orders_xlsx):
    result = markscan("recognize", str(photo_dir / "images" / "broken.jpg"), "--catalog", str(orders_xlsx))
    assert result.returncode != 0
    assert "broken.jpg" in result.stderr and "image" in result.stderr


def test_recognize_a_photo_without_text_fails_clearly(photo_dir, orders_xlsx):
    result = markscan("recognize", str(photo_dir / "images" / "blank.png"), "--catalog", str(orders_xlsx))
    assert result.returncode == 1
    assert "no text found" in result.stderr
    assert json.loads(result.stdout)["status"] == "unreadable"


def test_batch_writes_a_row_for_every_image(photo_dir, orders_xlsx, tmp_path):
    out = tmp_path / "predictions.csv"
    result = markscan("batch", str(photo_dir / "images"), "--catalog", str(orders_xlsx), "--out", str(out))
    assert result.returncode == 0, result.stderr
    written = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [r["image_file"] for r in written] == ["0.jpg", "1.jpg", "blank.png", "broken.jpg"]
    assert written[2]["label_text"] == written[3]["label_text"] == ""
    assert "broken.jpg" in result.stderr and "blank.png: no text found" in result.stderr
    assert written[0]["label_text"].startswith(("АМ", "АН", "1"))


def test_evaluate_json_has_the_promised_keys(photo_dir, orders_xlsx):
    result = markscan("evaluate", str(photo_dir), "--catalog", str(orders_xlsx), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    trust = {"sure_share", "wrong_sure", "wrong_among_sure", "ece", "parts", "parts_right", "parts_sure"}
    trust |= {"parts_wrong_sure", "misses", "choice3_of_misses", "lone_serials", "lone_right", "reliability"}
    reading = {"n", "split", "side", "score", "iou", "char", "exact", "exact_folded", "p50_s", "p95_s", "peak_rss_mb"}
    assert set(data) == reading | trust
    assert data["n"] == 2
    assert data["exact"] == 1.0
    assert data["wrong_sure"] == 0.0  # every reading is right, so none can be wrong but sure


def test_recognize_one_part_prints_one_fused_reading(photo_dir, orders_xlsx, tmp_path, rows):
    from web.demo import render_marking

    truth = (photo_dir / "labels.csv").read_text(encoding="utf-8").splitlines()[1].rsplit(",", 1)[1]
    other_view = tmp_path / "second.jpg"
    other_view.write_bytes(render_marking(truth, seed=31, quarter_turns=3).jpeg)
    images = photo_dir / "images"
    command = ["recognize", "--one-part", str(images / "0.jpg"), str(other_view), str(images / "broken.jpg")]
    result = markscan(*command, "--catalog", str(orders_xlsx))
    assert result.returncode == 0, result.stderr
    fused = json.loads(result.stdout)
    assert fused["marking"] == truth
    assert [p["marking"] for p in fused["photos"]] == [truth, truth]  # the broken photo is reported, not read
    assert "broken.jpg" in result.stderr
    assert fused["sure"] is True


def test_evaluate_lists_wrong_but_sure_photos_first(photo_dir, orders_xlsx, tmp_path):
    """A label that disagrees with a clear reading: the miss a clerk would not catch is listed first."""
    rows_ = list(csv.reader((photo_dir / "labels.csv").read_text(encoding="utf-8").splitlines()))
    (tmp_path / "images").symlink_to(photo_dir / "images")
    blank = ["blank.png", "", rows_[2][2]]  # read as nothing: wrong, and never sure
    article, serial = rows_[1][2].split()
    mislabelled = [rows_[1][0], rows_[1][1], f"{article} {serial}0"]  # read clearly, as before
    with open(tmp_path / "labels.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([rows_[0], blank, mislabelled])
    result = markscan("evaluate", str(tmp_path), "--catalog", str(orders_xlsx), "-v", "--json")
    assert result.returncode == 0, result.stderr
    listed = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert listed[0].startswith("SURE 0.jpg") and listed[1].startswith("blank.png")
    figures = json.loads(result.stdout)
    assert figures["wrong_sure"] == 0.5 and figures["sure_share"] == 0.5


def test_a_memory_of_the_other_side_needs_a_side(photo_dir, orders_xlsx):
    result = markscan("evaluate", str(photo_dir), "--catalog", str(orders_xlsx), "--memory", "other-side")
    assert result.returncode == 2
    assert "--side tune or --side held-out" in result.stderr
