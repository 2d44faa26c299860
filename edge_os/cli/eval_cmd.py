"""``edge-os eval wake|stt|intents``: accuracy and speed on your own data, as JSON.

Each kind is implemented by its stage (``edge_os.<stage>.evaluate``) as a function
``evaluate(path, config, **options) -> dict``; this module only parses arguments and prints.
``intents`` also reads Home Assistant's intent tests (YAML files or folders) and takes
``--devices`` (an edge-os config or an HA test home), ``--rows`` and ``--no-llm``.
"""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.errors import NotAvailableError

KINDS: dict[str, tuple[str, str, int]] = {
    "wake": ("edge_os.wake.evaluate", 'manifest lines {"file": ..., "wake": true|false}', 3),
    "stt": ("edge_os.stt.evaluate", 'manifest lines {"file": ..., "text": ...}', 4),
    "intents": (
        "edge_os.intent.evaluate",
        'lines {"text": ..., "intent": ..., "slots": {}}, or Home Assistant intent tests',
        5,
    ),
}
"""kind -> (module providing ``evaluate``, what the input file holds, issue that adds it)."""

Evaluate = Callable[..., dict[str, Any]]
"""``evaluate(path, config, **options)``; only ``intents`` takes options."""


def add_parser(commands: Any) -> None:
    """Register ``eval`` and one subcommand per kind."""
    parser = commands.add_parser("eval", help="measure accuracy and speed on a data set (JSON)")
    sub = parser.add_subparsers(dest="eval_kind", metavar="KIND", required=True)
    for kind, (_, holds, _issue) in KINDS.items():
        kind_parser = sub.add_parser(kind, help=f"evaluate {kind} ({holds})")
        if kind == "intents":
            _add_intent_arguments(kind_parser)
        else:
            kind_parser.add_argument("path", type=Path, help=f"JSONL file: {holds}")
        kind_parser.add_argument("--json", action="store_true", help="one line of JSON")
        kind_parser.set_defaults(handler=_evaluate)


def _add_intent_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        type=Path,
        nargs="+",
        help="JSONL gold files, or Home Assistant intent test YAML files or folders "
        "(tests/<lang>: each test runs against its own home or the _fixtures.yaml beside it)",
    )
    parser.add_argument(
        "--devices",
        type=Path,
        help="one registry for every sentence: an edge-os config file (its settings apply "
        "too) or a Home Assistant test home such as _fixtures.yaml",
    )
    parser.add_argument(
        "--rows", type=Path, metavar="FILE", help="write one JSON line per sentence to FILE"
    )
    parser.add_argument(
        "--no-llm", action="store_true", help="grammar only: turn the model paths off"
    )
    parser.add_argument(
        "--area",
        metavar="AREA",
        help="where the satellite stands for sentences whose test names no area (an area's "
        "name or id in each home; homes without it use none)",
    )


def load_evaluate(kind: str) -> Evaluate:
    """The ``evaluate`` function of a kind, or NotAvailableError if its stage has not landed."""
    module_name, _, issue = KINDS[kind]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name is not None and module_name.startswith(err.name):
            raise NotAvailableError(
                f"'edge-os eval {kind}' is not available yet (it lands with issue #{issue})"
            ) from None
        raise
    evaluate: Evaluate = module.evaluate
    return evaluate


def _evaluate(args: argparse.Namespace) -> int:
    evaluate = load_evaluate(args.eval_kind)
    if args.eval_kind != "intents":
        result = evaluate(args.path, load_config(discover_config_path(args.config)))
    else:
        from edge_os.intent.fixtures import read_ha_home

        devices: Path | None = args.devices
        config_path = discover_config_path(args.config)
        if devices is not None and read_ha_home(devices) is None:
            config_path = devices  # an edge-os config: settings and registry
        result = evaluate(
            args.path,
            load_config(config_path),
            devices=devices,
            rows=args.rows,
            llm=not args.no_llm,
            area=args.area,
        )
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0
