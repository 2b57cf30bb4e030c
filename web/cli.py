"""The ``markscan`` command: the same operations the server offers, from a shell."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

from web.catalog_source import DEFAULT_DATA_DIR, database_path, load_catalog_rows, run_with_database, shown

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
log = logging.getLogger("markscan")


def _backend(args: argparse.Namespace):
    """The models' runtime: ``--backend``, else $MARKSCAN_BACKEND (with $MARKSCAN_DEVICE, $MARKSCAN_PRECISION)."""
    from inference.backends import Backend

    return Backend.from_env(name=getattr(args, "backend", None))


def _recognizer(args: argparse.Namespace):
    """A recognizer for the CLI: the catalog it names, and the app's visual memory with ``--memory``."""
    from inference.catalog import CatalogIndex
    from inference.pipeline import Recognizer

    rows = load_catalog_rows(args.catalog, args.data)
    backend = _backend(args)
    recognizer = Recognizer(backend.ocr_engine(), CatalogIndex(rows))
    if getattr(args, "app_memory", False):
        from web import visual_memory

        recognizer.embedder = backend.embedder()
        recognizer.memory = _with_database(args.data, lambda db: visual_memory.load(db, recognizer.embedder))
    return recognizer


def image_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _with_database(data_dir: str | Path, work):
    """Run ``await work(db)`` against the app's database and close it."""
    return run_with_database(database_path(data_dir), work)


def cmd_recognize(args: argparse.Namespace) -> int:
    from inference.annotate import annotated_jpeg
    from inference.photo import PhotoError
    from inference.reading import UNREADABLE

    recognizer = _recognizer(args)
    if args.one_part:
        return _recognize_one_part(recognizer, args.photos)
    failed = 0
    results = []
    for path in args.photos:
        try:
            recognition = recognizer.recognize(Path(path))
        except (PhotoError, OSError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        if recognition.status == UNREADABLE:
            print(f"{path}: no text found on the photo", file=sys.stderr)
            failed += 1
        result = {"photo": str(path), **recognition.to_dict()}
        if args.annotate:
            out = Path(args.annotate)
            out.mkdir(parents=True, exist_ok=True)
            target = out / (Path(path).stem + ".annotated.jpg")
            target.write_bytes(annotated_jpeg(recognition))
            result["annotated"] = str(target)
        results.append(result)
    json.dump(
        results if len(args.photos) > 1 else (results[0] if results else None), sys.stdout, ensure_ascii=False, indent=2
    )
    print()
    return 1 if failed else 0


def _recognize_one_part(recognizer, paths: list[str]) -> int:
    """Read several photos of one part and print one fused reading."""
    from inference.fusion import fuse
    from inference.photo import PhotoError

    readings = []
    for path in paths:
        try:
            readings.append({"photo": str(path), **recognizer.recognize(Path(path)).to_dict()})
        except (PhotoError, OSError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
    if not readings:
        return 1
    fused = fuse(readings, recognizer.confidence.sure_from)
    fused["photos"] = [
        {key: r[key] for key in ("photo", "marking", "status", "probability", "sure")} for r in fused["photos"]
    ]
    del fused["photo"]
    json.dump(fused, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0 if fused["marking"] else 1


def cmd_batch(args: argparse.Namespace) -> int:
    from inference.photo import PhotoError
    from inference.scoring import format_yolo

    recognizer = _recognizer(args)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["image_file", "label", "label_text"])
        for path in image_files(Path(args.directory)):
            try:
                recognition = recognizer.recognize(path)
                if not recognition.marking:
                    log.warning("%s: no text found on the photo", path.name)
                writer.writerow([path.name, format_yolo(recognition.yolo_boxes()), recognition.marking])
            except (PhotoError, OSError) as exc:
                log.warning("%s: %s", path.name, exc)
                writer.writerow([path.name, "", ""])
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from inference.confidence import evidence
    from inference.photo import PhotoError
    from inference.scoring import held_out

    directory = Path(args.directory)
    with open(directory / "labels.csv", encoding="utf-8") as f:
        every = list(csv.DictReader(f))
    on_side = [args.side == "all" or held_out(label["label_text"]) == (args.side == "held-out") for label in every]
    labels = [label for label, inside in zip(every, on_side, strict=True) if inside]
    if args.memory == "other-side" and args.side == "all":
        print("--memory other-side needs --side tune or --side held-out", file=sys.stderr)
        return 2
    recognizer = _recognizer(args)
    if args.memory == "leave-one-out":
        recognizer.embedder, recognizer.memory = _labelled_memory(directory, labels, _backend(args))
    elif args.memory == "other-side":
        others = [label for label, inside in zip(every, on_side, strict=True) if not inside]
        recognizer.embedder, recognizer.memory = _labelled_memory(directory, others, _backend(args))
    scores, plain_scores, latencies, memory_times, photos = [], [], [], [], []
    memory_changed = 0
    readings_by_marking: dict[str, list[dict]] = defaultdict(list)
    records = open(args.records, "w", encoding="utf-8") if args.records else None  # noqa: SIM115
    for label in labels:
        path = directory / "images" / label["image_file"]
        truth = label["label_text"]

        def exclude(entry_id: int, article: str, serial: str, truth=truth) -> bool:
            return f"{article} {serial}".strip() == truth  # never a photo of the same marking

        t = time.perf_counter()
        try:
            recognition = recognizer.recognize(path, exclude=exclude)
        except (PhotoError, OSError) as exc:
            log.warning("%s: %s", path.name, exc)
            recognition = None
        latencies.append(time.perf_counter() - t)
        score = _score(label, recognition)
        scores.append(score)
        read = recognition.marking if recognition else ""
        sure = bool(recognition and recognition.sure)
        probability = recognition.probability if recognition else 0.0
        photos.append((label["image_file"], truth, read, score.exact == 1, sure, probability))
        if recognition is not None:
            readings_by_marking[truth].append(recognition.to_dict())
        if args.memory:
            plain_scores.append(_score(label, recognition and recognition.without_memory()))
            memory_changed += bool(recognition and recognition.memory_changed)
            memory_times.append(recognition.timings.get("memory", 0.0) if recognition else 0.0)
        if records is not None:
            best = recognition.best if recognition else None
            facts = evidence(best, recognition.candidates, recognizer.index) if best else {}
            record = {"image_file": label["image_file"], "truth": truth, "read": read, "right": score.exact == 1}
            record.update(held_out=held_out(truth), probability=probability, sure=sure, evidence=facts)
            records.write(json.dumps(record, ensure_ascii=False) + "\n")
    if records is not None:
        records.close()
    latencies.sort()
    summary = {
        "n": len(scores),
        "side": args.side,
        **_means(scores),
        **_trust([p[3] for p in photos], [p[4] for p in photos], [p[5] for p in photos]),
        "p50_s": round(_percentile(latencies, 50), 3),
        "p95_s": round(_percentile(latencies, 95), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    summary.update(_parts(readings_by_marking, recognizer.confidence.sure_from))
    if args.memory:
        memory_times.sort()
        summary["memory_changed"] = memory_changed
        summary["memory_lowered"] = sum(a.score < b.score for a, b in zip(scores, plain_scores, strict=True))
        summary["memory_added_p50_s"] = round(_percentile(memory_times, 50), 3)
        summary["memory_added_p95_s"] = round(_percentile(memory_times, 95), 3)
        summary["without_memory"] = _means(plain_scores)
    if args.verbose:
        # Wrong-but-sure first: the misses a clerk would not catch.
        for name, truth, text, _, sure, probability in sorted((p for p in photos if not p[3]), key=lambda p: not p[4]):
            flag = "SURE " if sure else ""
            print(f"  {flag}{name}: expected {truth!r}, read {text!r} (p {probability:.2f})", file=sys.stderr)
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{summary['n']} photos  score {summary['score']:.4f}  (IoU {summary['iou']:.3f}, "
            f"char {summary['char']:.3f}, exact {summary['exact']:.3f}, "
            f"exact after folding look-alikes {summary['exact_folded']:.3f})\n"
            f"sure {summary['sure_share']:.3f} of photos, wrong but sure {summary['wrong_sure']:.3f}, "
            f"ECE {summary['ece']:.3f}\n"
            f"markings photographed more than once, read as one part: {summary['parts_right']} of "
            f"{summary['parts']} right, {summary['parts_sure']} sure, {summary['parts_wrong_sure']} wrong but sure\n"
            f"latency p50 {summary['p50_s']} s, p95 {summary['p95_s']} s; peak memory {summary['peak_rss_mb']} MB"
        )
        if args.memory:
            plain = summary["without_memory"]
            print(
                f"without memory: score {plain['score']:.4f}, exact {plain['exact']:.3f}; memory changed "
                f"{memory_changed} answers ({summary['memory_lowered']} for the worse), "
                f"added p50 {summary['memory_added_p50_s']} s, "
                f"p95 {summary['memory_added_p95_s']} s"
            )
    return 0


def _parts(readings_by_marking: dict[str, list[dict]], sure_from: float) -> dict[str, int]:
    """Every marking photographed more than once, its photos read as one part (as ``recognize --one-part``)."""
    from inference.fusion import fuse

    parts = {truth: fuse(readings, sure_from) for truth, readings in readings_by_marking.items() if len(readings) > 1}
    return {
        "parts": len(parts),
        "parts_right": sum(fused["marking"] == truth for truth, fused in parts.items()),
        "parts_sure": sum(fused["sure"] for fused in parts.values()),
        "parts_wrong_sure": sum(fused["sure"] and fused["marking"] != truth for truth, fused in parts.items()),
    }


def _trust(right: list[bool], sure: list[bool], probabilities: list[float]) -> dict[str, float]:
    """How far "sure" can be trusted: its share, how often it is wrong, and the calibration error."""
    from inference.scoring import expected_calibration_error

    n = len(right) or 1
    called = sum(sure)
    wrong = sum(s and not r for r, s in zip(right, sure, strict=True))
    return {
        "sure_share": round(called / n, 4),
        "wrong_sure": round(wrong / n, 4),
        "wrong_among_sure": round(wrong / called, 4) if called else 0.0,
        "ece": round(expected_calibration_error(probabilities, right), 4),
    }


def _labelled_memory(directory: Path, labels: list[dict], backend):
    """The embedder and a visual memory of every labelled photo in ``directory``."""
    from inference.memory import VisualMemory
    from inference.photo import PhotoError, load_photo

    embedder = backend.embedder()
    memory = VisualMemory(embedder.dimension)
    for number, label in enumerate(labels):
        article, _, serial = label["label_text"].partition(" ")
        try:
            photo = load_photo(directory / "images" / label["image_file"])
        except (PhotoError, OSError):
            continue
        memory.add(number, embedder.embed(photo.image), article, serial)
    return embedder, memory


def _score(label: dict, recognition):
    from inference.scoring import parse_yolo, score_reading

    text, boxes = (recognition.marking, recognition.yolo_boxes()) if recognition else ("", [])
    return score_reading(label["label_text"], parse_yolo(label["label"]), text, boxes)


def _means(scores: list) -> dict[str, float]:
    """The mean score and its parts."""
    return {key: _mean([getattr(s, key) for s in scores]) for key in ("score", "iou", "char", "exact", "exact_folded")}


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def cmd_catalog_import(args: argparse.Namespace) -> int:
    """The same import as the Catalog page's, by an admin at the server's shell."""
    from web import operations
    from web.config import Config
    from web.storage.users import User

    shell_admin = User("shell", "admin")  # whoever runs the CLI on the server administers it
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"{args.file}: {exc}; the catalog was not changed", file=sys.stderr)
        return 2

    def run(db):
        services = operations.Services(db, None, Config.from_env(data_dir=Path(args.data)).photos())
        return operations.import_orders(services, shell_admin, data, "merge" if args.merge else "replace")

    try:
        report = _with_database(args.data, run)
    except operations.Refused as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    rejected = report["rejected"]
    print(f"{report['kept']} rows kept, {len(rejected)} rejected, {report['empty_rows']} empty")
    for problem in rejected[:50]:
        print(f"  row {problem['row']}: {problem['reason']}")
    print(f"{'merged' if args.merge else 'imported'} {report['written']} rows into {shown(database_path(args.data))}")
    return 0


def seed_demo(data_dir: Path) -> str:
    """Fill an empty database with the made-up demo plant; write its photos."""
    from web.demo import demo_photos, demo_rows

    async def seed(db) -> int:
        return await db.replace_catalog(demo_rows()) if await db.catalog_size() == 0 else 0

    added = _with_database(data_dir, seed)
    photos_dir = data_dir / "demo-photos"
    photos_dir.mkdir(parents=True, exist_ok=True)
    rows = demo_rows()
    for i, photo in enumerate(demo_photos(rows)):
        (photos_dir / f"demo-{i + 1}.jpg").write_bytes(photo.jpeg)
    catalog = f"demo catalog of {added} rows written" if added else "catalog already present, left as it is"
    return f"{catalog}; demo photos in {photos_dir}"


def cmd_memory_add(args: argparse.Namespace) -> int:
    from web import visual_memory
    from web.config import Config

    directory = Path(args.directory)
    if not (directory / "labels.csv").is_file() or not (directory / "images").is_dir():
        print(f"{directory}: expected images/ and labels.csv (image_file, label_text)", file=sys.stderr)
        return 2
    embedder = _backend(args).embedder()
    photos = Config.from_env(data_dir=Path(args.data)).photos()

    async def seed(db):
        try:
            return await visual_memory.seed_folder(db, embedder, photos, directory)
        finally:
            await photos.close()

    added, problems = _with_database(args.data, seed)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{added} photos added to the visual memory ({len(problems)} skipped)")
    return 0


def cmd_memory_stats(args: argparse.Namespace) -> int:
    from web.storage import memory

    stats = _with_database(args.data, memory.stats)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
    elif not stats["embedders"]:
        print("the visual memory is empty")
    for e in [] if args.json else stats["embedders"]:
        print(
            f"{e['entries']} photos of {e['articles']} articles ({e['from_scans']} confirmed scans, "
            f"{e['seeded']} seeded), {e['oldest'][:10]} to {e['newest'][:10]}; embedder: {e['embedder']}"
        )
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    import getpass

    from web.storage import users

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if password != getpass.getpass("again: "):
            print("the passwords differ; nothing changed", file=sys.stderr)
            return 2
    try:
        user = _with_database(args.data, lambda db: users.add_user(db, args.name, password, args.role))
    except ValueError as exc:
        print(f"{exc}; nothing changed", file=sys.stderr)
        return 2
    print(f"user {user.name} ({user.role}) saved")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from web.storage import users

    disabled = args.func is cmd_user_disable
    if not _with_database(args.data, lambda db: users.set_disabled(db, args.name, disabled)):
        print(f"no user named {args.name!r}", file=sys.stderr)
        return 2
    print(f"user {args.name} {'disabled: signed out everywhere, tokens refused' if disabled else 'enabled'}")
    return 0


def cmd_user_enable(args: argparse.Namespace) -> int:
    return cmd_user_disable(args)


def cmd_token_create(args: argparse.Namespace) -> int:
    from web.storage import users

    try:
        token = _with_database(args.data, lambda db: users.create_token(db, args.name, args.days))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from web.storage import users

    for token in _with_database(args.data, lambda db: users.list_tokens(db, args.name)):
        print(f"{token.id}  created {token.created_at}  expires {token.expires_at}")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from web.storage import users

    try:
        revoked = _with_database(args.data, lambda db: users.revoke_tokens(db, args.name, args.id or ""))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{revoked} token(s) of {args.name} revoked")
    return 0 if revoked else 1


def demo_login(data_dir: Path) -> str:
    """A fresh password for the demo admin, printed at each demo start."""
    import secrets

    from web.storage import users

    password = secrets.token_urlsafe(12)
    _with_database(data_dir, lambda db: users.add_user(db, "demo", password, "admin"))
    return f"demo login: demo / {password}"


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app
    from web.config import Config, ConfigError

    config = Config.from_env(
        data_dir=Path(args.data) if args.data else None, workers=args.workers, backend=args.backend
    )
    if args.demo:
        print(seed_demo(config.data_dir), flush=True)
        print(demo_login(config.data_dir), flush=True)
    try:
        app = create_app(config)
    except ConfigError as exc:
        print(f"markscan: {exc}", file=sys.stderr)
        return 2
    print(f"markscan: http://{args.host}:{args.port}/  (data in {config.data_dir})", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level.lower(),
        proxy_headers=True,
        forwarded_allow_ips=config.trusted_proxies,
    )
    return 0


def _onec(args: argparse.Namespace, work) -> int:
    """Run ``await work(client, db)`` with the configured 1C connection; errors as messages."""
    from web.onec.client import OnecClient, OnecError
    from web.onec.config import OnecConfig

    config = OnecConfig.load(args.data)
    if config is None:
        print(
            "1C is not configured: set MARKSCAN_ONEC_URL, MARKSCAN_ONEC_USER, MARKSCAN_ONEC_PASSWORD", file=sys.stderr
        )
        return 2

    async def run(db):
        async with OnecClient(config) as client:
            return await work(client, db)

    try:
        return _with_database(args.data, run)
    except OnecError as exc:
        print(f"1C: {exc}", file=sys.stderr)
        return 1


def cmd_onec_check(args: argparse.Namespace) -> int:
    async def check(client, db) -> int:
        problems = await client.check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print(f"1C ok: {client.config.root} as {client.config.user}, mapping complete")
        return 1 if problems else 0

    return _onec(args, check)


def cmd_onec_sync(args: argparse.Namespace) -> int:
    from web.onec.sync import sync_orders

    async def sync(client, db) -> int:
        report = await sync_orders(db, client, incremental=args.incremental)
        print(report.summary())
        return 0

    return _onec(args, sync)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="markscan", description="Read stamped part markings and find their orders.")
    parser.add_argument("--log-level", default="WARNING")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_backend(p: argparse.ArgumentParser) -> None:
        from inference.backends import BACKENDS

        p.add_argument(
            "--backend",
            choices=BACKENDS,
            help="what runs the models (default: $MARKSCAN_BACKEND or onnx; torch reads $MARKSCAN_DEVICE)",
        )

    def with_catalog(p: argparse.ArgumentParser) -> None:
        p.add_argument("--catalog", help="orders .xlsx or markscan database (default: the app's database)")
        p.add_argument("--data", default=str(DEFAULT_DATA_DIR), help="the app's data folder")
        with_backend(p)

    p = sub.add_parser("recognize", help="read photos, print JSON")
    p.add_argument("photos", nargs="+")
    p.add_argument("--annotate", metavar="DIR", help="also write annotated JPEGs here")
    p.add_argument(
        "--memory", dest="app_memory", action="store_true", help="with the app's visual memory of confirmed photos"
    )
    p.add_argument("--one-part", action="store_true", help="the photos show one part: print one fused reading")
    with_catalog(p)
    p.set_defaults(func=cmd_recognize)

    p = sub.add_parser("batch", help="read every photo in DIR into a submission CSV")
    p.add_argument("directory")
    p.add_argument("--out", default="predictions.csv")
    with_catalog(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("evaluate", help="score readings against DIR/labels.csv")
    p.add_argument("directory")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="list the photos read wrong, wrong-but-sure first")
    p.add_argument(
        "--side",
        choices=["all", "tune", "held-out"],
        default="all",
        help="the photos of markings kept back from tuning (held-out), the others (tune), or all",
    )
    p.add_argument("--records", metavar="FILE", help="write each photo's reading and evidence here (JSON lines)")
    p.add_argument(
        "--memory",
        choices=["leave-one-out", "other-side"],
        help="with a visual memory of the other labelled photos (never those of the same marking), "
        "or of the photos on the other side of the held-out split (as the app meets new markings)",
    )
    with_catalog(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("serve", help="start the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", help=f"holds the database and the photos (default: $MARKSCAN_DATA or {DEFAULT_DATA_DIR})")
    p.add_argument("--workers", type=int, help="recognition threads (default: $MARKSCAN_WORKERS or CPU cores)")
    p.add_argument("--demo", action="store_true", help="seed a demo catalog and photos if the database is empty")
    with_backend(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("user", help="people who may sign in")
    user = p.add_subparsers(dest="user_command", required=True)
    p = user.add_parser("add", help="create a user, or set a user's password and role")
    p.add_argument("name")
    p.add_argument("--role", choices=["operator", "admin"], default="operator")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    p.set_defaults(func=cmd_user_add)
    for name, func, what in (
        ("disable", cmd_user_disable, "end a user's sessions and refuse their sign-in and tokens"),
        ("enable", cmd_user_enable, "let a disabled user sign in again"),
    ):
        p = user.add_parser(name, help=what)
        p.add_argument("name")
        p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
        p.set_defaults(func=func)

    p = sub.add_parser("token", help="API tokens for devices and scripts")
    token = p.add_subparsers(dest="token_command", required=True)
    p = token.add_parser("create", help="print a new API token for user NAME (sent as Authorization: Bearer)")
    p.add_argument("name")
    p.add_argument("--days", type=int, default=365, help="how long the token is valid (default 365)")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    p.set_defaults(func=cmd_token_create)
    p = token.add_parser("list", help="user NAME's tokens: id, created, expires (never the token itself)")
    p.add_argument("name")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    p.set_defaults(func=cmd_token_list)
    p = token.add_parser("revoke", help="revoke user NAME's token ID (as `token list` shows it), or all of them")
    p.add_argument("name")
    p.add_argument("id", nargs="?")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    p.set_defaults(func=cmd_token_revoke)

    p = sub.add_parser("onec", help="the link to 1C:Enterprise (OData)")
    onec = p.add_subparsers(dest="onec_command", required=True)
    p = onec.add_parser("check", help="connectivity, login, $metadata and the field mapping")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    p.set_defaults(func=cmd_onec_check)
    p = onec.add_parser("sync", help="the catalog from the orders in 1C")
    p.add_argument("--incremental", action="store_true", help="write only rows added, changed or gone")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    p.set_defaults(func=cmd_onec_sync)

    p = sub.add_parser("catalog", help="the orders catalog")
    catalog = p.add_subparsers(dest="catalog_command", required=True)
    p = catalog.add_parser("import", help="import an orders .xlsx into the app's database")
    p.add_argument("file")
    p.add_argument("--merge", action="store_true", help="add new rows instead of replacing the catalog")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    p.set_defaults(func=cmd_catalog_import)

    p = sub.add_parser("memory", help="the visual memory of confirmed photos")
    memory = p.add_subparsers(dest="memory_command", required=True)
    p = memory.add_parser("add", help="remember the photos of a labelled folder (images/ + labels.csv)")
    p.add_argument("directory")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    with_backend(p)
    p.set_defaults(func=cmd_memory_add)
    p = memory.add_parser("stats", help="what the visual memory holds")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    p.set_defaults(func=cmd_memory_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    from inference.backends import BackendError

    try:
        return args.func(args)
    except BackendError as exc:
        print(f"markscan: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
