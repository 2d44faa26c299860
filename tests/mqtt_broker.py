"""Test helpers around a real Mosquitto: a recording subscriber, TLS files, password files."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from edge_os.drivers.mqtt.broker import BrokerTls, EmbeddedBroker
from tests.waiting import wait_until


@dataclass(frozen=True)
class Received:
    """One message the subscriber got."""

    topic: str
    payload: bytes
    retain: bool
    dup: bool
    at: float = 0.0
    """When it arrived (``time.time()``)."""


class Subscriber:
    """A plain paho client recording what arrives on ``topic_filter`` (QoS 1)."""

    def __init__(
        self,
        broker: EmbeddedBroker,
        topic_filter: str = "#",
        *,
        persistent_session: bool = False,
        client_id: str = "test-subscriber",
    ) -> None:
        self.topic_filter = topic_filter
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=not persistent_session,
        )
        self.client.reconnect_delay_set(0.02, 0.2)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        if not self.subscribed.wait(5):
            raise AssertionError("the test subscriber could not subscribe")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        client.subscribe(self.topic_filter, qos=1)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self.messages.append(
                Received(
                    message.topic, bytes(message.payload), message.retain, message.dup, time.time()
                )
            )

    def received(self, topic: str | None = None) -> list[Received]:
        """Messages so far (on ``topic`` only, when given)."""
        with self._lock:
            return [m for m in self.messages if topic is None or m.topic == topic]

    def wait_for(
        self, count: int, topic: str | None = None, timeout_seconds: float = 10
    ) -> list[Received]:
        """Wait until ``count`` messages (on ``topic``) arrived; returns them."""
        wait_until(lambda: len(self.received(topic)) >= count, timeout_seconds, f"{count} messages")
        return self.received(topic)

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        """Publish as another device would (QoS 1, waits for PUBACK)."""
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def _self_signed_ca(key: Path, cert: Path, common_name: str) -> None:
    """A P-256 CA key and its self-signed certificate, valid two days."""
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={common_name}",
    )  # fmt: skip


def make_tls_files(folder: Path, with_client: bool = True) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        name: folder / f"{name}.pem"
        for name in (
            "ca",
            "ca_key",
            "server",
            "server_key",
            "client",
            "client_key",
            "rogue_ca",
            "rogue_key",
        )
    }
    _self_signed_ca(files["ca_key"], files["ca"], "edge-os test CA")
    _self_signed_ca(files["rogue_key"], files["rogue_ca"], "some other CA")
    names = ["server"] + (["client"] if with_client else [])
    for name in names:
        csr = folder / f"{name}.csr"
        ext = folder / f"{name}.ext"
        ext.write_text(
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
            if name == "server"
            else "extendedKeyUsage=clientAuth\n",
            encoding="utf-8",
        )
        _openssl(
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(files[f"{name}_key"]),
            "-out",
            str(csr),
            "-subj",
            f"/CN={'localhost' if name == 'server' else 'edge-os'}",
        )
        _openssl(
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(files["ca"]),
            "-CAkey",
            str(files["ca_key"]),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            str(ext),
            "-out",
            str(files[name]),
        )
    return files


def broker_tls(files: dict[str, Path], require_client_cert: bool = False) -> BrokerTls:
    """The broker side of :func:`make_tls_files`."""
    return BrokerTls(files["ca"], files["server"], files["server_key"], require_client_cert)


def make_password_file(folder: Path, username: str, password: str) -> Path:
    """A mosquitto password file made by ``mosquitto_passwd``."""
    path = folder / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(path), username, password],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path
