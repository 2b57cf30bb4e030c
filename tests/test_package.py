"""The wheel as a plant installs it: built from the checkout, installed without ``-e`` into a fresh
venv, ``markscan serve --demo`` run away from the checkout, and every page and asset loaded."""

import os
import re
import shutil
import site
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "inference", "web", "templates", "static", "sw")
PAGES = ("/", "/history", "/dock", "/catalog", "/manifest.webmanifest", "/sw.js", "/api/openapi.json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the wheel (the dependencies come from this test run's own environment)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy(path, source / name)
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", work, source]
    subprocess.run(build, check=True, cwd=work)
    (wheel,) = work.glob("markscan-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([venv / "bin" / "pip", "install", "-q", "--no-deps", "--no-index", wheel], check=True)
    # The dependencies: this environment's site-packages as plain paths (its own .pth files, the
    # checkout's editable install among them, are not read).
    (purelib,) = (venv / "lib").glob("python*/site-packages")
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv


def test_the_wheel_carries_the_templates_static_files_and_service_worker(installed):
    (wheel,) = installed.parent.glob("markscan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, packaged in (("templates", "web/templates"), ("static", "web/static"), ("sw", "web/sw")):
        for path in (ROOT / folder).iterdir():
            if path.is_file():
                assert f"{packaged}/{path.name}" in names, path.name
    assert "inference/weights/glyph_head.onnx" in names


def test_the_installed_app_serves_every_page_and_asset_away_from_the_checkout(installed, tmp_path):
    where = subprocess.run(
        [installed / "bin" / "python", "-c", "import web.assets as a; print(a.TEMPLATES, a.STATIC)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(Path(p).is_relative_to(installed) for p in where.stdout.split()), where.stdout
    port = free_port()
    env = {**os.environ, "MARKSCAN_VISUAL_MEMORY": "0"}
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115
    command = [installed / "bin" / "markscan", "serve", "--demo", "--data", tmp_path / "data", "--port", str(port)]
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.3)
        password = re.search(r"demo login: demo / (\S+)", (tmp_path / "serve.log").read_text()).group(1)
        with httpx.Client(base_url=base) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            client.post("/login", data={"name": "demo", "password": password, "csrf_token": token})
            assets = set()
            for page in PAGES:
                answer = client.get(page)
                assert answer.status_code == 200, page
                assets |= set(re.findall(r'(?:href|src)="(/static/[^"?]+)', answer.text))
            static = sorted(p.name for p in (installed / "lib").glob("python*/site-packages/web/static/*"))
            assets |= {f"/static/{name}" for name in static}
            assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
            for asset in sorted(assets):
                assert client.get(asset).status_code == 200, asset
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
