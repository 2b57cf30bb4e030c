"""Visual memory: search, the cautious vote, and its place in the reading."""

import numpy as np
from conftest import row
from test_reading import line

from inference.catalog import CatalogIndex
from inference.memory import Neighbour, VisualMemory, vote
from inference.reading import apply_memory, read_marking


def unit(seed: int, dim: int = 384) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


def near(v: np.ndarray, noise: float, seed: int) -> np.ndarray:
    w = v + noise * unit(seed, len(v))
    return w / np.linalg.norm(w)


def test_add_search_remove_round_trip():
    memory = VisualMemory()
    a, b = unit(1), unit(2)
    memory.add("scan-1", a, "195-30-1286", "3089")
    memory.add("scan-2", b, "195-30-1285", "2660")
    hits = memory.search(near(a, 0.1, 3), k=2)
    assert [h.ref for h in hits] == ["scan-1", "scan-2"]
    assert hits[0].similarity > 0.9
    assert memory.remove("scan-1") and not memory.remove("scan-1")
    assert [h.ref for h in memory.search(a)] == ["scan-2"]
    assert [h.ref for h in memory.search(b, exclude=lambda ref, article, serial: ref == "scan-2")] == []


def test_one_neighbour_alone_does_not_decide():
    assert vote([Neighbour("x", "195-30-1286", "1", 0.95)]) is None
    two = [Neighbour("x", "195-30-1286", "1", 0.9), Neighbour("y", "195-30-1286", "2", 0.8)]
    assert vote(two).article == "195-30-1286"
    split = two + [Neighbour("z", "1391-30-0109", "3", 0.9), Neighbour("w", "1391-30-0109", "4", 0.85)]
    assert vote(split) is None  # no clear majority


INDEX = CatalogIndex([row("195-30-1286", s) for s in ("3085", "3089", "3093")] + [row("195-30-1285", "2660")])


def test_memory_completes_a_serial_only_reading():
    lines = [line("3089", 0), line("19S", 40)]
    candidates = read_marking(lines, INDEX)
    updated, changed = apply_memory(candidates, lines, INDEX, "195-30-1286", 0.9)
    assert updated[0].marking == "195-30-1286 3089"


def test_a_clear_reading_is_never_overridden():
    lines = [line("195-30-1285", 0), line("2660", 40)]
    candidates = read_marking(lines, INDEX)
    updated, changed = apply_memory(candidates, lines, INDEX, "195-30-1286", 1.0)
    assert not changed and updated[0].marking == "195-30-1285 2660"


def test_a_poisoned_entry_cannot_flip_a_result():
    memory = VisualMemory()
    look = unit(7)
    for i in range(3):
        memory.add(f"good-{i}", near(look, 0.2, 10 + i), "195-30-1286", str(3085 + i))
    memory.add("poisoned", near(look, 0.05, 20), "195-30-1285", "2660")  # the closest, and wrong
    chosen = vote(memory.search(look))
    assert chosen.article == "195-30-1286"
