"""The embedded default broker: the Debian ``mosquitto`` binary on a free loopback port.

With ``mqtt.host: null`` edge-os starts its own Mosquitto so the whole service works end
to end without an external broker; the test suite uses the same class. edge-os's own is
private: anonymous clients are refused, and the one user it knows has a password made at
start (kept hashed in a 0600 file in the broker's private folder), so nothing else on
the machine can command or confirm anything through it.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from edge_os.errors import DeviceError, ErrorCode

_LOGGER = logging.getLogger(__name__)

MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
PRIVATE_USER = "edge-os"
"""The one user of edge-os's own broker; its password is new at every start."""
START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class BrokerTls:
    """A TLS listener: server certificate and key, and the CA clients are checked against."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    require_client_cert: bool = False
    """Refuse clients without a certificate signed by ``ca_file``."""


def find_mosquitto() -> str:
    """Path of the mosquitto binary, or a clear error saying how to install it."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in MOSQUITTO_PATHS:
        if Path(candidate).is_file():
            return candidate
    raise DeviceError(
        ErrorCode.MQTT_FAILED,
        "mosquitto is not installed: install it with `sudo apt-get install mosquitto`, "
        "or set mqtt.host to an existing broker",
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedBroker:
    """A private Mosquitto bound to loopback, started and stopped with this object."""

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        tls: BrokerTls | None = None,
        password_file: Path | None = None,
        persistence: bool = False,
        private: bool = False,
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.tls = tls
        self.password_file = password_file
        self.persistence = persistence
        self.private = private
        """edge-os's own broker: anonymous clients refused, one generated user (below)."""
        self.username: str | None = PRIVATE_USER if private else None
        self.password: str | None = secrets.token_urlsafe(24) if private else None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def folder(self) -> Path:
        """Temporary folder of the generated config, log and persistence file."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="edge-os-mosquitto-")
        return Path(self._tmp.name)

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def config_text(self) -> str:
        """The generated mosquitto.conf."""
        lines = [
            f"listener {self.port} {self.host}",
            f"allow_anonymous {'false' if self.password_file or self.private else 'true'}",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ]
        if os.geteuid() == 0:
            # as root mosquitto would switch to the `mosquitto` user, who cannot read our
            # private temporary folder
            lines.append("user root")
        if self.password_file is not None:
            lines.append(f"password_file {self.password_file}")
        if self.private:
            lines += [f"password_file {self.folder / 'passwd'}", f"acl_file {self.folder / 'acl'}"]
        if self.tls is not None:
            lines += [
                f"cafile {self.tls.ca_file}",
                f"certfile {self.tls.cert_file}",
                f"keyfile {self.tls.key_file}",
                f"require_certificate {'true' if self.tls.require_client_cert else 'false'}",
            ]
        if self.persistence:
            lines += ["persistence true", f"persistence_location {self.folder}/"]
        return "\n".join(lines) + "\n"

    def start(self, timeout_seconds: float = START_TIMEOUT_SECONDS) -> None:
        """Start mosquitto and return once it accepts TCP connections."""
        if self.running:
            return
        binary = find_mosquitto()
        if self.private:
            self._write_credentials()
        config = self.folder / "mosquitto.conf"
        config.write_text(self.config_text(), encoding="utf-8")
        log = (self.folder / "mosquitto.log").open("ab")
        try:
            self._process = subprocess.Popen(
                [binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        except OSError as err:
            raise DeviceError(ErrorCode.MQTT_FAILED, f"cannot start {binary}: {err}") from err
        finally:
            log.close()
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise DeviceError(
                    ErrorCode.MQTT_FAILED,
                    f"mosquitto exited with code {self._process.returncode} on start: "
                    f"{self.log_text().strip()[-500:]}",
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    _LOGGER.debug("mosquitto is listening on %s:%d", self.host, self.port)
                    return
            except OSError:
                time.sleep(0.02)  # polling a socket that is not there yet
        self.stop()
        raise DeviceError(
            ErrorCode.MQTT_FAILED,
            f"mosquitto did not accept connections on {self.host}:{self.port} "
            f"within {timeout_seconds:.0f} s",
        )

    def _write_credentials(self) -> None:
        """The generated user's hashed password (0600, by ``mosquitto_passwd``) and an ACL
        that gives it every topic and nobody else any."""
        assert self.username is not None and self.password is not None
        tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        passwd = self.folder / "passwd"
        passwd.touch(mode=0o600)
        try:
            subprocess.run(
                [tool, "-b", str(passwd), self.username, self.password],
                check=True,
                capture_output=True,
                timeout=START_TIMEOUT_SECONDS,
            )
        except (OSError, subprocess.SubprocessError) as err:
            raise DeviceError(
                ErrorCode.MQTT_FAILED,
                f"cannot write the embedded broker's password file with {tool}: {err} "
                "(it comes with Debian's mosquitto package)",
            ) from err
        passwd.chmod(0o600)
        acl = self.folder / "acl"
        acl.write_text(f"user {self.username}\ntopic readwrite #\n", encoding="utf-8")
        acl.chmod(0o600)

    def stop(self, *, kill: bool = False) -> None:
        """Stop the broker: SIGTERM (it saves its state), or SIGKILL with ``kill``."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_SECONDS)

    def restart(self) -> None:
        """Stop and start again on the same port (persistence, if on, is kept)."""
        self.stop()
        self.start()

    def log_text(self) -> str:
        """What mosquitto wrote to its log so far."""
        path = self.folder / "mosquitto.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def close(self) -> None:
        """Stop the broker and remove its temporary folder."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
