"""systemd's notify protocol (``sd_notify``) without a C library: one datagram per message.

``READY=1`` once models are loaded, ``WATCHDOG=1`` from the event loop, ``STATUS=...``
lines for ``systemctl status``, ``STOPPING=1`` on shutdown. Outside systemd
(no ``$NOTIFY_SOCKET``) every call is a cheap no-op.
"""

from __future__ import annotations

import logging
import os
import socket

_LOGGER = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends state changes to the service manager named by ``$NOTIFY_SOCKET``."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        # A leading '@' names a socket in the abstract namespace.
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self._watchdog_usec = _watchdog_usec(env)
        self._socket: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        """Whether a service manager is listening."""
        return bool(self._address)

    @property
    def watchdog_seconds(self) -> float | None:
        """The watchdog timeout systemd expects pings within, or None when it is off."""
        return None if self._watchdog_usec is None else self._watchdog_usec / 1_000_000

    def notify(self, *fields: str) -> bool:
        """Send ``KEY=VALUE`` fields in one message; False if nobody listens or it failed."""
        if not self._address:
            return False
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.sendto("\n".join(fields).encode(), self._address)
        except OSError as err:
            _LOGGER.warning("cannot notify systemd at %s: %s", self._address, err)
            return False
        return True

    def ready(self, status: str = "listening") -> bool:
        """Tell systemd start-up is complete (models loaded)."""
        return self.notify("READY=1", f"STATUS={status}")

    def status(self, text: str) -> bool:
        """One-line status shown by ``systemctl status``."""
        return self.notify(f"STATUS={text}")

    def watchdog(self) -> bool:
        """Keep-alive ping; send it from the event loop, so a stuck loop gets restarted."""
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        """Tell systemd a clean shutdown has begun."""
        return self.notify("STOPPING=1", "STATUS=stopping")

    def close(self) -> None:
        """Release the socket."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _watchdog_usec(env: dict[str, str] | os._Environ[str]) -> int | None:
    usec = env.get("WATCHDOG_USEC")
    pid = env.get("WATCHDOG_PID")
    if not usec or not usec.isdigit():
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None  # the watchdog belongs to another process
    return int(usec)
