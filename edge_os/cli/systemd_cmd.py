"""``edge-os systemd render|install``: the hardened unit for this installation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from edge_os.service.systemd import DEFAULT_CONFIG, LAN_ADDRESSES, UnitOptions, current_exec


def add_parser(commands: Any) -> None:
    """Register ``systemd`` and its subcommands."""
    parser = commands.add_parser("systemd", help="render or install the systemd unit")
    sub = parser.add_subparsers(dest="systemd_command", metavar="SUBCOMMAND", required=True)
    for name, help_text in (
        ("render", "print the unit for this installation"),
        ("install", "write the unit and the edge-os user, reload systemd (root)"),
    ):
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--exec", dest="exec_path", type=Path, help="edge-os script path")
        command.add_argument("--config-path", type=Path, default=DEFAULT_CONFIG, help="config file")
        command.add_argument("--ip-allow", default=LAN_ADDRESSES, help="IPAddressAllow= value")
        command.add_argument("--watchdog-seconds", type=int, default=30, help="WatchdogSec=")
        if name == "install":
            command.add_argument("--root", type=Path, default=Path("/"), help="install below")
        command.set_defaults(handler=_render if name == "render" else _install)


def _options(args: argparse.Namespace) -> UnitOptions:
    return UnitOptions(
        exec_path=args.exec_path or current_exec(),
        config_path=args.config_path,
        ip_allow=args.ip_allow,
        watchdog_seconds=args.watchdog_seconds,
    )


def _render(args: argparse.Namespace) -> int:
    from edge_os.service.systemd import render_unit

    print(render_unit(_options(args)), end="")
    return 0


def _install(args: argparse.Namespace) -> int:
    from edge_os.service.systemd import install

    for path in install(_options(args), root=args.root):
        print(f"wrote {path}")
    if args.root == Path("/"):
        print("start it with: systemctl enable --now edge-os")
    return 0
