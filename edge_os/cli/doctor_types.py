"""What one of ``edge-os doctor``'s checks says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["OK", "WARN", "FAIL", "SKIP"]


@dataclass(frozen=True)
class Check:
    """The verdict of one check."""

    name: str
    """What was checked (config, models, audio, broker, wake, registry, reader, ...)."""
    status: Status
    """OK, WARN, FAIL, or SKIP (not checked: the config could not be loaded)."""
    message: str
    """What was found, and for WARN/FAIL what to do."""
