"""The reference pages generated from the code match it, and the docs name only settings that exist."""

import re
from pathlib import Path

import pytest

from web.config import Config, variable
from web.reference import PAGES

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", sorted(PAGES))
def test_a_generated_page_matches_the_code(path):
    written = (ROOT / path).read_text(encoding="utf-8")
    assert written == PAGES[path](), f"{path} is out of date: python scripts/generate_docs.py"


def test_the_docs_name_only_settings_that_exist():
    known = {variable(name) for name in Config.model_fields}
    deployment = set(re.findall(r"MARKSCAN_[A-Z0-9_]+", (ROOT / "docker-compose.yml").read_text(encoding="utf-8")))
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = {
        (page.name, name) for page in pages for name in re.findall(r"MARKSCAN_[A-Z0-9_]*[A-Z0-9]", page.read_text())
    }
    unknown = sorted((page, name) for page, name in named if name not in known | deployment)
    assert not unknown, f"settings that do not exist: {unknown}"


def test_the_docs_link_to_files_that_exist():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append((page.relative_to(ROOT).as_posix(), target))
    assert not broken, f"links to nothing: {broken}"
