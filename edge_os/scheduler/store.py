"""Timers and delayed commands on disk: one SQLite file in WAL mode under the state folder.

Rows hold absolute due times (seconds since the epoch), so a timer survives a restart of
edge-os and is shared by every process on the same state folder (``edge-os say`` adds a
job, the running service fires it). Read-modify-write changes run in ``BEGIN IMMEDIATE``
transactions, and a job is claimed by deleting its row, so two processes never fire the
same job. Without a folder the table lives in memory (tests, dry runs).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_os.errors import ErrorCode, IntentError

_LOGGER = logging.getLogger(__name__)

SCHEDULE_FILE = "schedule.sqlite3"
_COLUMNS = "id, seconds, name, area, command, due_unix, left_seconds, created_unix"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS timers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seconds INTEGER NOT NULL,
    name TEXT,
    area TEXT,
    command TEXT,
    due_unix REAL,
    left_seconds REAL NOT NULL,
    created_unix REAL NOT NULL
)
"""
"""``AUTOINCREMENT``: an id is never reused, so a late cancel can never hit a newer job."""


@dataclass(frozen=True)
class Timer:
    """One timer; with a ``command`` it is a delayed command (Home Assistant's own model)."""

    id: int
    """Stable id (MQTT ``schedule/cancel`` takes it); never reused."""
    seconds: int
    """The duration it was started with ("cancel my 5 minute timer")."""
    name: str | None = None
    """Spoken name ("pizza"), lower case."""
    area: str | None = None
    """Area id it belongs to (where it was set, or the area it was named after)."""
    command: str | None = None
    """Text carried out when it finishes, through the same path as a spoken command."""
    due_unix: float | None = None
    """When it finishes (seconds since the epoch); None while paused."""
    left_seconds: float = 0.0
    """Seconds left when it was paused (meaningless while running)."""
    created_unix: float = 0.0
    """When it was started (seconds since the epoch)."""

    @property
    def paused(self) -> bool:
        """Whether the timer is paused."""
        return self.due_unix is None

    def left(self, now_unix: float) -> float:
        """Seconds left at ``now_unix`` (negative once it is overdue)."""
        return self.left_seconds if self.due_unix is None else self.due_unix - now_unix

    def to_dict(self, now_unix: float) -> dict[str, object]:
        """Plain data for MQTT: stable fields, plus seconds left only while paused."""
        return {
            "id": self.id,
            "kind": "command" if self.command else "timer",
            "name": self.name,
            "area": self.area,
            "seconds": self.seconds,
            "command": self.command,
            "due_unix": None if self.due_unix is None else round(self.due_unix, 3),
            "paused": self.paused,
            "left_seconds": round(self.left(now_unix), 1) if self.paused else None,
            "created_unix": round(self.created_unix, 3),
        }


def _row(row: tuple[Any, ...]) -> Timer:
    id_, seconds, name, area, command, due, left, created = row
    return Timer(int(id_), int(seconds), name, area, command, due, float(left), float(created))


class TimerStore:
    """The rows of the timer table; safe to use from several threads and processes."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path = None if folder is None else folder / SCHEDULE_FILE
        try:
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                ":memory:" if self.path is None else self.path,
                check_same_thread=False,
                isolation_level=None,
                timeout=2.0,
            )
            if self.path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode: a committed job survives a crash of edge-os.
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise IntentError(
                ErrorCode.INTENT_FAILED, f"cannot open the timer table {self.path}: {err}"
            ) from err
        self._lock = threading.Lock()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken before reading so no other process interleaves."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as err:
                raise IntentError(
                    ErrorCode.INTENT_FAILED, f"timer table {self.path or 'in memory'}: {err}"
                ) from err

    def add(self, timer: Timer) -> Timer:
        """Store ``timer`` (its ``id`` is ignored); returns it with its new id."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO timers (seconds, name, area, command, due_unix, left_seconds, "
                "created_unix) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    timer.seconds,
                    timer.name,
                    timer.area,
                    timer.command,
                    timer.due_unix,
                    timer.left_seconds,
                    timer.created_unix,
                ),
            )
            rowid = cursor.lastrowid
        if rowid is None:  # pragma: no cover - sqlite always sets it after an INSERT
            raise IntentError(ErrorCode.INTENT_FAILED, "the timer table did not store a timer")
        return Timer(
            rowid,
            timer.seconds,
            timer.name,
            timer.area,
            timer.command,
            timer.due_unix,
            timer.left_seconds,
            timer.created_unix,
        )

    def all(self) -> list[Timer]:
        """Every stored timer, oldest first (finished ones too until they are taken)."""
        with self._transaction() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM timers ORDER BY id").fetchall()
        return [_row(row) for row in rows]

    def update(self, timer_id: int, *, due_unix: float | None, left_seconds: float) -> bool:
        """Set a timer's due time (None: paused) and seconds left; False if it is gone."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE timers SET due_unix = ?, left_seconds = ? WHERE id = ?",
                (due_unix, left_seconds, timer_id),
            )
        return cursor.rowcount == 1

    def remove(self, timer_ids: list[int]) -> list[int]:
        """Delete timers; the ids that were still there (a job is claimed by this)."""
        removed = []
        with self._transaction() as db:
            for timer_id in timer_ids:
                if db.execute("DELETE FROM timers WHERE id = ?", (timer_id,)).rowcount == 1:
                    removed.append(timer_id)
        return removed

    def take_due(self, now_unix: float) -> list[Timer]:
        """Remove and return the running timers due at ``now_unix``, earliest first."""
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM timers WHERE due_unix IS NOT NULL AND due_unix <= ? "
                "ORDER BY due_unix, id",
                (now_unix,),
            ).fetchall()
            db.executemany("DELETE FROM timers WHERE id = ?", [(row[0],) for row in rows])
        return [_row(row) for row in rows]

    def close(self) -> None:
        """Close the file (the timers stay on disk)."""
        with self._lock:
            self._db.close()
