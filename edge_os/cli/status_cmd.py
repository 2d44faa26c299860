"""``edge-os status``: what the running service is doing, from its status file."""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.errors import DeviceError, ErrorCode

STALE_SECONDS = 15.0
"""A status file older than this means the service is not running (it is rewritten every 2 s)."""


def add_parser(commands: Any) -> None:
    """Register ``status``."""
    parser = commands.add_parser("status", help="show the running service's state and metrics")
    parser.add_argument("--json", action="store_true", help="print the status as JSON")
    parser.set_defaults(handler=_status)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user (the service's)
    return True


def _status(args: argparse.Namespace) -> int:
    config = load_config(discover_config_path(args.config))
    path = config.state_dir / "status.json"
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeviceError(ErrorCode.NOT_AVAILABLE, f"edge-os is not running (no {path})") from None
    except (OSError, json.JSONDecodeError) as err:
        raise DeviceError(ErrorCode.NOT_AVAILABLE, f"cannot read {path}: {err}") from None
    age = time.time() - float(status.get("updated", 0))
    running = age < STALE_SECONDS and _alive(int(status.get("pid", 0)))
    status["running"] = running
    status["age_seconds"] = round(age, 1)
    if args.json:
        print(json.dumps(status))
    elif status.get("role") == "satellite":
        _print_satellite(status, running)
    else:
        metrics = status.get("metrics", {})
        print(f"edge-os: {status['state'] if running else 'not running'} (pid {status['pid']})")
        print(
            f"  uptime {status['uptime_seconds']} s, RSS {status['rss_mb']} MiB, "
            f"muted {status['muted']}, volume {status['volume']}"
        )
        print(
            f"  wakes {metrics.get('wakes', 0)}, commands {metrics.get('commands', 0)}, "
            f"actions {metrics.get('actions', 0)}, errors {metrics.get('errors', 0)}"
        )
        guessed = status.get("speculative")
        if guessed:
            print(
                f"  transcribed at a pause: used {guessed['used']}, "
                f"wasted {guessed['wasted']} (the speaker went on)"
            )
        for stage, summary in metrics.get("latency", {}).items():
            print(
                f"  {stage:<12} p50 {summary['p50_ms']} ms  p95 {summary['p95_ms']} ms  "
                f"(n={summary['n']})"
            )
        for site in status.get("satellites") or []:
            _print_site(site)
    return 0 if running else 3


def _print_satellite(status: dict[str, Any], running: bool) -> None:
    state = status["state"] if running else "not running"
    print(f"edge-os satellite {status['site']} ({status['area']}): {state} (pid {status['pid']})")
    print(
        f"  uptime {status['uptime_seconds']} s, RSS {status['rss_mb']} MiB, hub "
        f"{status['hub']}, broker {'connected' if status['connected'] else 'not connected'}"
    )
    print(
        f"  wakes {status['wakes']}: handled {status['handled']}, stood down "
        f"{status['stood_down']}; commands sent {status['commands']}, answers played "
        f"{status['answers']}"
    )
    print(
        f"  audio overflows {status.get('audio_overflows', 0)}, broker reconnects "
        f"{status.get('reconnects', 0)}"
    )


def _print_site(site: dict[str, Any]) -> None:
    seen = site.get("last_seen_seconds")
    online = {True: "online", False: "offline", None: "?"}[site.get("online")]
    own = site.get("satellite") or {}
    print(
        f"  site {site['site']:<12} {site.get('area') or '-':<12} {online:<8} last seen "
        f"{'-' if seen is None else f'{seen} s ago'}; wakes {site['wakes']}, commands "
        f"{site['commands']}, refused {site['refused']}, dropped {site['dropped']}"
        + (f"; RSS {own['rss_mb']} MiB" if "rss_mb" in own else "")
        + (
            f", audio overflows {own['audio_overflows']}, broker reconnects {own['reconnects']}"
            if "reconnects" in own
            else ""
        )
    )
