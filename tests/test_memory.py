"""Visual memory: search, the cautious vote, and its place in the reading."""

import numpy as np
import pytest
from conftest import row
from test_reading import line

from inference.catalog import CatalogIndex
from inference.lookalikes import skeleton
from inference.memory import Neighbour, VisualMemory, article_support
from inference.models import Models
from inference.reading import read_marking

ROLES = Models.load().roles


def unit(seed: int, dim: int = 384) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


def near(v: np.ndarray, noise: float, seed: int) -> np.ndarray:
    w = v + noise * unit(seed, len(v))
    return w / np.linalg.norm(w)


def test_add_search_remove_round_trip():
    memory = VisualMemory()
    a, b = unit(1), unit(2)
    memory.add(1, a, "195-30-1286", "3089")
    memory.add(2, b, "195-30-1285", "2660")
    hits = memory.search(near(a, 0.1, 3), k=2)
    assert [h.entry_id for h in hits] == [1, 2]
    assert hits[0].similarity > 0.9 and (hits[0].article, hits[0].serial) == ("195-30-1286", "3089")
    assert memory.remove(1) and not memory.remove(1)
    assert [h.entry_id for h in memory.search(a)] == [2]
    assert memory.search(b, exclude=lambda entry_id, article, serial: entry_id == 2) == []
    memory.add(2, a, "195-30-1286", "3093")  # the same id again replaces the entry
    assert len(memory) == 1 and memory.search(a)[0].serial == "3093"


def test_the_approximate_index_finds_what_exact_search_finds():
    centres = [unit(100 + i) for i in range(40)]
    vectors = np.stack([near(centres[i % 40], 0.3, 1000 + i) for i in range(2000)])
    labels = [(f"A-{i % 40}", str(i)) for i in range(2000)]
    exact, approximate = VisualMemory(), VisualMemory(ann_from=1000)
    for memory in (exact, approximate):
        memory.add_many(list(range(2000)), vectors, labels)
    assert approximate.approximate and not exact.approximate
    query = near(centres[7], 0.3, 5)
    found = {n.entry_id for n in approximate.search(query)}
    assert len(found & {n.entry_id for n in exact.search(query)}) >= 8
    assert approximate.remove(7) and 7 not in {n.entry_id for n in approximate.search(vectors[7])}


def test_removed_and_replaced_entries_never_come_back():
    memory = VisualMemory()
    vectors = [unit(200 + i) for i in range(300)]
    memory.add_many(list(range(300)), np.stack(vectors), [("A", str(i)) for i in range(300)])
    for i in range(0, 300, 2):  # half of them: the index is compacted on the way
        assert memory.remove(i)
    memory.add(1, vectors[0], "B", "new")  # entry 1 now looks like entry 0 did
    assert len(memory) == 150
    assert memory.search(vectors[0], k=1)[0] == Neighbour(1, "B", "new", pytest.approx(1.0, abs=1e-3))
    assert all(n.entry_id % 2 == 1 for n in memory.search(vectors[2], k=150))


def test_one_neighbour_alone_supports_nothing():
    assert article_support([Neighbour(1, "195-30-1286", "1", 0.95)]) == {}
    two = [Neighbour(1, "195-30-1286", "1", 0.9), Neighbour(2, "195-30-1286", "2", 0.8)]
    assert article_support(two) == {"195-30-1286": 1.0}
    split = two + [Neighbour(3, "1391-30-0109", "3", 0.9), Neighbour(4, "1391-30-0109", "4", 0.85)]
    assert article_support(split) == pytest.approx({"195-30-1286": 1.7 / 3.45, "1391-30-0109": 1.75 / 3.45})


# 3089 is listed for two articles: the OCR alone cannot tell which.
INDEX = CatalogIndex(
    [row("195-30-1286", s) for s in ("3085", "3089", "3093")] + [row("195-30-1222", "3089"), row("195-30-1285", "2660")]
)


def test_memory_completes_a_serial_only_reading():
    lines = [line("3089", 0)]
    assert read_marking(lines, INDEX, ROLES)[0].marking == "195-30-1222 3089"  # a tie, broken by name
    remembered = read_marking(lines, INDEX, ROLES, memory={skeleton("195-30-1286"): 0.9})
    assert remembered[0].marking == "195-30-1286 3089" and remembered[0].memory_share == 0.9


def test_memory_recalls_an_article_the_ocr_missed():
    lines = [line("2660", 0)]  # listed for 195-30-1285 only; nothing else read
    remembered = read_marking(lines, INDEX, ROLES, memory={skeleton("195-30-1285"): 1.0})
    assert remembered[0].marking == "195-30-1285 2660"


def test_the_memory_never_names_an_article_on_its_own():
    assert read_marking([], INDEX, ROLES, memory={skeleton("195-30-1286"): 1.0}) == []
    # Text that holds nothing of the article or its serials: still nothing from the memory.
    assert read_marking([line("ST20", 0)], INDEX, ROLES, memory={skeleton("195-30-1286"): 1.0}) == []


def test_a_clear_reading_is_never_overridden():
    lines = [line("195-30-1285", 0), line("2660", 40)]
    remembered = read_marking(lines, INDEX, ROLES, memory={skeleton("195-30-1286"): 1.0})
    assert remembered[0].marking == "195-30-1285 2660"


def test_a_poisoned_entry_cannot_flip_a_result():
    memory = VisualMemory()
    look = unit(7)
    for i in range(3):
        memory.add(i, near(look, 0.2, 10 + i), "195-30-1286", str(3085 + i))
    memory.add(99, near(look, 0.05, 20), "195-30-1285", "2660")  # the closest, and wrong
    support = article_support(memory.search(look))
    assert memory.search(look)[0].entry_id == 99
    assert list(support) == ["195-30-1286"]  # the poisoned entry alone supports nothing
    lines = [line("3089", 0)]
    remembered = read_marking(lines, INDEX, ROLES, memory={skeleton(a): s for a, s in support.items()})
    assert remembered[0].article == "195-30-1286"
