"""The deployment files: compose and Caddy are written and checked here, not run (no Docker engine)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_markscan_behind_caddy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"markscan", "caddy"}
    assert services["markscan"]["build"] == "."
    assert any(v.endswith(":/data") for v in services["markscan"]["volumes"])
    assert services["markscan"]["environment"]["MARKSCAN_SECURE_COOKIES"] == "1"
    assert services["markscan"]["environment"]["MARKSCAN_TRUSTED_PROXIES"] == "*"
    assert "443:443" in services["caddy"]["ports"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]
    assert set(compose["volumes"]) == {"markscan-data", "caddy-data"}


def test_caddy_proxies_to_the_app_and_the_image_serves_the_data_volume():
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert "reverse_proxy {$MARKSCAN_UPSTREAM:markscan:8000}" in caddyfile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"--data", "/data"' in dockerfile and "EXPOSE 8000" in dockerfile
    for folder in ("inference", "web", "templates", "static", "sw"):
        assert f"COPY {folder} {folder}" in dockerfile
