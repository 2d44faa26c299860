"""``edge-os config show|validate|get|set|unset|edit``: read, check and change the config.

Changes keep the file's comments and layout, are validated by the loader before anything
is written, and replace the file atomically (:mod:`edge_os.config.edit`).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from edge_os.config.edit import ConfigDocument, default_path, parse_value, write_atomic
from edge_os.config.keys import Location, check_key, parse_key
from edge_os.config.loader import (
    DEFAULTS_NAME,
    discover_config_path,
    dump_config,
    key_path,
    load_config,
    to_yaml,
)
from edge_os.config.settings import Config
from edge_os.errors import ConfigError, ErrorCode, UsageError

STATUS_STALE_SECONDS = 15.0
"""The service rewrites ``<state_dir>/status.json`` every 2 s; older means it is not running."""


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

    get = sub.add_parser("get", help="print one setting's effective value (defaults included)")
    get.add_argument("key", metavar="KEY", help="dotted key path, e.g. intent.model_act_confidence")
    get.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    get.add_argument("--show-secrets", action="store_true", help="do not mask passwords")
    get.set_defaults(handler=_get)

    put = sub.add_parser("set", help="change one setting; validated before the file is written")
    put.add_argument("key", metavar="KEY", help="dotted key path, e.g. mqtt.host")
    put.add_argument("value", metavar="VALUE", help="a YAML value: 0.8, true, null, [a, b]")
    put.set_defaults(handler=_set)

    unset = sub.add_parser("unset", help="remove a setting from the file (back to its default)")
    unset.add_argument("key", metavar="KEY", help="dotted key path, e.g. site.area")
    unset.set_defaults(handler=_unset)

    edit = sub.add_parser("edit", help="edit the file in $EDITOR; saved only once it validates")
    edit.add_argument(
        "--no-retry", action="store_true", help="exit 2 on an invalid edit instead of reopening"
    )
    edit.set_defaults(handler=_edit)


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


def _value_at(data: Any, loc: Location) -> Any:
    node = data
    for depth, part in enumerate(loc):
        try:
            node = node[part]
        except (IndexError, KeyError, TypeError):
            if isinstance(part, int):
                size = len(node) if isinstance(node, list) else 0
                raise UsageError(
                    ErrorCode.CONFIG_INVALID,
                    f"{key_path(loc[: depth + 1])}: no such item "
                    f"({key_path(loc[:depth])} has {size})",
                ) from None
            return None  # a free-form mapping (payloads) without this key: the default
    return node


def _format(value: Any) -> str:
    text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return text.removesuffix("...\n").rstrip("\n")


def _inline(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else _format(value).replace("\n", " ")


def _get(args: argparse.Namespace) -> int:
    loc = parse_key(args.key)
    check_key(loc)
    data = dump_config(load_config(discover_config_path(args.config)), redact=not args.show_secrets)
    value = _value_at(data, loc)
    print(json.dumps(value) if args.json else _format(value))
    return 0


def _document(args: argparse.Namespace, command: str) -> ConfigDocument:
    """The config file to change: the one edge-os uses, or a new one at the default path."""
    path = discover_config_path(args.config) or default_path()
    return ConfigDocument.open(path, command=command)


def _effective(config: Config | None, loc: Location) -> Any:
    return None if config is None else _value_at(dump_config(config), loc)


def _set(args: argparse.Namespace) -> int:
    loc = parse_key(args.key)
    check_key(loc)
    value = parse_value(args.value)
    doc = _document(args, "config set")
    before = _effective(doc.current() or (None if doc.exists else load_config(None)), loc)
    doc.set(loc, value)
    created = "" if doc.exists else " (new file)"
    config = doc.save()
    after = _effective(config, loc)
    print(f"{doc.path}: {key_path(loc)}: {_inline(before)} -> {_inline(after)}{created}")
    print_apply_hint(config)
    return 0


def _unset(args: argparse.Namespace) -> int:
    loc = parse_key(args.key)
    check_key(loc)
    path = discover_config_path(args.config)
    if path is None:
        print(f"{key_path(loc)} is not set: no config file, every setting is its default")
        return 0
    doc = ConfigDocument.open(path, command="config unset")
    before = _effective(doc.current(), loc)
    if not doc.unset(loc):
        current = doc.current()
        shown = _inline(_effective(current, loc)) if current is not None else "?"
        print(f"{path}: {key_path(loc)} is not set in the file (its value: {shown})")
        return 0
    config = doc.save()
    after = _effective(config, loc)
    print(f"{path}: {key_path(loc)}: {_inline(before)} -> {_inline(after)} (default)")
    print_apply_hint(config)
    return 0


def _editor() -> list[str]:
    for variable in ("VISUAL", "EDITOR"):
        if command := os.environ.get(variable, "").strip():
            return shlex.split(command)
    for fallback in ("vi", "nano"):
        if found := shutil.which(fallback):
            return [found]
    raise UsageError(ErrorCode.NOT_AVAILABLE, "no editor found: set $EDITOR (e.g. EDITOR=nano)")


def _edit(args: argparse.Namespace) -> int:
    path = discover_config_path(args.config) or default_path()
    doc = ConfigDocument.open(path, command="config edit")
    editor = _editor()
    with tempfile.TemporaryDirectory(prefix="edge-os-edit-") as folder:
        draft = Path(folder) / path.name
        draft.write_text(doc.text, encoding="utf-8")
        while True:
            try:
                returned = subprocess.run([*editor, str(draft)], check=False).returncode
            except OSError as err:
                raise UsageError(
                    ErrorCode.NOT_AVAILABLE, f"cannot start the editor {editor[0]!r}: {err}"
                ) from None
            if returned != 0:
                print(
                    f"edge-os: the editor exited with {returned}; {path} is unchanged",
                    file=sys.stderr,
                )
                return 1
            text = draft.read_text(encoding="utf-8")
            if text == doc.text:
                print(f"{path}: no changes")
                return 0
            try:
                config = doc.validate(text)
                break
            except ConfigError as err:
                if args.no_retry:
                    raise
                for line in str(err).splitlines():
                    print(f"edge-os: error: {line}", file=sys.stderr)
                if not _ask(f"{path} is unchanged. Edit again? [Y/n] "):
                    return err.exit_code
        write_atomic(path, text)
    print(f"{path}: saved ({len(config.entities)} entities in {len(config.areas)} areas)")
    print_apply_hint(config)
    return 0


def _ask(question: str) -> bool:
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in {"", "y", "yes"}


def print_apply_hint(config: Config) -> None:
    """Say how the change reaches the service: it reads the config only when it starts."""
    pid = running_service(config)
    if pid is None:
        print("edge-os is not running here: the change applies when it starts")
    else:
        print(
            f"edge-os is running (pid {pid}) and reads the config only at start: "
            "restart edge-os (systemctl restart edge-os) to apply"
        )


def running_service(config: Config) -> int | None:
    """The pid of the service writing ``<state_dir>/status.json``, if it is running."""
    try:
        status = json.loads((config.state_dir / "status.json").read_text(encoding="utf-8"))
        pid = int(status.get("pid", 0))
        fresh = time.time() - float(status.get("updated", 0)) < STATUS_STALE_SECONDS
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    if not fresh or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid  # it exists, under the service's own user
    return pid
