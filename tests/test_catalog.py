from conftest import row

from inference.catalog import CatalogIndex, learn_suffixes, stamped_form


def test_suffixes_are_learned_from_the_table_and_cut():
    articles = ["1391-30-0108 ТС1.1", "АМ116.17.02.015 Пр.", "АНЕМ.494454.125-04.LP ЗИП", "АНЕМ.711447.066Пр."]
    suffixes = learn_suffixes(articles)
    assert {"ТС1.1", "Пр.", "ЗИП"} <= suffixes
    assert [stamped_form(a, suffixes) for a in articles] == [
        "1391-30-0108",
        "АМ116.17.02.015",
        "АНЕМ.494454.125-04.LP",
        "АНЕМ.711447.066",
    ]


def test_one_entry_per_stamped_article_with_all_its_rows():
    index = CatalogIndex([row("195-30-1285 ТС1.1", "1"), row("195-30-1285", "2", order="9"), row("1391-30-0109", "5")])
    assert len(index) == 2
    entry = index.entries["195301285"]
    assert entry.stamped == "195-30-1285"
    assert entry.serials == {"1", "2"}
    assert len(entry.rows) == 2


def _best(index, text):
    matches = index.lookup(text)
    return matches[0] if matches else None


def test_lookup_reads_latin_lookalikes_and_dropped_dots():
    index = CatalogIndex([row("АМ117.07.01.210"), row("АМ117.07.01.211"), row("195-30-1285")])
    best = _best(index, "AM1170701210")
    assert best.entry.stamped == "АМ117.07.01.210"
    assert best.similarity == 1.0


def test_lookup_forgives_ocr_confusions_more_than_other_errors():
    index = CatalogIndex([row("1391-30-0109"), row("1391-30-0189")])
    best = _best(index, "I39I-3O-O1O9")
    assert best.entry.stamped == "1391-30-0109"
    assert best.similarity > 0.6


def test_lookup_returns_the_text_after_the_article():
    index = CatalogIndex([row("195-30-1285", "2660")])
    best = _best(index, "195-30-1285 2660")
    assert best.similarity == 1.0
    assert best.rest == "2660"


def test_unrelated_text_is_not_similar():
    index = CatalogIndex([row("195-30-1285"), row("АМ116.06.00.901-03")])
    best = _best(index, "22K+08X18H10T")
    assert best is None or best.similarity < 0.5


def test_articles_with_serial():
    index = CatalogIndex([row("195-30-1286", "3089"), row("195-30-1285", "2660")])
    assert [e.stamped for e in index.articles_with_serial("3089")] == ["195-30-1286"]
    assert index.articles_with_serial("1") == []


def test_a_large_catalog_finds_the_same_articles_through_its_trigram_index(monkeypatch):
    import random

    import inference.catalog as catalog
    from web.demo import demo_article, ocr_like

    rng = random.Random(5)
    articles = sorted({demo_article(rng) for _ in range(8000)})
    rows = [row(a, "1") for a in articles]
    indexed = CatalogIndex(rows)
    assert indexed._trigrams is not None
    monkeypatch.setattr(catalog, "TRIGRAM_INDEX_FROM", 10**9)
    brute = CatalogIndex(rows)
    assert brute._trigrams is None
    queries = [ocr_like(a, rng) for a in rng.sample(articles, 150)]
    agree = sum(indexed.lookup(q)[0].entry.key == brute.lookup(q)[0].entry.key for q in queries)
    assert agree >= 0.97 * len(queries)


def test_suggestions_find_what_a_worker_reads_off_the_part():
    """The tail of an article, typed with its dash, finds it first; so does a middle group; typos still find it."""
    index = CatalogIndex(
        [row(a, "1") for a in ("АМ116.06.00.901-05", "АМ116.06.00.901", "АМ116.06.00.905", "195-30-1013")]
        + [row(a, "2") for a in ("1013-30-0001", "АМ101.30.00.001", "195-30-1285", "1753-30-1013")]
    )
    assert [e.stamped for e in index.suggest("901-05")][0] == "АМ116.06.00.901-05"
    assert {e.stamped for e in index.suggest("1013")[:2]} == {"195-30-1013", "1753-30-1013"}  # the tail first
    assert "1013-30-0001" in [e.stamped for e in index.suggest("1013")]  # the head too, after
    assert [e.stamped for e in index.suggest("am116.06.00.9O1-05")][0] == "АМ116.06.00.901-05"  # Latin, a letter O
    assert [e.stamped for e in index.suggest("195-30-1258")][0] == "195-30-1285"  # two digits swapped
    assert index.suggest("x") == []
