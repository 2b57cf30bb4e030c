"""The deployment's shape, run for real: the project's Caddyfile (Debian's caddy) in front of
``markscan serve``, reached from a non-loopback address as in the compose network."""

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
CADDY = shutil.which("caddy")


def non_loopback_address() -> str | None:
    """An address of this machine other than 127.0.0.0/8 (the one a route out would use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


ADDRESS = non_loopback_address()
pytestmark = [
    pytest.mark.skipif(CADDY is None, reason="Debian caddy is not installed (apt-get install caddy)"),
    pytest.mark.skipif(ADDRESS is None, reason="this machine has no non-loopback address"),
]


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, **client) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.args[0]} exited"
        try:
            httpx.get(url, timeout=2, **client)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """markscan on the non-loopback address, trusting only that address as its proxy; Caddy on localhost."""
    work = tmp_path_factory.mktemp("deploy")
    app_port, site_port = free_port(ADDRESS), free_port("127.0.0.1")
    env = {
        **os.environ,
        "MARKSCAN_DATA": str(work / "data"),
        "MARKSCAN_VISUAL_MEMORY": "0",
        "MARKSCAN_TRUSTED_PROXIES": ADDRESS,  # Caddy's connections come from here
        "MARKSCAN_SECURE_COOKIES": "1",
    }
    app_log = open(work / "app.log", "w")  # noqa: SIM115
    app = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "--log-level", "info", "serve", "--host", ADDRESS, "--port", str(app_port)],
        cwd=ROOT,
        env=env,
        stdout=app_log,
        stderr=subprocess.STDOUT,
    )
    # Caddy's state in the test's folder, no admin endpoint, its CA not installed anywhere.
    caddyfile = work / "Caddyfile"
    caddyfile.write_text("{\n\tadmin off\n\tskip_install_trust\n}\n" + (ROOT / "Caddyfile").read_text())
    caddy_env = {
        **os.environ,
        "HOME": str(work),
        "XDG_DATA_HOME": str(work / "caddy-data"),
        "XDG_CONFIG_HOME": str(work / "caddy-config"),
        "MARKSCAN_SITE": f"https://localhost:{site_port}",
        "MARKSCAN_UPSTREAM": f"{ADDRESS}:{app_port}",
    }
    caddy = subprocess.Popen(
        [CADDY, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env=caddy_env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "caddy.log", "w"),  # noqa: SIM115
    )
    try:
        wait_for(f"http://{ADDRESS}:{app_port}/healthz", app)
        wait_for(f"https://localhost:{site_port}/healthz", caddy, verify=False)
        yield f"https://localhost:{site_port}", work / "app.log"
    finally:
        for process in (caddy, app):
            process.terminate()
            process.wait(timeout=30)
        app_log.close()


def test_through_caddy_the_page_and_every_asset_it_names_load_over_https(deployment):
    base, _ = deployment
    with httpx.Client(base_url=base, verify=False) as client:
        page = client.get("/login")
        assert page.status_code == 200
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assets = re.findall(r'<(?:link|script)[^>]*?(?:href|src)="([^"]+)"', page.text)
        assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
        for asset in assets:
            assert not asset.startswith("http:"), asset  # nothing the browser would block as mixed content
            assert client.get(asset).status_code == 200, asset
        # The session cookie is Secure, as HTTPS needs.
        assert "secure" in page.headers.get("set-cookie", "").lower()


def test_the_app_believes_the_proxy_about_who_is_asking(deployment):
    """Caddy connects from the non-loopback address; the app sees the client Caddy names (here 127.0.0.1)."""
    base, app_log = deployment
    httpx.get(f"{base}/healthz?who", verify=False)
    deadline = time.monotonic() + 10
    while "/healthz?who" not in app_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    (line,) = [ln for ln in app_log.read_text().splitlines() if "/healthz?who" in ln]
    assert "127.0.0.1:" in line and ADDRESS not in line


def test_a_phone_that_trusts_caddy_s_root_certificate_opens_the_page(deployment):
    """The root the README has phones trust: Caddy's data folder, caddy/pki/authorities/local/root.crt."""
    base, app_log = deployment
    root = app_log.parent / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    with httpx.Client(base_url=base, verify=ssl.create_default_context(cafile=str(root))) as client:
        assert client.get("/login").status_code == 200
    with pytest.raises(httpx.ConnectError):  # a phone that does not trust it is refused
        httpx.get(f"{base}/login")
