"""``edge-os config show|validate``: print the effective config, or check a file."""

from __future__ import annotations

import argparse
import json
from typing import Any

from edge_os.config.loader import (
    DEFAULTS_NAME,
    discover_config_path,
    dump_config,
    load_config,
    to_yaml,
)
from edge_os.errors import ConfigError


def add_parser(commands: Any) -> None:
    """Register ``config`` and its subcommands."""
    config = commands.add_parser("config", help="show or validate the configuration")
    sub = config.add_subparsers(dest="config_command", metavar="SUBCOMMAND", required=True)

    show = sub.add_parser("show", help="print the effective config (defaults filled in)")
    show.add_argument("path", nargs="?", help="config file (default: the one edge-os would use)")
    show.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    show.add_argument("--show-secrets", action="store_true", help="do not mask passwords")
    show.set_defaults(handler=_show)

    validate = sub.add_parser("validate", help="check a config file; exit 2 if it is invalid")
    validate.add_argument(
        "path", nargs="?", help="config file (default: the one edge-os would use)"
    )
    validate.add_argument("--json", action="store_true", help="print the verdict as JSON")
    validate.set_defaults(handler=_validate)


def _show(args: argparse.Namespace) -> int:
    path = discover_config_path(args.path or args.config)
    data = dump_config(load_config(path), redact=not args.show_secrets)
    print(json.dumps(data, indent=2) if args.json else to_yaml(data), end="\n" if args.json else "")
    return 0


def _validate(args: argparse.Namespace) -> int:
    path = discover_config_path(args.path or args.config)
    name = str(path) if path is not None else DEFAULTS_NAME
    try:
        config = load_config(path)
    except ConfigError as err:
        if not args.json:
            raise
        verdict: dict[str, Any] = {
            "ok": False,
            "file": name,
            "code": err.code.value,
            "errors": [
                {"line": issue.line, "key_path": issue.key_path, "message": issue.message}
                for issue in err.issues
            ],
        }
        print(json.dumps(verdict))
        return err.exit_code
    if args.json:
        print(
            json.dumps(
                {
                    "ok": True,
                    "file": name,
                    "areas": len(config.areas),
                    "entities": len(config.entities),
                }
            )
        )
    else:
        print(f"{name}: OK ({len(config.entities)} entities in {len(config.areas)} areas)")
    return 0
