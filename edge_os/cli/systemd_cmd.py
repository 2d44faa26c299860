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
            command.add_argument(
                "--secure-broker",
                action="store_true",
                help="also write logins and an ACL for a Mosquitto shared with Home Assistant "
                "and devices, and point the config's mqtt login at edge-os's",
            )
            command.add_argument(
                "--mosquitto-dir",
                type=Path,
                default=Path("/etc/mosquitto/conf.d"),
                help="where Mosquitto reads extra *.conf files (Debian's default)",
            )
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
    _pin_state_dir(args)
    if args.secure_broker:
        _secure_broker(args)
    if args.root == Path("/"):
        if args.secure_broker:
            print("then restart the broker: systemctl restart mosquitto")
        print("start it with: systemctl enable --now edge-os")
    return 0


SERVICE_STATE_DIR = "/var/lib/edge-os"
"""The unit's StateDirectory: where the service keeps its queue, status and socket."""


def _config_file(args: argparse.Namespace) -> Path:
    root: Path = args.root
    path: Path = args.config_path
    return root / path.relative_to("/") if path.is_absolute() else root / path


def _pin_state_dir(args: argparse.Namespace) -> None:
    """Name the service's state folder in the config, so `status` and `say` find it too.

    Under systemd the service gets ``$STATE_DIRECTORY``; a command run by hand does not,
    and would look in its own user's state folder instead.
    """
    from edge_os.config.edit import ConfigDocument, write_atomic

    config_file = _config_file(args)
    doc = ConfigDocument.open(config_file, command="systemd install")
    if "state_dir" in doc.data:
        return
    doc.set(("state_dir",), SERVICE_STATE_DIR)
    if args.root == Path("/"):
        doc.save()
    else:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(config_file, doc.render())
    print(f"set state_dir: {SERVICE_STATE_DIR} in {config_file} (the service's StateDirectory)")


def _secure_broker(args: argparse.Namespace) -> None:
    """Logins, ACL and Mosquitto snippet; the config's mqtt login set to edge-os's."""
    from edge_os.config.edit import ConfigDocument, write_atomic
    from edge_os.drivers.discovery.importer import registry_with_imports
    from edge_os.drivers.mqtt.access import EDGE_OS_PASSWORD, write_access

    root: Path = args.root
    config_file = _config_file(args)
    doc = ConfigDocument.open(config_file, command="systemd install --secure-broker")
    doc.unset(("mqtt", "password_file"))  # it may name a file only the target system has
    config = doc.validate(doc.render())
    access = write_access(
        config,
        registry_with_imports(config),
        root=root,
        mosquitto_dir=args.mosquitto_dir,
    )
    for path in access.files:
        print(f"wrote {path}")
    for user, path in access.passwords.items():
        print(f"password of MQTT user {user!r}: {path} (0600)")
    doc.set(("mqtt", "username"), "edge-os")
    doc.set(("mqtt", "password_file"), str(EDGE_OS_PASSWORD))
    if root == Path("/"):
        doc.save()  # validated: the password file is there now
    else:  # an image being built: the password file is only there once it boots
        write_atomic(config_file, doc.render())
    print(f"set mqtt.username and mqtt.password_file in {config_file}")
    if config.mqtt.host is None:
        print(
            "note: mqtt.host is null, so edge-os runs its own broker; set it to use this one "
            "(edge-os config set mqtt.host localhost)"
        )
