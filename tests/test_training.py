"""Training is part of the product: labelled photos and confirmed scans in, the three models out."""

import csv
import json
import shutil

import numpy as np
import pytest
from conftest import REAL_ORDERS, REAL_PHOTOS, database_of, needs_real_data, run_in_thread
from test_cli import markscan

from inference.glyphs import CLASSES, GlyphHead
from inference.models import CONFIDENCE_MODEL, GLYPH_HEAD, SERIAL_MODEL, Models
from inference.scoring import family_of
from inference.training.labelled import labelled_folder

torch = pytest.importorskip("torch", reason="markscan train needs torch: pip install -e '.[train]'")


@pytest.mark.parametrize(
    ("marking", "family"),
    [
        ("АМ116.05.02.201 7", "АМ116.05.02"),
        ("195-30-1285 2660", "195-30-12"),
        ("1391-30-0109", "1391-30-01"),
        ("АМ116.06.00.901-05 1", "АМ116.06.00"),
        ("АНЕМ.492664.500-03.LP 497/4", "АНЕМ.492664"),
    ],
)
def test_a_part_family_is_the_article_up_to_its_last_group(marking, family):
    assert family_of(marking) == family


def test_the_glyph_head_learns_and_trains_the_same_twice():
    from inference.training.glyph_fit import fit_head

    rng = np.random.default_rng(0)
    labels = rng.integers(0, CLASSES, 600)
    centres = rng.normal(0, 1, (CLASSES, 8 * 120)).astype(np.float32)
    features = (centres[labels] + rng.normal(0, 0.5, (600, 8 * 120))).reshape(600, 8, 120).astype(np.float32)
    first, second = fit_head(features, labels, seed=3), fit_head(features, labels, seed=3)
    assert first == second  # fixed seeds: the same weights
    probabilities = GlyphHead(first).probabilities(features)
    assert probabilities.shape == (600, CLASSES)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities.argmax(axis=1) == labels).mean() > 0.95


def _few(tmp_path, per_family: dict[str, int]):
    """A labelled folder with the first photos of some families of the dev set."""
    with open(REAL_PHOTOS / "labels.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    chosen = []
    for family, n in per_family.items():
        chosen += [r for r in rows if family_of(r["label_text"]) == family][:n]
    (tmp_path / "images").mkdir(parents=True)
    for r in chosen:
        shutil.copy(REAL_PHOTOS / "images" / r["image_file"], tmp_path / "images" / r["image_file"])
    with open(tmp_path / "labels.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen)
    return tmp_path


@needs_real_data
def test_markscan_train_writes_models_the_app_can_read_and_reports_each_family(tmp_path):
    folder = _few(tmp_path / "photos", {"195-30-12": 3, "АМ117.07.01": 3, "АМ116.05.02": 2})
    out = tmp_path / "models"
    done = markscan("train", str(folder), "--catalog", str(REAL_ORDERS), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {p.name for p in out.iterdir()} == {SERIAL_MODEL, GLYPH_HEAD, CONFIDENCE_MODEL, "training.json"}
    models = Models.load(out)
    assert models.roles is not None and models.glyphs is not None
    assert report["photos"] == 8 and set(report["after"]["families"]) == {"195-30-12", "АМ117.07.01", "АМ116.05.02"}
    for figures in (report["before"], report["after"]):
        assert figures["n"] == 8 and 0 <= figures["exact"] <= 1 and 0 <= figures["choice3_of_misses"] <= 1
    recognized = markscan(
        "recognize",
        str(folder / "images" / labelled_folder(folder)[0].name),
        "--catalog",
        str(REAL_ORDERS),
        "--models",
        str(out),
    )
    assert recognized.returncode == 0 and json.loads(recognized.stdout)["marking"]


def test_train_refuses_photos_of_one_family(tmp_path):
    folder = tmp_path / "one"
    (folder / "images").mkdir(parents=True)
    (folder / "labels.csv").write_text("image_file,label,label_text\na.jpg,,195-30-1285 2660\n", encoding="utf-8")
    done = markscan("train", str(folder), "--catalog", str(tmp_path / "none.xlsx"))
    assert done.returncode == 2 and "two part families" in done.stderr


def test_a_models_folder_that_lacks_a_file_is_refused_with_its_name(tmp_path):
    done = markscan("recognize", "x.jpg", "--models", str(tmp_path), "--catalog", str(tmp_path / "none.xlsx"))
    assert done.returncode == 2 and SERIAL_MODEL in done.stderr


@needs_real_data
def test_the_app_s_confirmed_scans_are_labelled_photos(tmp_path):
    """What a person confirmed labels the scan's photo; a scan not confirmed, or confirmed as a part
    the orders table does not list, teaches nothing."""
    from web import operations
    from web.storage import scans
    from web.storage.database import Database
    from web.storage.photos import LocalPhotoStore

    store = LocalPhotoStore(tmp_path / "photos")
    photo = (REAL_PHOTOS / "images" / "16.JPG").read_bytes()

    async def work():
        db = await Database.open(database_of(tmp_path))
        key = await store.save(photo)
        reading = {"status": "matched", "marking": "", "article": "", "serial": "", "confidence": 0.0}
        made = [(await scans.add_scan(db, f"k{n}", key, "anna", reading))[0] for n in range(3)]
        async with db.transaction() as tx:
            await scans.confirm(tx, made[0].id, "anna", "195-30-1285", "2660", ("", ""))
            await scans.confirm(tx, made[1].id, "anna", "9999-99", "1", ("", ""), off_catalog=True)
        found = await operations.confirmed_photos(db, store)
        await db.close()
        return found

    found = run_in_thread(work())
    assert [(p.truth, p.source) for p in found] == [("195-30-1285 2660", photo)]
    assert found[0].family == "195-30-12"


def test_the_family_split_reads_every_photo_and_says_so_when_asked_for_one_side(tmp_path):
    done = markscan("evaluate", str(tmp_path), "--split", "family", "--side", "tune", "--catalog", "x.xlsx")
    assert done.returncode == 2 and "--split family reads every photo" in done.stderr
