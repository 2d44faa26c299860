"""The Wyoming server: a TCP listener handing each client to a :class:`Connection`.

Wyoming has no authentication and no encryption: whoever reaches the port can use the
microphone-free half of the assistant, including carrying out commands. The server binds
to loopback unless told otherwise and warns when it is not.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from wyoming.info import Info

from edge_os.errors import ErrorCode, UsageError
from edge_os.wyoming import DEFAULT_URI
from edge_os.wyoming.engines import Engines
from edge_os.wyoming.framing import MAX_LINE_BYTES, Limits
from edge_os.wyoming.handler import Connection

_LOGGER = logging.getLogger(__name__)


def parse_uri(uri: str) -> tuple[str, int]:
    """``(host, port)`` of a ``tcp://HOST:PORT`` URI; :class:`UsageError` for anything else."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError as err:
        raise UsageError(ErrorCode.CONFIG_INVALID, f"--uri {uri!r}: {err}") from None
    if parts.scheme != "tcp" or not parts.hostname or port is None:
        raise UsageError(
            ErrorCode.CONFIG_INVALID,
            f"--uri {uri!r}: expected tcp://HOST:PORT (e.g. {DEFAULT_URI})",
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise UsageError(ErrorCode.CONFIG_INVALID, f"--uri {uri!r}: expected only tcp://HOST:PORT")
    return parts.hostname, port


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WyomingServer:
    """Accepts clients on one TCP address; each gets its own :class:`Connection`."""

    def __init__(self, engines: Engines, info: Info, *, limits: Limits | None = None) -> None:
        self.engines = engines
        self.info = info
        self.limits = limits or Limits()
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host``:``port`` (0: any free port); the port bound.

        A port in use or an address that is not this machine's is a :class:`UsageError`.
        """
        try:
            self._server = await asyncio.start_server(
                self._accept, host, port, limit=MAX_LINE_BYTES
            )
        except socket.gaierror as err:
            raise UsageError(
                ErrorCode.CONFIG_INVALID, f"cannot listen on {host}: {err.strerror}"
            ) from None
        except OSError as err:
            reason = (
                "the port is in use" if err.errno == errno.EADDRINUSE else err.strerror or str(err)
            )
            raise UsageError(
                ErrorCode.CONFIG_INVALID, f"cannot listen on tcp://{host}:{port}: {reason}"
            ) from None
        bound = int(self._server.sockets[0].getsockname()[1])
        if not is_loopback(host):
            _LOGGER.warning(
                "listening on %s:%d: Wyoming has no authentication, anyone who can reach this "
                "port can run commands on your devices",
                host,
                bound,
            )
        return bound

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._clients.add(task)
        try:
            await Connection(reader, writer, self.engines, self.info, limits=self.limits).run()
        except asyncio.CancelledError:  # close(): asyncio would log a cancelled client task
            pass
        except Exception:  # the last line of defence: one client never takes the server down
            _LOGGER.exception("wyoming connection failed")
        finally:
            if task is not None:
                self._clients.discard(task)

    async def close(self) -> None:
        """Stop listening and hang up on every client."""
        if self._server is not None:
            self._server.close()
        for task in list(self._clients):
            task.cancel()
        if self._clients:
            await asyncio.gather(*self._clients, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
