"""markscan backup and restore: taken while the server runs, restored into a new data folder."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import make_client, served

from web.demo import render_marking

ROOT = Path(__file__).resolve().parents[1]


def markscan(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env
    )


def snapshot(client, headers: dict) -> tuple[list, dict]:
    """The scans as the API lists them, and each scan's photo."""
    scans = client.get("/api/scans", params={"limit": 500}, headers=headers).json()["scans"]
    photos = {s["id"]: client.get(f"/scans/{s['id']}/photo.jpg", headers=headers).content for s in scans}
    return scans, photos


def test_a_backup_taken_while_the_server_runs_restores_the_same_data(app_data, ocr_engine, request, tmp_path):
    data_dir, tokens = app_data
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    with served(make_client(data_dir, ocr_engine, workers=2).app) as base, httpx.Client(base_url=base) as client:
        made = []
        for i, marking in enumerate(("1391-30-1583 1574", "1391-30-1583 1575", "195-30-1285 2660")):
            photo = {"photo": ("p.jpg", render_marking(marking, seed=90 + i).jpeg, "image/jpeg")}
            answer = client.post(
                "/api/scans", files=photo, data={"idempotency_key": f"backup-key-{i:04d}"}, headers=admin
            )
            assert answer.status_code == 201, answer.text
            made.append(answer.json())
        fields = {"not_in_catalog": True, "duplicate": True}
        assert client.post(f"/api/scans/{made[0]['id']}/confirm", json=fields, headers=admin).status_code == 200
        fixed = {"serial": "9999", **fields}
        assert client.post(f"/api/scans/{made[1]['id']}/confirm", json=fixed, headers=admin).status_code == 200
        taken = markscan("backup", str(tmp_path / "backup"), "--data", str(data_dir))  # the server keeps running
        assert taken.returncode == 0, taken.stderr
        assert "photos" in taken.stdout and "not found" not in taken.stdout
        before = snapshot(client, admin)
    assert markscan("backup", str(tmp_path / "backup"), "--data", str(data_dir)).returncode == 1  # not over a backup

    env, url = {**os.environ}, ""
    if os.environ.get("MARKSCAN_DATABASE_URL"):  # restored into an empty database of its own
        env["MARKSCAN_DATABASE_URL"] = url = request.getfixturevalue("postgres").new_database()
    new_data = tmp_path / "restored"
    restored = markscan("restore", str(tmp_path / "backup"), "--data", str(new_data), env=env)
    assert restored.returncode == 0, restored.stderr
    with make_client(new_data, ocr_engine, database_url=url) as client:
        after = snapshot(client, admin)  # the old tokens too: the same users
    assert after == before
    assert (
        markscan("restore", str(tmp_path / "backup"), "--data", str(new_data), env=env).returncode == 1
    )  # not over data
