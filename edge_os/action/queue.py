"""Durable, ordered command queue on disk (SQLite in WAL mode).

A command stays in the queue until the broker acknowledged it (PUBACK), so commands
given while the broker is away survive a restart of edge-os and are delivered in order.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from edge_os.errors import DeviceError, ErrorCode

_LOGGER = logging.getLogger(__name__)

QUEUE_FILE = "commands.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    created_unix REAL NOT NULL
)
"""


@dataclass(frozen=True)
class QueuedCommand:
    """One MQTT command waiting for the broker's acknowledgement."""

    id: int
    """Position in the queue (increasing: delivery order)."""
    topic: str
    payload: bytes
    retain: bool
    entity_id: str
    """Entity the command is for (for logs and events)."""
    created_unix: float
    """Wall-clock time it was queued (seconds since the epoch)."""


class CommandQueue:
    """FIFO of commands in one SQLite file; safe to use from several threads."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / QUEUE_FILE
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed command survives a crash of edge-os; only a
            # power cut can lose the last transactions.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise DeviceError(
                ErrorCode.MQTT_FAILED, f"cannot open the command queue {self.path}: {err}"
            ) from err
        self._lock = threading.Lock()

    def push(self, topic: str, payload: bytes, *, retain: bool, entity_id: str) -> int:
        """Append a command; returns its id once it is on disk."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO commands (topic, payload, retain, entity_id, created_unix) "
                "VALUES (?, ?, ?, ?, ?)",
                (topic, payload, int(retain), entity_id, time.time()),
            )
            rowid = cursor.lastrowid
        if rowid is None:  # pragma: no cover - sqlite always sets it after an INSERT
            raise DeviceError(ErrorCode.MQTT_FAILED, "the command queue did not store a command")
        return rowid

    def head(self) -> QueuedCommand | None:
        """The oldest command, or None when the queue is empty."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, topic, payload, retain, entity_id, created_unix FROM commands "
                "ORDER BY id LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return QueuedCommand(row[0], row[1], bytes(row[2]), bool(row[3]), row[4], row[5])

    def remove(self, command_id: int) -> None:
        """Forget a delivered (or dropped) command."""
        with self._lock:
            self._db.execute("DELETE FROM commands WHERE id = ?", (command_id,))

    def contains(self, command_id: int) -> bool:
        """Whether a command is still waiting."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM commands WHERE id = ?", (command_id,)).fetchone()
        return row is not None

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM commands").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the file (the queue's content stays on disk)."""
        with self._lock:
            self._db.close()
