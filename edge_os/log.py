"""Logging setup: plain or JSON lines on stderr, without timestamps under journald."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Literal

LogFormat = Literal["text", "json"]


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the error code if any)."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a JSON line."""
        entry: dict[str, object] = {
            "time": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        code = getattr(record, "code", None)
        if code is not None:
            entry["code"] = str(code)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def under_journald() -> bool:
    """True when stderr is connected to the systemd journal (it adds its own timestamps)."""
    return "JOURNAL_STREAM" in os.environ


def setup_logging(level: str = "INFO", fmt: LogFormat = "text") -> None:
    """Send edge-os's logs to stderr at ``level`` in ``fmt``; safe to call again."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    elif under_journald():
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
