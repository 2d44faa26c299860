"""One MQTT connection (paho-mqtt 2.x, MQTT 3.1.1 or 5) that keeps itself up.

A network thread owned by this object runs paho's loop, reconnects with a
:class:`ReconnectBackoff`, publishes ``online`` on the availability topic after every
connect (the last will says ``offline``) and re-subscribes. Message handlers and connect
listeners run in that thread: they must be quick and hand work over thread-safely.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edge_os.action.backoff import ReconnectBackoff
from edge_os.config.settings import MqttSettings
from edge_os.errors import DeviceError, ErrorCode, MissingDependencyError

if TYPE_CHECKING:
    import paho.mqtt.client as paho

_LOGGER = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes, bool], None]
"""Called with topic, payload and retain flag, in the network thread."""
LOOP_SLICE_SECONDS = 0.05
ACKS_KEPT = 4096
"""Acknowledgements remembered for waiters; far below the 65535 message ids paho cycles."""


@dataclass(frozen=True)
class Ack:
    """The broker's answer to one QoS 1 publish."""

    ok: bool
    reason: str
    """paho's reason text ("Success", "Not authorized", ...)."""


def _paho() -> Any:
    try:
        from paho.mqtt import client
    except ImportError as err:  # pragma: no cover - the mqtt extra is installed in tests
        raise MissingDependencyError("paho-mqtt", "mqtt") from err
    return client


def read_password(settings: MqttSettings) -> str | None:
    """The password from ``password`` or the first line of ``password_file``."""
    if settings.password is not None:
        return settings.password.get_secret_value()
    if settings.password_file is not None:
        try:
            lines = settings.password_file.read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise DeviceError(
                ErrorCode.MQTT_FAILED, f"cannot read mqtt.password_file: {err}"
            ) from err
        return lines[0] if lines else ""
    return None


class MqttConnection:
    """A paho client kept connected to one broker, with an availability topic."""

    def __init__(
        self,
        settings: MqttSettings,
        *,
        host: str,
        port: int,
        client_id: str,
        availability_topic: str,
        backoff: ReconnectBackoff | None = None,
    ) -> None:
        mqtt = _paho()
        self.host = host
        self.port = port
        self.availability_topic = availability_topic
        self._backoff = backoff or ReconnectBackoff()
        v5 = settings.protocol == "5"
        self._client: paho.Client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            **({} if v5 else {"clean_session": True}),
        )
        self._client.will_set(availability_topic, "offline", qos=1, retain=True)
        if settings.username:
            self._client.username_pw_set(settings.username, read_password(settings))
        self.username = settings.username
        self._tls = settings.tls.enabled
        if settings.tls.enabled:
            self._client.tls_set(
                ca_certs=str(settings.tls.ca_file) if settings.tls.ca_file else None,
                certfile=str(settings.tls.cert_file) if settings.tls.cert_file else None,
                keyfile=str(settings.tls.key_file) if settings.tls.key_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        connect_args: dict[str, Any] = {"clean_start": True} if v5 else {}
        self._client.connect_async(host, port, settings.keepalive_seconds, **connect_args)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._client.on_subscribe = self._on_subscribe
        self._handlers: list[tuple[str, MessageHandler]] = []
        self._connect_listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._pending_subscriptions: set[int] = set()
        self._stop = threading.Event()
        self._acks: OrderedDict[int, Ack] = OrderedDict()
        self._ack_cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.last_error: str | None = None
        """Why the last attempt failed, in words (None after a successful connect)."""
        self.login_refused = False
        """The broker refused our credentials or certificate at the last attempt."""
        self.connects = 0
        """Successful connects so far (1 + reconnects)."""

    @property
    def connected(self) -> bool:
        """Whether the broker accepted us and the connection is up."""
        return self._connected.is_set()

    def wait_connected(self, timeout_seconds: float) -> bool:
        """Block until connected or the timeout; returns whether connected."""
        return self._connected.wait(timeout_seconds)

    def subscribe(self, topic_filter: str, handler: MessageHandler) -> None:
        """Subscribe (QoS 1) now and after every reconnect; ``handler`` gets each message."""
        with self._lock:
            self._handlers.append((topic_filter, handler))
            if self.connected:
                self._subscribed.clear()
                _, mid = self._client.subscribe(topic_filter, qos=1)
                if mid is not None:
                    self._pending_subscriptions.add(mid)

    def wait_subscribed(self, timeout_seconds: float) -> bool:
        """Block until the broker confirmed every subscription (SUBACK) of this connection."""
        return self._subscribed.wait(timeout_seconds)

    def add_connect_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (in the network thread) after every successful connect."""
        with self._lock:
            self._connect_listeners.append(listener)

    def start(self, wait_seconds: float = 5.0) -> bool:
        """Start the network thread and wait up to ``wait_seconds`` for the first connect.

        Returns whether connected; an unreachable broker is not an error (commands queue
        until it returns), but a refused login or certificate is: it raises DeviceError.
        """
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="edge-os-mqtt", daemon=True)
            self._thread.start()
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline and not self.connected and not self.login_refused:
            self._connected.wait(LOOP_SLICE_SECONDS)
        if self.connected:
            self._subscribed.wait(max(0.0, deadline - time.monotonic()))
        if self.login_refused:
            self.stop()
            raise DeviceError(ErrorCode.MQTT_FAILED, self.last_error or "login refused")
        if not self.connected:
            _LOGGER.warning(
                "MQTT broker %s:%d not reachable yet (%s); retrying in the background",
                self.host,
                self.port,
                self.last_error or "no answer",
            )
        return self.connected

    def publish(
        self, topic: str, payload: bytes | str, *, qos: int = 1, retain: bool = False
    ) -> int:
        """Hand a message to paho (sent now, or after reconnecting); returns its message id."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return int(info.mid)

    def wait_ack(self, mid: int, timeout_seconds: float) -> Ack | None:
        """The broker's PUBACK for ``mid``, or None if it did not come within the timeout."""
        deadline = time.monotonic() + timeout_seconds
        with self._ack_cond:
            while mid not in self._acks:
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return None
                self._ack_cond.wait(left)
            return self._acks.pop(mid)

    def stop(self) -> None:
        """Say ``offline`` on the availability topic, disconnect and end the thread."""
        self._stopping = True
        if self.connected:
            mid = self.publish(self.availability_topic, "offline", retain=True)
            self.wait_ack(mid, 1.0)
            self._client.disconnect()
        self._stop.set()
        with self._ack_cond:
            self._ack_cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5.0)
        self._thread = None
        self._connected.clear()

    # --- the network thread -------------------------------------------------------------

    def _run(self) -> None:
        mqtt = _paho()
        socket_open = False
        connects_before = 0
        while not self._stop.is_set():
            if socket_open:
                try:
                    rc = self._client.loop(LOOP_SLICE_SECONDS)
                except Exception as err:  # keep the thread alive whatever paho raises
                    _LOGGER.warning("MQTT network loop failed: %s", err)
                    rc = mqtt.MQTT_ERR_CONN_LOST
                if rc != mqtt.MQTT_ERR_SUCCESS:
                    socket_open = False
                    self._connected.clear()
                    logged_in = self.connects > connects_before
                    if not self._stop.is_set() and not logged_in and not self.login_refused:
                        self._attempt_failed(self._closed_before_login(mqtt.error_string(rc)))
                    elif not self._stop.is_set():
                        self._backoff.failed(time.monotonic())
                continue
            now = time.monotonic()
            if not self._backoff.ready(now):
                self._stop.wait(min(self._backoff.wait_seconds(now), LOOP_SLICE_SECONDS * 4))
                continue
            connects_before = self.connects
            try:
                self._client.reconnect()
                socket_open = True
            except ssl.SSLError as err:
                self._attempt_failed(f"TLS handshake with {self.host}:{self.port} failed: {err}")
                self.login_refused = True
            except OSError as err:
                self._attempt_failed(f"cannot reach {self.host}:{self.port}: {err}")

    def _closed_before_login(self, error: str) -> str:
        hint = (
            " (does it require a client certificate? set mqtt.tls.cert_file and key_file)"
            if self._tls
            else ""
        )
        return (
            f"{self.host}:{self.port} closed the connection before accepting the login: "
            f"{error}{hint}"
        )

    def _attempt_failed(self, reason: str) -> None:
        if reason != self.last_error:
            _LOGGER.warning("MQTT: %s", reason)
        self.last_error = reason
        delay = self._backoff.delay_seconds()
        self._backoff.failed(time.monotonic())
        _LOGGER.debug("MQTT: next attempt in %.2f s", delay)

    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            who = f"user {self.username!r}" if self.username else "an anonymous client"
            self.last_error = (
                f"broker {self.host}:{self.port} refused the login of {who}: {reason} "
                "(check mqtt.username, mqtt.password or mqtt.password_file)"
            )
            self.login_refused = True
            _LOGGER.error("MQTT: %s", self.last_error)
            return
        self.last_error = None
        self.login_refused = False
        self.connects += 1
        self._backoff.succeeded()
        _LOGGER.info("MQTT: connected to %s:%d", self.host, self.port)
        client.publish(self.availability_topic, "online", qos=1, retain=True)
        with self._lock:
            filters = dict.fromkeys(topic for topic, _ in self._handlers)
            listeners = list(self._connect_listeners)
            self._subscribed.clear()
            self._pending_subscriptions = {client.subscribe(t, qos=1)[1] for t in filters}
            if not self._pending_subscriptions:
                self._subscribed.set()
            self._connected.set()
        for listener in listeners:
            try:
                listener()
            except Exception:
                _LOGGER.exception("MQTT connect listener failed")

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if self._connected.is_set() and not self._stopping:
            _LOGGER.warning("MQTT: lost the connection to %s:%d (%s)", self.host, self.port, reason)
        self._connected.clear()

    def _on_subscribe(
        self, client: Any, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        for reason in reasons:
            if reason.is_failure:
                _LOGGER.warning("MQTT: the broker refused a subscription: %s", reason)
        with self._lock:
            self._pending_subscriptions.discard(mid)
            if not self._pending_subscriptions:
                self._subscribed.set()

    def _on_publish(
        self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        with self._ack_cond:
            self._acks[mid] = Ack(ok=not reason.is_failure, reason=str(reason))
            while len(self._acks) > ACKS_KEPT:
                self._acks.popitem(last=False)
            self._ack_cond.notify_all()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        mqtt = _paho()
        with self._lock:
            handlers = list(self._handlers)
        for topic_filter, handler in handlers:
            if mqtt.topic_matches_sub(topic_filter, message.topic):
                try:
                    handler(message.topic, bytes(message.payload), bool(message.retain))
                except Exception:  # a bad message must never stop the network thread
                    _LOGGER.exception("MQTT: handler for %s failed", message.topic)
