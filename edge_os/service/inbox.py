"""The control inbox: text commands from MQTT, on disk before the broker is answered.

Commands on ``<topic_prefix>/<site id>/command`` and Hermes ``hermes/nlu/query`` are
written here (SQLite in WAL mode, ``<state_dir>/control/inbox.sqlite3``) inside the MQTT
handler, and the connection sends the PUBACK only after the handler returned: once the
broker forgets a command, it is on disk. A row goes ``pending`` -> ``taken`` (handling
began) -> ``done``.

At start-up the service hands over again what a crash left ``pending`` or ``taken``,
except rows older than the age limit (``mqtt.queue_max_age_seconds``: dropped, logged)
and rows already taken :data:`MAX_ATTEMPTS` times (a command that kills edge-os must not
kill it on every start). A command is handled inside
:func:`~edge_os.drivers.mqtt.queue.command_origin` keyed by its row, so handling a ``taken``
command again does not queue its device commands a second time.

The broker sends a message again (dup flag, same packet id) when our PUBACK did not reach
it; such a redelivery of a stored command is recognised and not stored twice.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from edge_os.config.settings import Config
from edge_os.drivers.mqtt.connection import Inbound
from edge_os.drivers.mqtt.queue import command_origin
from edge_os.errors import DeviceError, ErrorCode

_LOGGER = logging.getLogger(__name__)

INBOX_FILE = "inbox.sqlite3"
MAX_ATTEMPTS = 2
"""Times a command may be taken; edge-os died while handling it every time: dropped."""
DEDUPE_ROWS = 1000
"""Recent rows a redelivery is looked for in (the broker's packet ids cycle through 65535)."""
KEEP_FINISHED_SECONDS = 24 * 3600.0
"""How long handled commands are kept (to recognise late redeliveries), then pruned."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    topic TEXT NOT NULL,
    text TEXT NOT NULL,
    packet_id INTEGER NOT NULL,
    digest TEXT NOT NULL,
    received_unix REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0
)
"""
_R = TypeVar("_R")


@dataclass(frozen=True)
class InboxEntry:
    """One stored control command."""

    id: int
    key: str
    """Unique key (also of the device commands it queues)."""
    topic: str
    text: str
    received_unix: float
    attempts: int
    """Times its handling began before (1: edge-os died while handling it)."""


class ControlInbox:
    """Control commands in one SQLite file; safe to use from several threads."""

    def __init__(self, folder: Path, *, max_age_seconds: float) -> None:
        self.path = folder / INBOX_FILE
        self.max_age_seconds = max_age_seconds
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # survives a crash of edge-os
            self._db.execute(_SCHEMA)
            self._db.execute(
                "DELETE FROM inbox WHERE state IN ('done', 'dropped') AND received_unix < ?",
                (time.time() - KEEP_FINISHED_SECONDS,),
            )
        except (OSError, sqlite3.Error) as err:
            raise DeviceError(
                ErrorCode.MQTT_FAILED, f"cannot open the control inbox {self.path}: {err}"
            ) from err
        self._lock = threading.Lock()

    @classmethod
    def open(cls, config: Config) -> ControlInbox:
        """The inbox under ``<state_dir>/control`` with the configured age limit."""
        max_age = config.mqtt.queue_max_age_seconds
        return cls(config.state_dir / "control", max_age_seconds=max_age)

    def accept(
        self, message: Inbound, text: str, now_unix: float | None = None
    ) -> InboxEntry | None:
        """Store a command; None when it is a redelivery of one already stored."""
        now = time.time() if now_unix is None else now_unix
        digest = hashlib.sha256(message.payload).hexdigest()
        key = uuid.uuid4().hex
        try:
            with self._lock:
                if message.dup and self._stored(message, digest, now):
                    return None
                cursor = self._db.execute(
                    "INSERT INTO inbox (key, topic, text, packet_id, digest, received_unix) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (key, message.topic, text, message.packet_id, digest, now),
                )
        except sqlite3.Error as err:
            raise DeviceError(
                ErrorCode.MQTT_FAILED, f"cannot write to the control inbox {self.path}: {err}"
            ) from err
        return InboxEntry(cursor.lastrowid or 0, key, message.topic, text, now, 0)

    def _stored(self, message: Inbound, digest: str, now: float) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM inbox WHERE id > (SELECT COALESCE(MAX(id), 0) FROM inbox) - ? "
            "AND topic = ? AND packet_id = ? AND digest = ? AND received_unix > ?",
            (DEDUPE_ROWS, message.topic, message.packet_id, digest, now - self.max_age_seconds),
        ).fetchone()
        return row is not None

    def unfinished(self, now_unix: float | None = None) -> list[InboxEntry]:
        """Commands a previous run left unhandled, oldest first; too old or tried: dropped."""
        now = time.time() if now_unix is None else now_unix
        with self._lock:
            rows = self._db.execute(
                "SELECT id, key, topic, text, received_unix, attempts FROM inbox "
                "WHERE state IN ('pending', 'taken') ORDER BY id"
            ).fetchall()
        entries: list[InboxEntry] = []
        for row in rows:
            entry = InboxEntry(*row)
            if now - entry.received_unix > self.max_age_seconds:
                why = f"it is {now - entry.received_unix:.0f} s old"
            elif entry.attempts >= MAX_ATTEMPTS:
                why = f"edge-os stopped while handling it {entry.attempts} times"
            else:
                entries.append(entry)
                continue
            _LOGGER.warning(
                "dropping the control command %r from %s: %s", entry.text, entry.topic, why
            )
            self._set(entry.id, "dropped")
        return entries

    def take(self, entry_id: int) -> None:
        """Handling begins (counts as an attempt)."""
        self._update(
            "UPDATE inbox SET state = 'taken', attempts = attempts + 1 WHERE id = ?", entry_id
        )

    def done(self, entry_id: int) -> None:
        """Handling ended, well or not: it is never handled again."""
        self._set(entry_id, "done")

    def _set(self, entry_id: int, state: str) -> None:
        self._update("UPDATE inbox SET state = ? WHERE id = ?", state, entry_id)

    def _update(self, sql: str, *params: object) -> None:
        entry_id = params[-1]
        try:
            with self._lock:
                self._db.execute(sql, params)
        except sqlite3.Error as err:  # closed at shutdown under a late command, disk full
            _LOGGER.warning(
                "control inbox %s: cannot record command %s: %s", self.path, entry_id, err
            )

    def close(self) -> None:
        """Close the file (unhandled commands stay on disk)."""
        with self._lock:
            self._db.close()


@dataclass(frozen=True)
class Ticket:
    """A stored control command on its way through the service."""

    inbox: ControlInbox
    entry: InboxEntry

    def wrap(self, handle: Callable[..., _R]) -> Callable[..., _R]:
        """``handle`` marked taken then done around it, its device commands keyed by the row."""

        def run(*args: Any, **kwargs: Any) -> _R:
            self.inbox.take(self.entry.id)
            try:
                with command_origin(f"control:{self.entry.key}"):
                    return handle(*args, **kwargs)
            finally:
                self.inbox.done(self.entry.id)

        return run
