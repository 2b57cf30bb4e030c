"""Where the pages' templates, static files and service worker lie.

A source checkout keeps them at its top (``templates/``, ``static/``, ``sw/``); an
installed wheel carries them inside the ``web`` package (``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

_WEB = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """The folder ``name`` as installed beside the code, else at the top of the checkout."""
    installed = _WEB / name
    return installed if installed.is_dir() else _WEB.parent / name


TEMPLATES = asset_dir("templates")
STATIC = asset_dir("static")
SERVICE_WORKER = asset_dir("sw") / "sw.js"
