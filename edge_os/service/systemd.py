"""The systemd unit and sysusers entry for edge-os, rendered from one template.

The unit runs edge-os as a dedicated ``edge-os`` user in the ``audio`` and ``gpio`` groups,
``Type=notify`` with a watchdog, and hardened so ``systemd-analyze security`` scores it
under 2.0 while it still reaches ``/dev/snd`` and ``/dev/gpiochip*``.
``systemd/edge-os.service`` in the repository is this module's output with the defaults.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from edge_os.errors import ErrorCode, UsageError

DEFAULT_EXEC = Path("/opt/edge-os/.venv/bin/edge-os")
DEFAULT_CONFIG = Path("/etc/edge-os/config.yaml")
LAN_ADDRESSES = "localhost link-local multicast 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16"
UNIT_PATH = Path("/etc/systemd/system/edge-os.service")
SYSUSERS_PATH = Path("/etc/sysusers.d/edge-os.conf")

SYSUSERS = """\
# edge-os: a system user that may use the sound card and the GPIO chip, nothing more.
u edge-os - "edge-os voice assistant" /var/lib/edge-os
m edge-os audio
m edge-os gpio
"""

_TEMPLATE = """\
# edge-os: on-device voice assistant. Rendered by `edge-os systemd render`.
[Unit]
Description=edge-os on-device voice assistant
Documentation=https://pypi.org/project/edge-os/
After=network-online.target sound.target
Wants=network-online.target

[Service]
# READY=1 once the models are loaded, WATCHDOG=1 from the event loop, STATUS= lines.
Type=notify
NotifyAccess=main
ExecStart={exec_path} --config {config_path} run
WatchdogSec={watchdog_seconds}
Restart=on-failure
RestartSec=5
TimeoutStartSec=180
# SIGTERM lets the current command finish and the queue reach the disk.
TimeoutStopSec=30
User=edge-os
Group=edge-os
SupplementaryGroups=audio gpio
StateDirectory=edge-os
StateDirectoryMode=0700
CacheDirectory=edge-os
ConfigurationDirectory=edge-os
Environment=PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
UMask=0077

# Hardening: only the sound card and the GPIO chip, only LAN addresses, no privileges.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateMounts=yes
DevicePolicy=closed
DeviceAllow=char-alsa rw
DeviceAllow=char-gpiochip rw
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
# No MemoryDenyWriteExecute: CTranslate2's oneDNN/MKL kernels are generated at run time.
RemoveIPC=yes
KeyringMode=private
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM
IPAddressDeny=any
IPAddressAllow={ip_allow}

[Install]
WantedBy=multi-user.target
"""


@dataclass(frozen=True)
class UnitOptions:
    """What varies between installs."""

    exec_path: Path = DEFAULT_EXEC
    """The ``edge-os`` console script to run."""
    config_path: Path = DEFAULT_CONFIG
    """Config file passed with ``--config``."""
    ip_allow: str = LAN_ADDRESSES
    """Addresses the service may talk to (the broker's): loopback and private ranges."""
    watchdog_seconds: int = 30
    """systemd restarts the service when the loop misses pings this long."""


def current_exec() -> Path:
    """The ``edge-os`` script of the running installation."""
    script = Path(sys.executable).parent / "edge-os"
    return script if script.exists() else Path(shutil.which("edge-os") or DEFAULT_EXEC)


def render_unit(options: UnitOptions = UnitOptions()) -> str:
    """The unit file text."""
    return _TEMPLATE.format(
        exec_path=options.exec_path,
        config_path=options.config_path,
        ip_allow=options.ip_allow,
        watchdog_seconds=options.watchdog_seconds,
    )


def install(options: UnitOptions, root: Path = Path("/")) -> list[Path]:
    """Write the unit and sysusers entry under ``root``, create the user, reload systemd."""
    unit = root / UNIT_PATH.relative_to("/")
    sysusers = root / SYSUSERS_PATH.relative_to("/")
    try:
        for path, text in ((unit, render_unit(options)), (sysusers, SYSUSERS)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except PermissionError as err:
        raise UsageError(
            ErrorCode.NOT_AVAILABLE, f"cannot write {err.filename}: run as root (sudo)"
        ) from None
    if root == Path("/"):
        for command in (["systemd-sysusers", str(sysusers)], ["systemctl", "daemon-reload"]):
            subprocess.run(command, check=True)
    return [unit, sysusers]
