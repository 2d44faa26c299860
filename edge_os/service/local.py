"""The service's door for commands typed on this machine: ``<state_dir>/control.sock``.

``edge-os say`` hands its text to the running service through this Unix socket. The
command then goes through the service's own connection, queue, follow-up context and
pending confirmation, instead of a second connection and queue of the CLI's own; a
``say "yes"`` after ``say "unlock the front door"`` confirms it, as a spoken yes would.

Only the service's own user and root may use it: the socket is created mode 0600 in the
state folder, and each caller's uid is checked again (``SO_PEERCRED``).

One request per connection, one JSON line each way::

    -> {"text": "turn on the kitchen light", "area": null, "yes": false}
    <- {"report": {...what edge-os say --json prints...}}   or   {"error": "why"}

A socket left by a service that was killed is replaced at the next start; the CLI treats
a socket nobody answers on as no service running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)

SOCKET_NAME = "control.sock"
"""The socket's name inside ``state_dir``."""
MAX_REQUEST_BYTES = 4096
"""Longest request line read."""
MAX_TEXT_CHARS = 500
"""Longest command text, as on the MQTT command topic."""
READ_TIMEOUT_SECONDS = 5.0
"""How long a connected caller has to send its request."""


class LocalRequestError(ValueError):
    """A request that is not what the socket takes; the message says why."""


@dataclass(frozen=True)
class LocalRequest:
    """One typed command for the service."""

    text: str
    area: str | None = None
    yes: bool = False
    """Confirm at once what the command holds for a yes (``say --yes``)."""

    def to_json(self) -> str:
        """The request line (without the newline)."""
        return json.dumps({"text": self.text, "area": self.area, "yes": self.yes})

    @classmethod
    def parse(cls, line: bytes) -> LocalRequest:
        """Read a request line; :class:`LocalRequestError` says what is wrong."""
        if len(line) > MAX_REQUEST_BYTES:
            raise LocalRequestError(f"request over {MAX_REQUEST_BYTES} bytes")
        try:
            data = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise LocalRequestError(f"not a JSON request: {err}") from None
        if not isinstance(data, dict):
            raise LocalRequestError("expected a JSON object")
        text, area, yes = data.get("text"), data.get("area"), data.get("yes", False)
        if not isinstance(text, str) or not text.strip():
            raise LocalRequestError("'text' must be a non-empty string")
        if len(text) > MAX_TEXT_CHARS:
            raise LocalRequestError(f"'text' is over {MAX_TEXT_CHARS} characters")
        if area is not None and not isinstance(area, str):
            raise LocalRequestError("'area' must be a string or null")
        if not isinstance(yes, bool):
            raise LocalRequestError("'yes' must be true or false")
        return cls(text.strip(), area, yes)


Handler = Callable[[LocalRequest], Awaitable[dict[str, Any]]]
"""Carries out a request; returns ``say``'s report (raising EdgeOSError when it failed)."""


def socket_path(state_dir: Path) -> Path:
    """Where the service listens."""
    return state_dir / SOCKET_NAME


class LocalControl:
    """The listening side, run in the service's event loop."""

    def __init__(self, path: Path, handle: Handler) -> None:
        self.path = path
        self._handle = handle
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> bool:
        """Listen; False (logged) when the socket cannot be made, the service runs on."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()  # left by a service that was killed
            old_mask = os.umask(0o177)
            try:
                self._server = await asyncio.start_unix_server(
                    self._serve, path=str(self.path), limit=MAX_REQUEST_BYTES + 1
                )
            finally:
                os.umask(old_mask)
            os.chmod(self.path, 0o600)
        except OSError as err:
            _LOGGER.warning("no local control socket at %s: %s", self.path, err)
            return False
        return True

    async def stop(self) -> None:
        """Stop listening and remove the socket."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
            with contextlib.suppress(OSError):
                self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            answer = await self._answer(reader, writer)
            writer.write(json.dumps(answer).encode("utf-8") + b"\n")
            await writer.drain()
        except (TimeoutError, OSError) as err:
            _LOGGER.info("local control: the caller went away (%s)", err)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> dict[str, Any]:
        uid = _peer_uid(writer)
        if uid is not None and uid not in (os.getuid(), 0):
            _LOGGER.warning("local control: refused a caller with uid %d", uid)
            return {"error": "only the service's own user or root may command it"}
        try:
            line = await asyncio.wait_for(reader.readuntil(b"\n"), READ_TIMEOUT_SECONDS)
        except asyncio.LimitOverrunError:
            return {"error": f"request over {MAX_REQUEST_BYTES} bytes"}
        except asyncio.IncompleteReadError as err:
            line = err.partial
        try:
            request = LocalRequest.parse(line)
        except LocalRequestError as err:
            return {"error": str(err)}
        from edge_os.errors import EdgeOSError

        try:
            return {"report": await self._handle(request)}
        except EdgeOSError as err:
            return {"error": err.message, "code": err.code.value, "exit": err.exit_code}
        except Exception as err:  # the caller hears it; the service runs on
            _LOGGER.error("a command typed on this machine failed", exc_info=err)
            return {"error": f"the service failed to carry it out: {err}"}


def _peer_uid(writer: asyncio.StreamWriter) -> int | None:
    sock = writer.get_extra_info("socket")
    option = getattr(socket, "SO_PEERCRED", None)
    if sock is None or option is None:
        return None
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, 12))
    except OSError:
        return None
    return int(uid)


class NoServiceError(Exception):
    """Nothing answers on the socket: no service is running (or it is not ours to use)."""


def ask(path: Path, request: LocalRequest, timeout_seconds: float) -> dict[str, Any]:
    """Send ``request`` to the service listening at ``path``; its answer as a dict.

    Raises :class:`NoServiceError` when there is no socket or nobody listens on it, and
    :class:`PermissionError` when it belongs to another user.
    """
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout_seconds)
    try:
        try:
            client.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as err:
            raise NoServiceError(str(err)) from None
        client.sendall(request.to_json().encode("utf-8") + b"\n")
        chunks: list[bytes] = []
        while True:
            chunk = client.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        client.close()
    try:
        answer = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise NoServiceError("the service closed the socket without an answer") from None
    if not isinstance(answer, dict):
        raise NoServiceError("the service's answer is not a JSON object")
    return answer
