"""Durable command queue on disk (SQLite in WAL mode), ordered per entity.

Every MQTT command is a row written before anything is sent. It stays ``pending`` until
the broker confirmed it with a success PUBACK, then becomes ``done``; a command the broker
refused becomes ``failed``, one past its age limit ``stale`` (never published). For a
device that reports its state, a confirmed command is ``sent`` until that state shows it
(or a while passes): if the broker goes away first, it is ``pending`` again. Commands
for one entity are delivered in the order they were queued; entities do not wait for
each other, so a device that is away does not hold up the others.

A command may carry an ``origin`` key (a control command's inbox id and its position):
pushing the same origin again returns the first row instead of a new one, so a control
command handled again after a crash of edge-os does not send its device commands twice.
Finished rows with an origin are kept :data:`KEEP_FINISHED_SECONDS` for that; the others
are deleted at once.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from edge_os.errors import DeviceError, ErrorCode

_LOGGER = logging.getLogger(__name__)

QUEUE_FILE = "commands.sqlite3"
KEEP_FINISHED_SECONDS = 7 * 24 * 3600.0
"""How long a finished command with an origin is remembered (to recognise a repeat)."""
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
_COLUMNS = {
    "state": "TEXT NOT NULL DEFAULT 'pending'",
    "origin": "TEXT",
    "finished_unix": "REAL",
    "unconfirmed": "INTEGER NOT NULL DEFAULT 0",
}
_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS commands_origin ON commands (origin) "
    "WHERE origin IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS commands_pending ON commands (state, entity_id, id)",
)
_SELECT = (
    "SELECT id, topic, payload, retain, entity_id, created_unix, state, origin, unconfirmed "
    "FROM commands"
)


class CommandState(StrEnum):
    """Where a queued command is in its life."""

    PENDING = "pending"
    """Waiting to be sent, or sent and not yet confirmed with success."""
    SENT = "sent"
    """Confirmed by the broker; its device's state has not shown it yet. Sent again if the
    broker goes away before it does (a crashed broker loses what it had not passed on)."""
    DONE = "done"
    """The broker confirmed it with a success PUBACK."""
    FAILED = "failed"
    """The broker refused it (not authorized, ...); it will not be sent again."""
    STALE = "stale"
    """Older than the age limit before it could be confirmed; dropped, not sent late."""


@dataclass(frozen=True)
class QueuedCommand:
    """One MQTT command and where it is in its life."""

    id: int
    """Position in the queue (increasing: delivery order per entity)."""
    topic: str
    payload: bytes
    retain: bool
    entity_id: str
    """Entity the command is for (its delivery order is kept)."""
    created_unix: float
    """Wall-clock time it was queued (seconds since the epoch)."""
    state: CommandState = CommandState.PENDING
    origin: str | None = None
    """Key of what asked for it, for recognising a repeat (None: always a new command)."""
    unconfirmed: int = 0
    """Publishes with no answer yet or ever (a crash came first): each may have arrived."""


@dataclass
class _OriginScope:
    key: str
    count: int = 0


_ORIGIN: ContextVar[_OriginScope | None] = ContextVar("edge_os_command_origin", default=None)


@contextmanager
def command_origin(key: str) -> Iterator[None]:
    """Key the commands queued inside (in this thread) ``<key>#1``, ``<key>#2``, ...

    Work done again under the same key (a control command handled again after a crash of
    edge-os) finds its commands already queued or sent, and sends nothing twice.
    """
    token = _ORIGIN.set(_OriginScope(key))
    try:
        yield
    finally:
        _ORIGIN.reset(token)


def next_origin() -> str | None:
    """The origin key for the next command queued here (None outside :func:`command_origin`)."""
    scope = _ORIGIN.get()
    if scope is None:
        return None
    scope.count += 1
    return f"{scope.key}#{scope.count}"


class CommandQueue:
    """Commands in one SQLite file; safe to use from several threads."""

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
            present = {row[1] for row in self._db.execute("PRAGMA table_info(commands)")}
            for column, declaration in _COLUMNS.items():
                if column not in present:  # a queue written by an older edge-os
                    self._db.execute(f"ALTER TABLE commands ADD COLUMN {column} {declaration}")
            for index in _INDEXES:
                self._db.execute(index)
        except (OSError, sqlite3.Error) as err:
            raise DeviceError(
                ErrorCode.MQTT_FAILED, f"cannot open the command queue {self.path}: {err}"
            ) from err
        self._lock = threading.Lock()

    def push(
        self,
        topic: str,
        payload: bytes,
        *,
        retain: bool,
        entity_id: str,
        origin: str | None = None,
        now_unix: float | None = None,
    ) -> QueuedCommand:
        """Append a command once it is on disk; with a known ``origin``, the earlier row."""
        created = time.time() if now_unix is None else now_unix
        try:
            with self._lock:
                if origin is not None:
                    row = self._db.execute(f"{_SELECT} WHERE origin = ?", (origin,)).fetchone()
                    if row is not None:
                        return _command(row)
                cursor = self._db.execute(
                    "INSERT INTO commands (topic, payload, retain, entity_id, created_unix, "
                    "origin) VALUES (?, ?, ?, ?, ?, ?)",
                    (topic, payload, int(retain), entity_id, created, origin),
                )
                rowid = cursor.lastrowid
        except sqlite3.Error as err:
            raise DeviceError(
                ErrorCode.MQTT_FAILED, f"cannot write to the command queue {self.path}: {err}"
            ) from err
        if rowid is None:  # pragma: no cover - sqlite always sets it after an INSERT
            raise DeviceError(ErrorCode.MQTT_FAILED, "the command queue did not store a command")
        return QueuedCommand(rowid, topic, payload, retain, entity_id, created, origin=origin)

    def head(self) -> QueuedCommand | None:
        """The oldest pending command, or None when there is none."""
        with self._lock:
            row = self._db.execute(
                f"{_SELECT} WHERE state = 'pending' ORDER BY id LIMIT 1"
            ).fetchone()
        return None if row is None else _command(row)

    def heads(self) -> list[QueuedCommand]:
        """The oldest pending command of every entity, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"{_SELECT} WHERE id IN (SELECT MIN(id) FROM commands "
                "WHERE state = 'pending' GROUP BY entity_id) ORDER BY id"
            ).fetchall()
        return [_command(row) for row in rows]

    def get(self, command_id: int) -> QueuedCommand | None:
        """One command by id (None once finished and forgotten)."""
        with self._lock:
            row = self._db.execute(f"{_SELECT} WHERE id = ?", (command_id,)).fetchone()
        return None if row is None else _command(row)

    def finish(self, command_id: int, state: CommandState, now_unix: float | None = None) -> None:
        """Record a command's end (done, failed or stale); it is never sent again."""
        finished = time.time() if now_unix is None else now_unix
        with self._lock:
            self._db.execute("DELETE FROM commands WHERE id = ? AND origin IS NULL", (command_id,))
            self._db.execute(
                "UPDATE commands SET state = ?, finished_unix = ? WHERE id = ?",
                (state.value, finished, command_id),
            )

    def sending(self, command_id: int) -> int:
        """Record a publish about to happen; returns the unanswered ones before it."""
        with self._lock:
            row = self._db.execute(
                "SELECT unconfirmed FROM commands WHERE id = ?", (command_id,)
            ).fetchone()
            self._db.execute(
                "UPDATE commands SET unconfirmed = unconfirmed + 1 WHERE id = ?", (command_id,)
            )
        return 0 if row is None else int(row[0])

    def not_delivered(self, command_id: int) -> None:
        """The last publish provably reached nobody (no subscriber): it does not count."""
        with self._lock:
            self._db.execute(
                "UPDATE commands SET unconfirmed = MAX(0, unconfirmed - 1) WHERE id = ?",
                (command_id,),
            )

    def acked(self, command_id: int) -> None:
        """The broker confirmed it; it waits for its device's state (``sent``)."""
        with self._lock:
            self._db.execute(
                "UPDATE commands SET state = 'sent' WHERE id = ? AND state = 'pending'",
                (command_id,),
            )

    def sent(self) -> list[QueuedCommand]:
        """Commands the broker confirmed whose device has not shown them yet, oldest first."""
        with self._lock:
            rows = self._db.execute(f"{_SELECT} WHERE state = 'sent' ORDER BY id").fetchall()
        return [_command(row) for row in rows]

    def later(self, command: QueuedCommand) -> list[QueuedCommand]:
        """The commands for the same entity queued after ``command``, not finished."""
        with self._lock:
            rows = self._db.execute(
                f"{_SELECT} WHERE entity_id = ? AND id > ? AND state IN ('pending', 'sent') "
                "ORDER BY id",
                (command.entity_id, command.id),
            ).fetchall()
        return [_command(row) for row in rows]

    def unsend(self, command_id: int | None = None) -> int:
        """``sent`` back to ``pending``, as published with no answer (all with None)."""
        where = "state = 'sent'" + ("" if command_id is None else " AND id = ?")
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE commands SET state = 'pending', unconfirmed = MAX(unconfirmed, 1) "
                f"WHERE {where}",
                () if command_id is None else (command_id,),
            )
        return cursor.rowcount

    def remove(self, command_id: int) -> None:
        """Forget a command altogether."""
        with self._lock:
            self._db.execute("DELETE FROM commands WHERE id = ?", (command_id,))

    def contains(self, command_id: int) -> bool:
        """Whether a command is still pending."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM commands WHERE id = ? AND state = 'pending'", (command_id,)
            ).fetchone()
        return row is not None

    def prune(self, now_unix: float | None = None) -> int:
        """Forget finished commands older than :data:`KEEP_FINISHED_SECONDS`; returns how many."""
        cutoff = (time.time() if now_unix is None else now_unix) - KEEP_FINISHED_SECONDS
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM commands WHERE state NOT IN ('pending', 'sent') AND finished_unix < ?",
                (cutoff,),
            )
        return cursor.rowcount

    def __len__(self) -> int:
        """Pending commands."""
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM commands WHERE state = 'pending'"
            ).fetchone()
        return int(count)

    def close(self) -> None:
        """Close the file (the queue's content stays on disk)."""
        with self._lock:
            self._db.close()


def _command(row: tuple[Any, ...]) -> QueuedCommand:
    id_, topic, payload, retain, entity_id, created, state, origin, unconfirmed = row
    return QueuedCommand(
        int(id_),
        str(topic),
        bytes(payload),
        bool(retain),
        str(entity_id),
        float(created),
        CommandState(state),
        None if origin is None else str(origin),
        int(unconfirmed),
    )
