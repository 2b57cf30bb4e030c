"""The deployment files: compose and Caddy are written and checked here, not run (no Docker engine)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_markscan_behind_caddy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    default = {name for name, service in services.items() if not service.get("profiles")}
    assert default == {"markscan", "caddy"}
    assert services["markscan"]["build"] == "."
    assert any(v.endswith(":/data") for v in services["markscan"]["volumes"])
    assert services["markscan"]["environment"]["MARKSCAN_SECURE_COOKIES"] == "1"
    assert services["markscan"]["environment"]["MARKSCAN_TRUSTED_PROXIES"] == "*"
    assert "443:443" in services["caddy"]["ports"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]
    assert {"markscan-data", "caddy-data"} <= set(compose["volumes"])


def test_caddy_proxies_to_the_app_and_the_image_serves_the_data_volume():
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert "reverse_proxy {$MARKSCAN_UPSTREAM:markscan:8000}" in caddyfile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"--data", "/data"' in dockerfile and "EXPOSE 8000" in dockerfile
    for folder in ("inference", "web", "templates", "static", "sw"):
        assert f"COPY {folder} {folder}" in dockerfile


def test_the_scaled_profile_runs_replicas_on_postgres_and_an_s3_store_behind_caddy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    scaled = {name for name, service in services.items() if "scaled" in service.get("profiles", [])}
    assert scaled == {"postgres", "seaweedfs", "markscan-replica", "caddy-scaled"}
    replica = services["markscan-replica"]["environment"]
    assert (
        replica["MARKSCAN_DATABASE_URL"].startswith("postgresql://")
        and "@postgres:" in replica["MARKSCAN_DATABASE_URL"]
    )
    assert (
        replica["MARKSCAN_PHOTO_STORE"].startswith("s3://")
        and replica["MARKSCAN_S3_ENDPOINT"] == "http://seaweedfs:8333"
    )
    caddyfile = (ROOT / "Caddyfile.scaled").read_text()
    assert "dynamic a markscan-replica 8000" in caddyfile and "health_uri /healthz" in caddyfile
    assert "./Caddyfile.scaled:/etc/caddy/Caddyfile:ro" in services["caddy-scaled"]["volumes"]


def test_the_gpu_profile_runs_the_torch_backend_on_one_gpu_behind_the_same_caddy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    gpu = {name for name, service in services.items() if "gpu" in service.get("profiles", [])}
    assert gpu == {"markscan-gpu"}
    service = services["markscan-gpu"]
    assert service["build"]["args"]["EXTRAS"] == "[gpu]"
    env = service["environment"]
    assert env["MARKSCAN_BACKEND"] == "torch" and env["MARKSCAN_DEVICE"] == "cuda"
    assert int(env["MARKSCAN_WORKERS"]) >= 8  # concurrent photos are what the GPU batches
    (device,) = service["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert "markscan-data:/data" in service["volumes"]
    assert services["caddy"]["environment"]["MARKSCAN_UPSTREAM"] == "${MARKSCAN_UPSTREAM:-markscan:8000}"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ARG EXTRAS=""' in dockerfile and 'pip install --no-cache-dir ".${EXTRAS}"' in dockerfile
