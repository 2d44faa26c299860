"""Reading Wyoming events off a socket with limits, so a bad client cannot exhaust memory.

One event is a JSON header line (``type``, ``data``, ``data_length``, ``payload_length``),
then ``data_length`` bytes of JSON merged into ``data``, then ``payload_length`` bytes of
payload. The ``wyoming`` package's own reader trusts both lengths; this one refuses a
header, data block or payload larger than :class:`Limits` allows before reading it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from wyoming.event import Event

MAX_LINE_BYTES = 64 * 1024
"""Longest header line; also the stream reader's buffer limit."""


@dataclass(frozen=True)
class Limits:
    """Largest parts of one event the server reads."""

    data_bytes: int = 256 * 1024
    """JSON data block after the header."""
    payload_bytes: int = 1024 * 1024
    """Binary payload (one audio chunk: 32 s of 16 kHz 16-bit mono)."""


class BadEvent(Exception):  # noqa: N818 (a protocol condition, reported to the client)
    """An event that cannot be used; ``fatal`` when the stream cannot be read any further."""

    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fatal = fatal


async def read_event(reader: asyncio.StreamReader, limits: Limits) -> Event | None:
    """The next event, or None at the end of the stream.

    Raises :class:`BadEvent` for a malformed event: not fatal when the stream is still in
    step (a bad JSON line, data that is not an object), fatal when it cannot be (a length
    that is missing, negative or over the limit, a header line over ``MAX_LINE_BYTES``, a
    stream that ends inside an event).
    """
    try:
        line = await reader.readline()
    except ValueError as err:  # asyncio's LimitOverrunError surfaces as ValueError here
        raise BadEvent("too-large", f"header line over {MAX_LINE_BYTES} bytes", fatal=True) from err
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise BadEvent("bad-event", "the stream ended inside a header line", fatal=True)
    header = _json_object(line, "header")
    data_length = _length(header, "data_length", limits.data_bytes)
    payload_length = _length(header, "payload_length", limits.payload_bytes)
    try:
        data_block = await reader.readexactly(data_length) if data_length else b""
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError as err:
        raise BadEvent("bad-event", "the stream ended inside an event", fatal=True) from err
    event_type = header.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise BadEvent("bad-event", "the header has no event type")
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise BadEvent("bad-event", f"{event_type}: data is not a JSON object")
    if data_block:
        data = {**data, **_json_object(data_block, f"{event_type} data")}
    return Event(type=event_type, data=data, payload=payload)


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as err:
        raise BadEvent("bad-event", f"{what} is not JSON: {err}") from err
    if not isinstance(value, dict):
        raise BadEvent("bad-event", f"{what} is not a JSON object")
    return value


def _length(header: dict[str, Any], key: str, limit: int) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadEvent("bad-event", f"{key} is not a byte count: {value!r}", fatal=True)
    if value > limit:
        raise BadEvent("too-large", f"{key} {value} is over the limit of {limit}", fatal=True)
    return value
