"""``edge-os logs``: the service's log, with the pipeline events in colour.

Under systemd it follows the unit's journal (``journalctl -u edge-os``); ``--file`` reads a
log written by hand (``edge-os run 2> edge-os.log``) instead. Each pipeline event is one
``event {json}`` line (written by ``edge-os run``); ``logs`` shows it as a short coloured
line: the wake word, what was heard, what it was read as, what was done and said, errors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from edge_os.errors import ErrorCode, UsageError

UNIT = "edge-os"
_COLOURS = {
    "wake-detected": "36",  # cyan
    "transcript": "32",  # green
    "intent": "34",  # blue
    "answer": "35",  # magenta
    "error": "31",  # red
    "WARNING": "33",  # yellow
    "ERROR": "31",
}


def add_parser(commands: Any) -> None:
    """Register ``logs``."""
    parser = commands.add_parser("logs", help="the service's log, pipeline events in colour")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    parser.add_argument("-n", "--lines", type=int, default=50, help="how many past lines")
    parser.add_argument("--file", type=Path, help="a log file instead of the journal")
    parser.add_argument("--no-color", action="store_true", help="plain text")
    parser.set_defaults(handler=_logs)


def _paint(text: str, colour: str | None, plain: bool) -> str:
    return text if plain or colour is None else f"\033[{colour}m{text}\033[0m"


def render(line: str, *, plain: bool) -> str:
    """One log line as shown: an event made short and coloured, other lines as they are."""
    start = line.find("event {")
    if start < 0:
        level = next((word for word in ("ERROR", "WARNING") if word in line), None)
        return _paint(line, _COLOURS.get(level or ""), plain)
    try:
        event = json.loads(line[start + len("event ") :])
    except ValueError:
        return line
    kind = str(event.get("type"))
    head = line[:start].rstrip()
    what = _describe(kind, event)
    colour = _COLOURS.get(kind)
    if kind == "action":
        colour = "32" if event.get("status") == "done" else "33"
    return (head + " " if head else "") + _paint(f"{kind:<13} {what}", colour, plain)


def _describe(kind: str, event: dict[str, Any]) -> str:
    if kind == "wake-detected":
        return f"{event.get('model')} ({float(event.get('score') or 0):.2f})"
    if kind == "transcript":
        return f'"{event.get("text")}"'
    if kind == "intent":
        targets = ", ".join(event.get("targets") or [])
        return f"{event.get('intent')} {targets} [{event.get('path')}]".replace("  ", " ")
    if kind == "action":
        return f"{event.get('entity_id')} {event.get('action')}: {event.get('status')}"
    if kind == "answer":
        return f'"{event.get("text")}"'
    if kind == "error":
        return f"{event.get('code')}: {event.get('message')}"
    rest = {k: v for k, v in event.items() if k != "type"}
    return json.dumps(rest, ensure_ascii=False)


def _lines(args: argparse.Namespace) -> Iterable[str]:
    if args.file is not None:
        try:
            text = args.file.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            raise UsageError(
                ErrorCode.CONFIG_UNREADABLE, f"{args.file}: {err.strerror or err}"
            ) from None
        yield from text.splitlines()[-args.lines :] if args.lines > 0 else text.splitlines()
        return
    if shutil.which("journalctl") is None:
        raise UsageError(
            ErrorCode.NOT_AVAILABLE,
            "no journal here (journalctl is missing): read a file with --file, or run "
            "`edge-os run` in a terminal",
        )
    command = ["journalctl", "-u", UNIT, "-o", "short-iso", "--no-pager", "-n", str(args.lines)]
    if args.follow:
        command.append("-f")
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, errors="replace") as proc:
        assert proc.stdout is not None
        try:
            yield from (line.rstrip("\n") for line in proc.stdout)
        finally:
            proc.terminate()


def _logs(args: argparse.Namespace) -> int:
    plain = args.no_color or not sys.stdout.isatty() or "NO_COLOR" in os.environ
    try:
        for line in _lines(args):
            print(render(line, plain=plain), flush=args.follow)
    except KeyboardInterrupt:
        return 0
    return 0
