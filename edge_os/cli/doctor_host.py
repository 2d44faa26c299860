"""The doctor's checks of the machine around edge-os: GPIO, the service, memory and disk,
and when the wake word was last heard."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from edge_os.cli.doctor_types import Check

if TYPE_CHECKING:
    from edge_os.config.settings import Config

UNIT = "edge-os"
MIN_MEMORY_MB = 600
"""Below this much available memory the service (about 520 MB with its models) may not fit."""
MIN_DISK_MB = 500
"""Below this much free space in the state folder, models and the queue may not fit."""
GPIO_CHIP = Path("/dev/gpiochip0")
STALE_STATUS_SECONDS = 15.0


def gpio(config: Config) -> Check:
    """Pins are used: is the GPIO chip there and writable for this user?"""
    pins = [e for e in config.entities if e.gpio is not None]
    buttons = config.gpio.push_to_talk_pin is not None or config.gpio.mute_pin is not None
    if not pins and not buttons:
        return Check("gpio", "OK", "no GPIO used")
    if config.gpio.pin_factory == "mock" or not GPIO_CHIP.exists():
        if config.gpio.pin_factory not in {"auto", "mock"}:
            return Check(
                "gpio", "FAIL", f"{GPIO_CHIP} is missing: not a Pi? (gpio.pin_factory: auto)"
            )
        return Check("gpio", "OK", "no GPIO chip here: gpiozero's MockFactory stands in")
    if not os.access(GPIO_CHIP, os.R_OK | os.W_OK):
        return Check(
            "gpio",
            "FAIL",
            f"{GPIO_CHIP} is not writable by this user: add it to the gpio group "
            "(edge-os systemd install does so for the service's user)",
        )
    return Check("gpio", "OK", f"{len(pins)} pins and the buttons on {GPIO_CHIP}")


def _run(*command: str) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def service(config: Config) -> Check:
    """The systemd unit: active, its watchdog, restarts, and its last errors."""
    shown = _run("systemctl", "show", UNIT, "-p", "LoadState,ActiveState,WatchdogUSec,NRestarts")
    if shown is None:
        return Check("service", "OK", "no systemd here: run it by hand (`edge-os run`)")
    fields = dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)
    if fields.get("LoadState") != "loaded":
        return Check(
            "service", "WARN", "not installed as a service: `sudo edge-os systemd install`"
        )
    state = fields.get("ActiveState", "unknown")
    watchdog, restarts = fields.get("WatchdogUSec", "?"), fields.get("NRestarts", "?")
    detail = f"{state}, watchdog {watchdog}, restarts {restarts}"
    errors = _run("journalctl", "-u", UNIT, "-p", "err", "-n", "3", "-o", "cat", "--no-pager")
    last = [line for line in (errors or "").splitlines() if line.strip()]
    if last:
        detail += f"; last error: {last[-1][:120]}"
    if state != "active":
        return Check("service", "FAIL", f"{detail} (`journalctl -u {UNIT}` says why)")
    return Check("service", "WARN" if last else "OK", detail)


def resources(config: Config) -> Check:
    """Memory available and disk free under the state folder."""
    available = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) // 1024
    except OSError:
        pass
    folder = config.state_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free // (1024 * 1024)
    memory = "?" if available is None else str(available)
    detail = f"{memory} MB memory available, {free} MB free in {folder}"
    if available is not None and available < MIN_MEMORY_MB:
        return Check("resources", "WARN", f"{detail}: edge-os needs about {MIN_MEMORY_MB} MB")
    if free < MIN_DISK_MB:
        return Check("resources", "WARN", f"{detail}: keep {MIN_DISK_MB} MB free for models")
    return Check("resources", "OK", detail)


def last_wake(config: Config) -> Check:
    """From the running service's status file: how long since the wake word was heard."""
    path = config.state_dir / "status.json"
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Check("last_wake", "OK", "the service is not running here, so nothing to ask")
    now = time.time()
    if now - float(status.get("updated", 0)) > STALE_STATUS_SECONDS:
        return Check("last_wake", "WARN", f"{path} is stale: the service is not running")
    metrics = status.get("metrics", {})
    heard = metrics.get("last_wake_unix")
    uptime = float(status.get("uptime_seconds", 0))
    if heard is None:
        return Check(
            "last_wake",
            "OK" if uptime < 3600 else "WARN",
            f"no wake word heard in {uptime / 60:.0f} min since the start"
            + ("" if uptime < 3600 else ": try `edge-os setup` (step 3) or lower wake.threshold"),
        )
    return Check("last_wake", "OK", f"last heard {(now - float(heard)) / 60:.0f} min ago "
                 f"({metrics.get('wakes', 0)} since the start)")  # fmt: skip
