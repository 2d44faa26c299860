"""``edge-os eval wake|stt|intents``: accuracy and speed on your own data, as JSON.

Each kind is implemented by its stage (``edge_os.<stage>.evaluate``) as a function
``evaluate(path, config) -> dict``; this module only parses arguments and prints.
"""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.config.settings import Config
from edge_os.errors import NotAvailableError

KINDS: dict[str, tuple[str, str, int]] = {
    "wake": ("edge_os.wake.evaluate", 'manifest lines {"file": ..., "wake": true|false}', 3),
    "stt": ("edge_os.stt.evaluate", 'manifest lines {"file": ..., "text": ...}', 4),
    "intents": ("edge_os.intent.evaluate", 'lines {"text": ..., "intent": ..., "slots": {}}', 5),
}
"""kind -> (module providing ``evaluate``, what the input file holds, issue that adds it)."""

Evaluate = Callable[[Path, Config], dict[str, Any]]


def add_parser(commands: Any) -> None:
    """Register ``eval`` and one subcommand per kind."""
    parser = commands.add_parser("eval", help="measure accuracy and speed on a data set (JSON)")
    sub = parser.add_subparsers(dest="eval_kind", metavar="KIND", required=True)
    for kind, (_, holds, _issue) in KINDS.items():
        kind_parser = sub.add_parser(kind, help=f"evaluate {kind} ({holds})")
        kind_parser.add_argument("path", type=Path, help=f"JSONL file: {holds}")
        kind_parser.add_argument("--json", action="store_true", help="one line of JSON")
        if kind == "intents":
            kind_parser.add_argument(
                "--devices", type=Path, help="registry (config file) to resolve targets against"
            )
        kind_parser.set_defaults(handler=_evaluate)


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
    config_path = getattr(args, "devices", None) or discover_config_path(args.config)
    result = evaluate(args.path, load_config(config_path))
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0
