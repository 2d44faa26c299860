"""Logins and an ACL for a Mosquitto broker shared by edge-os, Home Assistant and devices.

``edge-os systemd install --secure-broker`` writes, for the Mosquitto that Debian's package
runs (``/etc/mosquitto/conf.d`` is included by its ``mosquitto.conf``):

- ``edge-os.conf``: ``allow_anonymous false`` and where the two files below are;
- ``edge-os.passwd`` (0600, hashed by ``mosquitto_passwd``): three users, ``edge-os``,
  ``homeassistant`` and ``devices``, each with a random password;
- ``edge-os.acl`` (0600): each user gets only its own topics (:func:`acl_text`);
- the plain passwords, 0600: edge-os's as ``/etc/edge-os/mqtt.password`` (owned by the
  service's user), the others beside the files above for the admin to give to Home
  Assistant's MQTT integration and to Zigbee2MQTT or the devices.

Run again (after adding devices), it keeps the passwords and writes the ACL anew. The
topics come from the registry, with what the service imported from discovery.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from edge_os.config.settings import Config
from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import ErrorCode, UsageError

MOSQUITTO_DIR = Path("/etc/mosquitto/conf.d")
"""Where Debian's Mosquitto reads extra ``*.conf`` files."""
EDGE_OS_PASSWORD = Path("/etc/edge-os/mqtt.password")
"""edge-os's own password, for ``mqtt.password_file``."""
USERS = ("edge-os", "homeassistant", "devices")
PASSWORD_BYTES = 24


@dataclass
class BrokerAccess:
    """What :func:`write_access` wrote, with paths as they are on the installed system."""

    files: list[Path] = field(default_factory=list)
    passwords: dict[str, Path] = field(default_factory=dict)
    """User -> the 0600 file holding its plain password."""


def _topics(registry: DeviceRegistry) -> tuple[list[str], list[str]]:
    commands: set[str] = set()
    states: set[str] = set()
    for entity in registry.entities:
        if entity.mqtt is None:
            continue
        if entity.mqtt.command_topic:
            commands.add(entity.mqtt.command_topic)
        commands.update(entity.mqtt.topics.values())
        if entity.mqtt.state_topic:
            states.add(entity.mqtt.state_topic)
    return sorted(commands), sorted(states)


def _roots(topics: list[str], own: set[str]) -> list[str]:
    roots = {topic.split("/", 1)[0] for topic in topics}
    return sorted(root for root in roots if root and root not in own)


def acl_text(config: Config, registry: DeviceRegistry) -> str:
    """Mosquitto ACL: who may read and write what.

    - ``edge-os`` reads everything (state, discovery to import) and writes only its own
      topics, Hermes, discovery of its own entities and the declared command topics;
    - ``homeassistant`` reads everything and writes discovery, the devices' topics and
      edge-os's control topics (command, say, ``*/set``, schedule);
    - ``devices`` (Zigbee2MQTT, Tasmota, ESPHome...) read and write under the top-level
      topics the registry's devices use, and publish discovery; never edge-os's topics.
    """
    prefix = config.mqtt.topic_prefix
    discovery = config.mqtt.discovery.prefix
    commands, states = _topics(registry)
    roots = _roots(commands + states, {prefix, discovery, "hermes"})
    lines = [
        "# Written by edge-os (systemd install --secure-broker); written anew on every run.",
        "user edge-os",
        "topic read #",
        f"topic readwrite {prefix}/#",
        "topic readwrite hermes/#",
        f"topic readwrite {discovery}/#",
        *(f"topic write {topic}" for topic in commands),
        "",
        "user homeassistant",
        "topic read #",
        f"topic readwrite {discovery}/#",
        *(f"topic readwrite {root}/#" for root in roots),
        *(
            f"topic write {prefix}/+/{control}"
            for control in ("command", "say", "+/set", "schedule/#")
        ),
        "",
        "user devices",
        f"topic write {discovery}/#",
        *(f"topic readwrite {root}/#" for root in roots),
    ]
    return "\n".join(lines) + "\n"


def _read_or_make(path: Path) -> str:
    with contextlib.suppress(FileNotFoundError):
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text.splitlines()[0]
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    _write_private(path, password + "\n")
    return password


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def _chown(path: Path, user: str) -> None:
    if os.geteuid() != 0:
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return
    os.chown(path, entry.pw_uid, entry.pw_gid)


def _hash(passwd: Path, passwords: dict[str, str]) -> None:
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    temporary = passwd.with_name(passwd.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        for user, password in passwords.items():
            subprocess.run(
                [tool, "-b", str(temporary), user, password],
                check=True,
                capture_output=True,
                timeout=30,
            )
    except (OSError, subprocess.SubprocessError) as err:
        temporary.unlink(missing_ok=True)
        raise UsageError(
            ErrorCode.MQTT_FAILED,
            f"cannot hash the passwords with {tool}: {err} (install Debian's mosquitto package)",
        ) from None
    os.replace(temporary, passwd)


def write_access(
    config: Config,
    registry: DeviceRegistry,
    *,
    root: Path = Path("/"),
    mosquitto_dir: Path = MOSQUITTO_DIR,
    edge_os_password: Path = EDGE_OS_PASSWORD,
) -> BrokerAccess:
    """Write the logins, ACL and Mosquitto snippet under ``root``; see the module."""

    def under(path: Path) -> Path:
        return root / path.relative_to("/") if path.is_absolute() else root / path

    written = BrokerAccess()
    plain = {
        "edge-os": edge_os_password,
        "homeassistant": mosquitto_dir / "homeassistant.password",
        "devices": mosquitto_dir / "devices.password",
    }
    try:
        passwords = {user: _read_or_make(under(plain[user])) for user in USERS}
        passwd, acl = mosquitto_dir / "edge-os.passwd", mosquitto_dir / "edge-os.acl"
        _hash(under(passwd), passwords)
        _write_private(under(acl), acl_text(config, registry))
        snippet = mosquitto_dir / "edge-os.conf"
        _write_private(
            under(snippet),
            "# Written by edge-os (systemd install --secure-broker): no anonymous clients,\n"
            "# three users (edge-os, homeassistant, devices), each with its own topics.\n"
            "allow_anonymous false\n"
            f"password_file {passwd}\n"
            f"acl_file {acl}\n",
        )
        under(snippet).chmod(0o644)
    except PermissionError as err:
        raise UsageError(
            ErrorCode.NOT_AVAILABLE, f"cannot write {err.filename}: run as root (sudo)"
        ) from None
    for path in (passwd, acl):
        _chown(under(path), "mosquitto")
    _chown(under(edge_os_password), "edge-os")
    written.files = [snippet, passwd, acl]
    written.passwords = plain
    return written
