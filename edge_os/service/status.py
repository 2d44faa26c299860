"""What ``edge-os status`` reads: the service's state, written to ``status.json`` each tick."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from edge_os.audio.format import SAMPLE_RATE
from edge_os.service.metrics import Metrics

_LOGGER = logging.getLogger(__name__)


def rss_mb() -> float:
    """Resident memory of this process in MiB (from /proc, 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def status(
    *,
    state: str,
    muted: bool,
    volume: int,
    started: float,
    stream_samples: int,
    load_ms: dict[str, float],
    metrics: Metrics,
    speculative: dict[str, int] | None = None,
    satellites: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The status document: state, settings, uptime, memory, stream position, metrics,
    how many commands were transcribed ahead at a pause (used, wasted), and on a hub its
    satellites."""
    now = time.time()
    return {
        "pid": os.getpid(),
        "state": state,
        "muted": muted,
        "volume": volume,
        "started": round(started, 3),
        "updated": round(now, 3),
        "uptime_seconds": round(now - started, 1),
        "rss_mb": rss_mb(),
        "stream_seconds": round(stream_samples / SAMPLE_RATE, 1),
        "load_ms": load_ms,
        "metrics": metrics.snapshot(),
        "speculative": speculative,
        "role": "hub" if satellites is not None else "full",
        "satellites": satellites,
    }


def write_status(path: Path, document: dict[str, Any]) -> None:
    """Replace ``path`` with ``document`` at once (readers never see half a file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document), encoding="utf-8")
        temporary.replace(path)
    except OSError as err:
        _LOGGER.warning("cannot write %s: %s", path, err)
