"""The ``markscan`` command: the same operations the server offers, from a shell."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

from inference.records import ReadingRecord
from inference.scoring import percentile
from web.catalog_source import load_catalog_rows, run_with_database, shown
from web.config import DEFAULT_DATA_DIR, Config, ConfigError

DATA_HELP = f"the app's data folder: database, photos, keys (default: $MARKSCAN_DATA, else {DEFAULT_DATA_DIR})"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
log = logging.getLogger("markscan")


FLAGS = {"data_dir": "data", "workers": "workers", "backend": "backend", "models": "models"}  # setting: flag


def settings(args: argparse.Namespace) -> Config:
    """The settings (``web.config``) with this command's flags over them."""
    return Config.from_env(**{field: getattr(args, flag, None) for field, flag in FLAGS.items()})


def _backend(args: argparse.Namespace):
    """The models' runtime (``--backend``, else $MARKSCAN_BACKEND, with $MARKSCAN_DEVICE and $MARKSCAN_PRECISION)."""
    return settings(args).inference_backend()


def _models(args: argparse.Namespace):
    """The reader's learned models: ``--models``, else $MARKSCAN_MODELS, else the shipped ones."""
    return settings(args).trained_models()


def _recognizer(args: argparse.Namespace):
    """A recognizer for the CLI: the catalog it names, and the app's visual memory with ``--memory``."""
    from inference import engines
    from inference.catalog import CatalogIndex
    from inference.pipeline import Recognizer

    models = _models(args)
    rows = load_catalog_rows(args.catalog, settings(args).database)
    backend = _backend(args)
    recognizer = Recognizer(engines.ocr_engine(backend), CatalogIndex(rows), models=models)
    if getattr(args, "app_memory", False):
        from web import visual_memory

        recognizer.embedder = engines.embedder(backend)
        recognizer.memory = _with_database(args, lambda db: visual_memory.load(db, recognizer.embedder))
    return recognizer


def image_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _with_database(args: argparse.Namespace, work):
    """Run ``await work(db)`` against the app's database and close it."""
    return run_with_database(settings(args).database, work)


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
        result = {"photo": str(path), **recognition.to_record()}
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

    read = []
    for path in paths:
        try:
            read.append((str(path), recognizer.recognize(Path(path)).to_record()))
        except (PhotoError, OSError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
    if not read:
        return 1
    fused = fuse([reading for _, reading in read], recognizer.confidence.sure_from)
    each = [
        {
            "photo": path,
            "marking": r["marking"],
            "status": r["status"],
            "probability": r["probability"],
            "sure": r["sure"],
        }
        for path, r in read
    ]
    json.dump({**fused, "photos": each}, sys.stdout, ensure_ascii=False, indent=2)
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
    from inference.training.crossval import PhotoResult, summary
    from inference.training.labelled import labelled_folder

    if args.split == "family":
        return _evaluate_by_family(args)
    if args.memory == "other-side" and args.side == "all":
        print("--memory other-side needs --side tune or --side held-out", file=sys.stderr)
        return 2
    every = labelled_folder(args.directory)
    on_side = [args.side == "all" or held_out(p.truth) == (args.side == "held-out") for p in every]
    photos = [p for p, inside in zip(every, on_side, strict=True) if inside]
    recognizer = _recognizer(args)
    if args.memory:
        remembered = (
            photos if args.memory == "leave-one-out" else [p for p, i in zip(every, on_side, strict=True) if not i]
        )
        recognizer.embedder, recognizer.memory = _labelled_memory(remembered, _backend(args))
    results, plain, memory_times = [], [], []
    readings_by_marking: dict[str, list[ReadingRecord]] = defaultdict(list)
    for photo in photos:

        def exclude(entry_id: int, article: str, serial: str, truth=photo.truth) -> bool:
            return f"{article} {serial}".strip() == truth  # never a photo of the same marking

        t = time.perf_counter()
        try:
            recognition = recognizer.recognize(photo.source, exclude=exclude)
        except (PhotoError, OSError) as exc:
            log.warning("%s: %s", photo.name, exc)
            recognition = None
        result = PhotoResult(photo, recognition, time.perf_counter() - t)
        results.append(result)
        if recognition is not None:
            recognition.variants = {}
            readings_by_marking[photo.truth].append(recognition.to_record())
            if recognition.best is not None:
                result.evidence = evidence(recognition.best, recognition.candidates, recognizer.index)
        if args.memory:
            plain.append(PhotoResult(photo, recognition and recognition.without_memory(), 0.0))
            memory_times.append(recognition.timings.get("memory", 0.0) if recognition else 0.0)
    if args.records:
        _write_records(args.records, results)
    figures = {"split": "marking", "side": args.side, **summary(results)}
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures.update(_parts(readings_by_marking, recognizer.confidence.sure_from))
    if args.memory:
        scores, plain_scores = [r.score() for r in results], [r.score() for r in plain]
        figures["memory_changed"] = sum(bool(r.recognition and r.recognition.memory_changed) for r in results)
        figures["memory_lowered"] = sum(a.score < b.score for a, b in zip(scores, plain_scores, strict=True))
        figures["memory_added_p50_s"] = round(percentile(memory_times, 50), 3)
        figures["memory_added_p95_s"] = round(percentile(memory_times, 95), 3)
        figures["without_memory"] = {k: summary(plain)[k] for k in ("score", "exact", "sure_share", "wrong_sure")}
    _print_figures(figures, args.json)
    if not args.json:
        print(
            f"markings photographed more than once, read as one part: {figures['parts_right']} of "
            f"{figures['parts']} right, {figures['parts_sure']} sure, {figures['parts_wrong_sure']} wrong but sure; "
            f"peak memory {figures['peak_rss_mb']} MB"
        )
        if args.memory:
            without = figures["without_memory"]
            print(
                f"without memory: score {without['score']:.4f}, exact {without['exact']:.3f}; memory changed "
                f"{figures['memory_changed']} answers ({figures['memory_lowered']} for the worse), added p50 "
                f"{figures['memory_added_p50_s']} s, p95 {figures['memory_added_p95_s']} s"
            )
    if args.verbose:
        _print_misses(results)
    return 0


def _evaluate_by_family(args: argparse.Namespace) -> int:
    """Cross-validation over part families: each family read by models fitted without it."""
    from inference.training.crossval import by_family, summary, train
    from inference.training.labelled import labelled_folder

    if args.side != "all" or args.memory:
        print("--split family reads every photo: --side and --memory do not apply", file=sys.stderr)
        return 2
    recognizer = _recognizer(args)
    trained = train(labelled_folder(args.directory), recognizer, log=_progress(args))
    figures = {"split": "family", **summary(trained.results), "families": by_family(trained.results)}
    _print_figures(figures, args.json)
    if args.records:
        _write_records(args.records, trained.results)
    if args.verbose:
        _print_misses(trained.results)
    return 0


def _write_records(path: str, results) -> None:
    """Each photo's reading, trust, choices and evidence, one JSON line a photo."""
    with open(path, "w", encoding="utf-8") as out:
        for r in results:
            record = {"image_file": r.photo.name, "truth": r.photo.truth, "read": r.marking, "right": r.right}
            record.update(probability=r.probability, sure=r.sure, choices=r.choices, evidence=r.evidence)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _progress(args: argparse.Namespace):
    quiet = getattr(args, "json", False)
    return (lambda _: None) if quiet else (lambda message: print(message, file=sys.stderr, flush=True))


def _print_misses(results) -> None:
    """The photos read wrong, wrong-but-sure first, with the first choices offered."""
    for r in sorted((r for r in results if not r.right), key=lambda r: not r.sure):
        flag = "SURE " if r.sure else ""
        offered = ", ".join(r.choices[:3])
        print(
            f"  {flag}{r.photo.name}: expected {r.photo.truth!r}, read {r.marking!r} "
            f"(p {r.probability:.2f}; offered {offered})",
            file=sys.stderr,
        )


def _print_figures(figures: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    print(
        f"{figures['n']} photos  score {figures['score']:.4f}  exact {figures['exact']:.3f}  "
        f"sure {figures['sure_share']:.3f}  wrong but sure {figures['wrong_sure']:.3f}  ECE {figures['ece']:.3f}\n"
        f"right among the first 3 choices: {figures['choice3_of_misses']:.3f} of {figures['misses']} misses; "
        f"lone serials (one or two digits) right: {figures['lone_right']:.3f} of {figures['lone_serials']}\n"
        f"latency p50 {figures['p50_s']} s, p95 {figures['p95_s']} s"
    )
    for row in figures.get("reliability", []):
        print(
            f"  probability {row['from']:.1f}-{row['to']:.1f}: {row['photos']:>3} photos, "
            f"predicted {row['predicted']:.2f}, right {row['observed']:.2f}"
        )
    for family, row in figures.get("families", {}).items():
        print(
            f"  {family:<16} {row['n']:>3} photos  score {row['score']:.3f}  exact {row['exact']:.3f}  "
            f"sure {row['sure_share']:.2f}  wrong but sure {row['wrong_sure']:.3f}"
        )


def cmd_train(args: argparse.Namespace) -> int:
    """Fit the reader's models on labelled photos and confirmed scans; report family-out figures."""
    from inference.models import CONFIDENCE_MODEL, GLYPH_HEAD, SERIAL_MODEL
    from inference.training.crossval import by_family, read_all, summary, train
    from inference.training.labelled import labelled_folder

    photos = [p for folder in args.folders for p in labelled_folder(folder)]
    if args.confirmed:
        from web import operations

        store = settings(args).photos()
        photos += _with_database(args, lambda db: operations.confirmed_photos(db, store))
    if len({p.family for p in photos}) < 2:
        print(
            "markscan train: photos of at least two part families are needed (labelled folders, --confirmed)",
            file=sys.stderr,
        )
        return 2
    recognizer = _recognizer(args)
    log = _progress(args)
    log(f"{len(photos)} photos of {len({p.family for p in photos})} part families; reading them with the models in use")
    before = read_all(photos, lambda _: recognizer)
    trained = train(photos, recognizer, seed=args.seed, log=log)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / SERIAL_MODEL).write_text(trained.roles.to_json(), encoding="utf-8")
    (out / GLYPH_HEAD).write_bytes(trained.glyph_head)
    (out / CONFIDENCE_MODEL).write_text(trained.confidence.to_json(), encoding="utf-8")
    report = {
        "photos": len(photos),
        "seed": args.seed,
        "seconds": round(trained.fit_seconds, 1),
        "before": summary(before),
        "after": {"split": "family", **summary(trained.results), "families": by_family(trained.results)},
        "written": str(out),
    }
    (out / "training.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    print("before: the models in use, reading every photo (they may have been fitted on them)")
    _print_figures(report["before"], False)
    print("after: each part family read by models fitted without it")
    _print_figures(report["after"], False)
    print(f"models written to {out} in {report['seconds']} s; serve them with MARKSCAN_MODELS={out}")
    return 0


def _parts(readings_by_marking: dict[str, list[ReadingRecord]], sure_from: float) -> dict[str, int]:
    """Every marking photographed more than once, its photos read as one part (as ``recognize --one-part``)."""
    from inference.fusion import fuse

    parts = {truth: fuse(readings, sure_from) for truth, readings in readings_by_marking.items() if len(readings) > 1}
    return {
        "parts": len(parts),
        "parts_right": sum(fused["marking"] == truth for truth, fused in parts.items()),
        "parts_sure": sum(fused["sure"] for fused in parts.values()),
        "parts_wrong_sure": sum(fused["sure"] and fused["marking"] != truth for truth, fused in parts.items()),
    }


def _labelled_memory(photos, backend):
    """The embedder and a visual memory of labelled ``photos``."""
    from inference import engines
    from inference.memory import VisualMemory
    from inference.photo import PhotoError, load_photo

    embedder = engines.embedder(backend)
    memory = VisualMemory(embedder.dimension)
    for number, photo in enumerate(photos):
        article, _, serial = photo.truth.partition(" ")
        try:
            loaded = load_photo(photo.source)
        except (PhotoError, OSError):
            continue
        memory.add(number, embedder.embed(loaded.image), article, serial)
    return embedder, memory


def cmd_catalog_import(args: argparse.Namespace) -> int:
    """The same import as the Catalog page's, by an admin at the server's shell."""
    from web import operations
    from web.storage.users import User

    shell_admin = User("shell", "admin")  # whoever runs the CLI on the server administers it
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"{args.file}: {exc}; the catalog was not changed", file=sys.stderr)
        return 2

    def run(db):
        services = operations.Services(db, None, settings(args).photos())
        return operations.import_orders(services, shell_admin, data, "merge" if args.merge else "replace")

    try:
        report = _with_database(args, run)
    except operations.Refused as exc:  # the CLI speaks English, as the pages do with the switch
        from web.i18n import translator

        print(f"{args.file}: {translator('en')(exc.message, **exc.values)}", file=sys.stderr)
        return 2
    rejected = report["rejected"]
    print(f"{report['kept']} rows kept, {len(rejected)} rejected, {report['empty_rows']} empty")
    for problem in rejected[:50]:
        print(f"  row {problem['row']}: {problem['reason']}")
    print(f"{'merged' if args.merge else 'imported'} {report['written']} rows into {shown(settings(args).database)}")
    return 0


def seed_demo(config: Config) -> str:
    """Fill an empty database with the made-up demo plant; write its photos."""
    from web.demo import demo_photos, demo_rows

    async def seed(db) -> int:
        return await db.replace_catalog(demo_rows()) if await db.catalog_size() == 0 else 0

    added = run_with_database(config.database, seed)
    photos_dir = config.data_dir / "demo-photos"
    photos_dir.mkdir(parents=True, exist_ok=True)
    rows = demo_rows()
    for i, photo in enumerate(demo_photos(rows)):
        (photos_dir / f"demo-{i + 1}.jpg").write_bytes(photo.jpeg)
    catalog = f"demo catalog of {added} rows written" if added else "catalog already present, left as it is"
    return f"{catalog}; demo photos in {photos_dir}"


def cmd_memory_add(args: argparse.Namespace) -> int:
    from inference import engines
    from web import visual_memory

    directory = Path(args.directory)
    if not (directory / "labels.csv").is_file() or not (directory / "images").is_dir():
        print(f"{directory}: expected images/ and labels.csv (image_file, label_text)", file=sys.stderr)
        return 2
    embedder = engines.embedder(_backend(args))
    photos = settings(args).photos()

    async def seed(db):
        try:
            return await visual_memory.seed_folder(db, embedder, photos, directory)
        finally:
            await photos.close()

    added, problems = _with_database(args, seed)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{added} photos added to the visual memory ({len(problems)} skipped)")
    return 0


def cmd_memory_stats(args: argparse.Namespace) -> int:
    from web.storage import memory

    stats = _with_database(args, memory.stats)
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
        user = _with_database(args, lambda db: users.add_user(db, args.name, password, args.role))
    except ValueError as exc:
        print(f"{exc}; nothing changed", file=sys.stderr)
        return 2
    print(f"user {user.name} ({user.role}) saved")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from web.storage import users

    disabled = args.func is cmd_user_disable
    if not _with_database(args, lambda db: users.set_disabled(db, args.name, disabled)):
        print(f"no user named {args.name!r}", file=sys.stderr)
        return 2
    print(f"user {args.name} {'disabled: signed out everywhere, tokens refused' if disabled else 'enabled'}")
    return 0


def cmd_user_enable(args: argparse.Namespace) -> int:
    return cmd_user_disable(args)


def cmd_token_create(args: argparse.Namespace) -> int:
    from web.storage import users

    try:
        token = _with_database(args, lambda db: users.create_token(db, args.name, args.days))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from web.storage import users

    for token in _with_database(args, lambda db: users.list_tokens(db, args.name)):
        print(f"{token.id}  created {token.created_at}  expires {token.expires_at}")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from web.storage import users

    try:
        revoked = _with_database(args, lambda db: users.revoke_tokens(db, args.name, args.id or ""))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{revoked} token(s) of {args.name} revoked")
    return 0 if revoked else 1


def demo_login(config: Config) -> str:
    """A fresh password for the demo admin, printed at each demo start."""
    import secrets

    from web.storage import users

    password = secrets.token_urlsafe(12)
    run_with_database(config.database, lambda db: users.add_user(db, "demo", password, "admin"))
    return f"demo login: demo / {password}"


def cmd_backup(args: argparse.Namespace) -> int:
    from web.backup import BackupError, backup

    try:
        manifest = asyncio.run(backup(settings(args), Path(args.directory)))
    except BackupError as exc:
        print(f"markscan backup: {exc}", file=sys.stderr)
        return 1
    missing = manifest["photos_missing"]
    print(
        f"{args.directory}: {_held(manifest)}"
        + (f"; {len(missing)} photos named but not in the store" if missing else "")
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from web.backup import BackupError, restore

    try:
        counts = asyncio.run(restore(Path(args.directory), settings(args)))
    except (BackupError, OSError, ValueError) as exc:
        print(f"markscan restore: {exc}", file=sys.stderr)
        return 1
    print(f"{settings(args).data_dir}: {_held(counts)}")
    return 0


def _held(counts: dict) -> str:
    """What a backup or a restored folder holds, in a line."""
    return (
        f"{counts['scans']} scans ({counts['confirmed']} confirmed), {counts['catalog_rows']} catalog rows, "
        f"{counts['users']} users, {counts['photos']} photos"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app

    config = settings(args)
    if args.demo:
        print(seed_demo(config), flush=True)
        print(demo_login(config), flush=True)
    app = create_app(config)
    print(f"markscan: http://{args.host}:{args.port}/  (data in {config.data_dir})", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level.lower(),
        proxy_headers=bool(config.trusted_proxies),  # none believed unless a proxy is named
        forwarded_allow_ips=config.trusted_proxies or None,
    )
    return 0


def _onec(args: argparse.Namespace, work) -> int:
    """Run ``await work(client, db)`` with the configured 1C connection; errors as messages."""
    from web.onec.client import OnecClient, OnecError

    config = settings(args).onec()
    if config is None:
        print(
            "1C is not configured: set MARKSCAN_ONEC_URL, MARKSCAN_ONEC_USER, MARKSCAN_ONEC_PASSWORD", file=sys.stderr
        )
        return 2

    async def run(db):
        async with OnecClient(config) as client:
            return await work(client, db)

    try:
        return _with_database(args, run)
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
        p.add_argument("--models", help="a folder of trained models (default: $MARKSCAN_MODELS or the shipped ones)")

    def with_catalog(p: argparse.ArgumentParser) -> None:
        p.add_argument("--catalog", help="orders .xlsx or markscan database (default: the app's database)")
        p.add_argument("--data", help=DATA_HELP)
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
        "--split",
        choices=["marking", "family"],
        default="marking",
        help="family: cross-validation over part families, every family read by models fitted without it "
        "(needs torch, minutes); marking: the models in use, on the side --side names",
    )
    p.add_argument(
        "--memory",
        choices=["leave-one-out", "other-side"],
        help="with a visual memory of the other labelled photos (never those of the same marking), "
        "or of the photos on the other side of the held-out split (as the app meets new markings)",
    )
    with_catalog(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("train", help="fit the reader's models on labelled photos and the app's confirmed scans")
    p.add_argument("folders", nargs="*", help="labelled folders: images/ and labels.csv")
    p.add_argument("--confirmed", action="store_true", help="with the photos of the app's confirmed scans (--data)")
    p.add_argument("--out", default="markscan-models", help="where to write the models (default: markscan-models)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    with_catalog(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("serve", help="start the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", help=DATA_HELP)
    p.add_argument("--workers", type=int, help="recognition threads (default: $MARKSCAN_WORKERS or CPU cores)")
    p.add_argument("--demo", action="store_true", help="seed a demo catalog and photos if the database is empty")
    with_backend(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("backup", help="copy the app's database and photos into DIR, while it runs")
    p.add_argument("directory", help="a new or empty folder")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="fill a new data folder (--data) from a backup in DIR")
    p.add_argument("directory", help="a folder `markscan backup` wrote")
    p.add_argument("--data", help="the new data folder (not one in use)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("user", help="people who may sign in")
    user = p.add_subparsers(dest="user_command", required=True)
    p = user.add_parser("add", help="create a user, or set a user's password and role")
    p.add_argument("name")
    p.add_argument("--role", choices=["operator", "admin"], default="operator")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_user_add)
    for name, func, what in (
        ("disable", cmd_user_disable, "end a user's sessions and refuse their sign-in and tokens"),
        ("enable", cmd_user_enable, "let a disabled user sign in again"),
    ):
        p = user.add_parser(name, help=what)
        p.add_argument("name")
        p.add_argument("--data", help=DATA_HELP)
        p.set_defaults(func=func)

    p = sub.add_parser("token", help="API tokens for devices and scripts")
    token = p.add_subparsers(dest="token_command", required=True)
    p = token.add_parser("create", help="print a new API token for user NAME (sent as Authorization: Bearer)")
    p.add_argument("name")
    p.add_argument("--days", type=int, default=365, help="how long the token is valid (default 365)")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_token_create)
    p = token.add_parser("list", help="user NAME's tokens: id, created, expires (never the token itself)")
    p.add_argument("name")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_token_list)
    p = token.add_parser("revoke", help="revoke user NAME's token ID (as `token list` shows it), or all of them")
    p.add_argument("name")
    p.add_argument("id", nargs="?")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_token_revoke)

    p = sub.add_parser("onec", help="the link to 1C:Enterprise (OData)")
    onec = p.add_subparsers(dest="onec_command", required=True)
    p = onec.add_parser("check", help="connectivity, login, $metadata and the field mapping")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_onec_check)
    p = onec.add_parser("sync", help="the catalog from the orders in 1C")
    p.add_argument("--incremental", action="store_true", help="write only rows added, changed or gone")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_onec_sync)

    p = sub.add_parser("catalog", help="the orders catalog")
    catalog = p.add_subparsers(dest="catalog_command", required=True)
    p = catalog.add_parser("import", help="import an orders .xlsx into the app's database")
    p.add_argument("file")
    p.add_argument("--merge", action="store_true", help="add new rows instead of replacing the catalog")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_catalog_import)

    p = sub.add_parser("memory", help="the visual memory of confirmed photos")
    memory = p.add_subparsers(dest="memory_command", required=True)
    p = memory.add_parser("add", help="remember the photos of a labelled folder (images/ + labels.csv)")
    p.add_argument("directory")
    p.add_argument("--data", help=DATA_HELP)
    with_backend(p)
    p.set_defaults(func=cmd_memory_add)
    p = memory.add_parser("stats", help="what the visual memory holds")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_memory_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    from inference.backends import BackendError
    from inference.models import ModelsError
    from inference.training import TrainingError

    try:
        return args.func(args)
    except (ConfigError, BackendError, ModelsError, TrainingError) as exc:
        print(f"markscan: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
