"""One MQTT connection (paho-mqtt 2.x, MQTT 5 or 3.1.1) that keeps itself up.

A network thread owned by this object runs paho's loop, reconnects with a
:class:`~edge_os.runtime.backoff.Backoff`, publishes ``online`` on the availability topic
after every connect (the last will says ``offline``) and re-subscribes. Message handlers and connect
listeners run in that thread: they must be quick and hand work over thread-safely.

Session: with ``persistent_session`` the client keeps its session under its stable client
id (MQTT 5: clean start off and a session expiry of ``session_expiry_seconds``; 3.1.1:
clean session off, which never expires), so QoS 1 messages sent to its subscriptions while
it was away are delivered when it returns. Otherwise the session is clean.

Inbound: a QoS 1 message is acknowledged (PUBACK) only after its handler returned, so a
handler that writes the message to disk first makes it durable before the broker forgets
it. A persistent session delivers right after the connect, before the service has
subscribed its control topics: a message on a ``hold_filters`` topic that no handler
claims yet is held unacknowledged and handed to the first handler that subscribes a
matching filter (or, after a reconnect, sent again by the broker). Any other message no
handler wants (a subscription left in the session by an older configuration) is
acknowledged and dropped.

Outbound: ``publish(..., resend=False)`` is for messages paho must not re-send by itself
after a reconnect: their owner (the command queue) decides, and checks their age first.
Their answer comes to ``on_ack`` as an :class:`Ack` (see :class:`AckStatus`).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any

from edge_os.config.settings import MqttSettings
from edge_os.errors import DeviceError, ErrorCode, MissingDependencyError
from edge_os.runtime.backoff import Backoff

if TYPE_CHECKING:
    import paho.mqtt.client as paho

_LOGGER = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes, bool], None]
"""Called with topic, payload and retain flag, in the network thread."""
LOOP_SLICE_SECONDS = 0.05
RECONNECT_INITIAL_SECONDS = 0.1
"""Delay before the first reconnect attempt after the broker is lost."""
ACKS_KEPT = 4096
"""Acknowledgements remembered for waiters; far below the 65535 message ids paho cycles."""
HOLD_MAX = 256
"""Most unclaimed messages held at once; later ones are left to the broker to send again."""
NOT_CONNECTED = "not connected"
"""Reason of a ``lost`` answer to a publish made while disconnected: it never left."""
NO_MATCHING_SUBSCRIBERS = 0x10
"""MQTT 5 PUBACK reason: the broker accepted the message but no one was subscribed."""


class AckStatus(StrEnum):
    """What became of one QoS 1 publish."""

    OK = "ok"
    """Success PUBACK. MQTT 5: the broker passed it on to at least one subscription.
    MQTT 3.1.1 has no reason codes: the broker took it, subscribed or not."""
    NO_SUBSCRIBERS = "no-subscribers"
    """MQTT 5 reason 0x10: nobody was subscribed, so nobody got it; safe to send again."""
    REFUSED = "refused"
    """A failure reason (not authorized, quota exceeded, ...)."""
    LOST = "lost"
    """The connection dropped before an answer came; whether the broker got it is unknown."""


@dataclass(frozen=True)
class Ack:
    """The broker's answer to one QoS 1 publish."""

    status: AckStatus
    reason: str
    """paho's reason text ("Success", "No matching subscribers", "Not authorized", ...)."""

    @property
    def ok(self) -> bool:
        """Whether the broker confirmed it with success."""
        return self.status is AckStatus.OK


AckCallback = Callable[[Ack], None]


@dataclass(frozen=True)
class Inbound:
    """One received message, with what is needed to recognise a redelivery."""

    topic: str
    payload: bytes
    retain: bool
    dup: bool
    """The broker says it may have sent this before (a redelivery after a reconnect)."""
    packet_id: int
    """MQTT packet identifier (0 for QoS 0); a redelivery keeps its identifier."""


InboundHandler = Callable[[Inbound], None]


@dataclass(frozen=True)
class _Held:
    message: Inbound
    qos: int
    generation: int


class _ResendBook:
    """Which unconfirmed publishes may be re-sent after a reconnect; safe from any thread.

    Its lock is never held across a call into paho (paho's writes can wait for the network
    thread, which may be waiting for us): a publisher marks itself busy, calls paho, then
    records the message id, and the network thread re-sends only when no one is busy.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = 0
        self._no_resend: dict[int, int] = {}
        """Message id -> connection generation it went out on."""
        self._dropped: list[Any] = []

    def begin(self) -> None:
        """A publish is about to call paho."""
        with self._lock:
            self._busy += 1

    def end(self, no_resend_mid: int | None, generation: int) -> None:
        """The publish returned; ``no_resend_mid`` must never be re-sent by us or paho."""
        with self._lock:
            self._busy -= 1
            if no_resend_mid is not None:
                self._no_resend[no_resend_mid] = generation

    def answered(self, mid: int) -> None:
        """The broker answered ``mid``."""
        with self._lock:
            self._no_resend.pop(mid, None)

    def marked(self) -> set[int]:
        """The message ids marked no-resend."""
        with self._lock:
            return set(self._no_resend)

    def dropped(self, messages: list[Any]) -> None:
        """Paho's unconfirmed messages, taken away from it at a connect."""
        with self._lock:
            self._dropped.extend(messages)

    def to_resend(self, generation: int) -> list[Any]:
        """The dropped messages to publish again (none while a publish is half-way)."""
        with self._lock:
            if not self._dropped or self._busy:
                return []
            dropped, self._dropped = self._dropped, []
            again = [m for m in dropped if m.mid not in self._no_resend]
            for message in dropped:
                self._no_resend.pop(message.mid, None)
            # left from older connections: answered before they were marked
            self._no_resend = {m: g for m, g in self._no_resend.items() if g == generation}
            return again


@dataclass
class _Settling:
    """Whether the retained messages of the current subscriptions have all come."""

    epoch: int = 0
    """Bumped whenever subscriptions change (a connect, a new filter)."""
    settled: int = -1
    """The epoch whose retained messages are known to be in."""
    waiters: list[Callable[[], None]] = field(default_factory=list)
    due: bool = False
    """A settling publish is to be sent from the network loop."""


class _QosZeroWrites:
    """Tells paho's "a QoS 0 message was written" from a broker's PUBACK.

    paho calls ``on_publish`` for both. The first is no answer from the broker, and its
    message id may be that of a QoS 1 message in flight (paho cycles one counter): taken
    for that message's PUBACK, it would leave the real one with nobody waiting for it.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._later: set[int] = set()
        self._lock = threading.Lock()

    @contextmanager
    def handing(self, qos: int) -> Iterator[None]:
        """Around ``client.publish``: a QoS 0 write finished inside it is recognised."""
        self._local.qos0, self._local.done = qos == 0, False
        try:
            yield
        finally:
            self._local.qos0 = False

    def handed(self, mid: int) -> None:
        """A QoS 0 message was handed to paho; its write may finish later, elsewhere."""
        if not getattr(self._local, "done", False):
            with self._lock:
                self._later.add(mid)

    def written(self, mid: int) -> bool:
        """In ``on_publish``: whether this is a QoS 0 write finishing (not an answer)."""
        if getattr(self._local, "qos0", False):
            self._local.done = True
            return True
        with self._lock:
            if mid in self._later:
                self._later.discard(mid)
                return True
        return False


def _paho() -> Any:
    try:
        from paho.mqtt import client
    except ImportError as err:  # pragma: no cover - the mqtt extra is installed in tests
        raise MissingDependencyError("paho-mqtt", "mqtt") from err
    return client


def _properties(packet_type: str, **values: int) -> Any:
    """MQTT 5 properties for one packet type (``PUBLISH``, ``CONNECT``)."""
    from paho.mqtt import packettypes, properties

    module: Any = properties  # paho's Properties class is not typed
    result = module.Properties(getattr(packettypes.PacketTypes, packet_type))
    for name, value in values.items():
        setattr(result, name, value)
    return result


def _session_args(v5: bool, persistent: bool, expiry_seconds: int) -> dict[str, Any]:
    """``connect`` arguments for a clean or persistent session (MQTT 5: with an expiry)."""
    if not v5:
        return {}  # 3.1.1 sets clean_session on the client
    if not persistent:
        return {"clean_start": True}
    expiry = max(0, min(expiry_seconds, 2**32 - 1))
    properties = _properties("CONNECT", SessionExpiryInterval=expiry)
    return {"clean_start": False, "properties": properties}


def _new_client(settings: MqttSettings, client_id: str, persistent_session: bool) -> Any:
    """A paho client with credentials and TLS set; inbound messages acknowledged by us."""
    mqtt = _paho()
    v5 = settings.protocol == "5"
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        manual_ack=True,
        **({} if v5 else {"clean_session": not persistent_session}),
    )
    _log_in(client, settings)
    return client


def tool_client(settings: MqttSettings, client_id: str) -> Any:
    """A plain paho client for a short CLI check (``doctor``, ``devices import``): clean
    session, automatic acks, with the configured login and TLS."""
    mqtt = _paho()
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5 if settings.protocol == "5" else mqtt.MQTTv311,
    )
    _log_in(client, settings)
    return client


def _no_delay(client: Any) -> None:
    """Send each packet at once (TCP_NODELAY): with Nagle on, a command published right
    after an event waits for the broker's delayed ACK of the event, 40 ms on loopback."""
    sock = client.socket()
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _log_in(client: Any, settings: MqttSettings) -> None:
    """The configured user and password, and TLS with the server's certificate checked."""
    if settings.username:
        client.username_pw_set(settings.username, read_password(settings))
    if settings.tls.enabled:
        client.tls_set(
            ca_certs=str(settings.tls.ca_file) if settings.tls.ca_file else None,
            certfile=str(settings.tls.cert_file) if settings.tls.cert_file else None,
            keyfile=str(settings.tls.key_file) if settings.tls.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )


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
        availability_topic: str | None,
        backoff: Backoff | None = None,
        persistent_session: bool = False,
        session_expiry_seconds: int = 0,
        hold_filters: Sequence[str] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.client_id = client_id
        self.availability_topic = availability_topic
        """Where ``online`` / ``offline`` (the last will) go; None: a guest connection that
        says neither (``edge-os say`` beside the running service)."""
        base = (
            availability_topic.rsplit("/", 1)[0] if availability_topic else f"edge_os/{client_id}"
        )
        self.probe_topic = f"{base}/probe"
        """Where :meth:`probe` publishes (non-retained, empty): any answer proves the broker
        is working."""
        self.v5 = settings.protocol == "5"
        self.persistent_session = persistent_session
        self.hold_filters = tuple(hold_filters)
        """Topics whose messages wait, unacknowledged, for a handler to subscribe."""
        self.username = settings.username
        self._tls = settings.tls.enabled
        self._backoff = backoff or Backoff(RECONNECT_INITIAL_SECONDS)
        self._client: paho.Client = _new_client(settings, client_id, persistent_session)
        self._prepare_client(settings, session_expiry_seconds)
        self._handlers: list[tuple[str, InboundHandler]] = []
        self._connect_listeners: list[Callable[[], None]] = []
        self._lock = threading.RLock()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._pending_subscriptions: set[int] = set()
        self._settling = _Settling()
        self._stop = threading.Event()
        self._acks: OrderedDict[int, Ack] = OrderedDict()
        self._ack_cond = threading.Condition()
        self._callbacks: dict[int, AckCallback] = {}
        self._resends = _ResendBook()
        self._early_subacks: set[int] = set()
        self._qos0 = _QosZeroWrites()
        self._held: list[_Held] = []
        self._claimed: deque[tuple[_Held, list[InboundHandler]]] = deque()
        self._probing = False
        self._probe_waiters: list[Callable[[], None]] = []
        self._heard_at = 0.0
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.last_error: str | None = None
        """Why the last attempt failed, in words (None after a successful connect)."""
        self.login_refused = False
        """The broker refused our credentials or certificate at the last attempt."""
        self.connects = 0
        """Successful connects so far (1 + reconnects); also the connection's generation."""
        self.session_present = False
        """Whether the broker resumed our session at the last connect."""
        self.connected_at = 0.0
        """When the last connect succeeded (``time.monotonic()``)."""

    def _prepare_client(self, settings: MqttSettings, session_expiry_seconds: int) -> None:
        """The last will (for a connection that announces availability), the connect
        arguments and paho's callbacks."""
        if self.availability_topic is not None:
            self._client.will_set(self.availability_topic, "offline", qos=1, retain=True)
        self._client.connect_async(
            self.host,
            self.port,
            settings.keepalive_seconds,
            **_session_args(self.v5, self.persistent_session, session_expiry_seconds),
        )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._client.on_subscribe = self._on_subscribe

    @property
    def connected(self) -> bool:
        """Whether the broker accepted us and the connection is up."""
        return self._connected.is_set()

    def subscribe(self, topic_filter: str, handler: MessageHandler) -> None:
        """Subscribe (QoS 1) now and after every reconnect; ``handler`` gets each message."""
        self.subscribe_inbound(
            topic_filter, lambda message: handler(message.topic, message.payload, message.retain)
        )

    def subscribe_inbound(self, topic_filter: str, handler: InboundHandler) -> None:
        """Like :meth:`subscribe`, with the whole :class:`Inbound` message.

        The message is acknowledged once ``handler`` returns: a handler that stores it
        durably first loses nothing if edge-os dies right after.
        """
        mqtt = _paho()
        with self._lock:
            self._handlers.append((topic_filter, handler))
            keep: list[_Held] = []
            for held in self._held:
                if mqtt.topic_matches_sub(topic_filter, held.message.topic):
                    self._claimed.append((held, [handler]))
                else:
                    keep.append(held)
            self._held = keep
            if not self.connected:
                return  # subscribed with the others at the next connect
            self._subscribed.clear()
            self._settling.epoch += 1
        # never call paho holding our lock: its writes may wait for the network thread
        _, mid = self._client.subscribe(topic_filter, qos=1)
        if mid is not None:
            with self._lock:
                if mid in self._early_subacks:
                    self._early_subacks.discard(mid)
                else:
                    self._pending_subscriptions.add(mid)
                done = not self._pending_subscriptions
                if done:
                    self._subscribed.set()
            if done:
                self._settle()

    def remove_handler(self, handler: InboundHandler) -> None:
        """Stop calling ``handler``. The broker subscription stays: with a persistent
        session, messages go on being collected, held until a handler subscribes again."""
        with self._lock:
            self._handlers = [(f, h) for f, h in self._handlers if h is not handler]

    def wait_subscribed(self, timeout_seconds: float) -> bool:
        """Block until the broker confirmed every subscription (SUBACK) of this connection."""
        return self._subscribed.wait(timeout_seconds)

    def states_settled(self) -> bool:
        """Whether the retained messages on this connection's subscriptions have all come.

        A broker sends a topic's retained message right after its SUBACK, and MQTT keeps
        the order on one connection: once every subscription is confirmed, the answer to
        a publish sent after that comes behind them. Until then, a device that reports
        its state retained may simply not have been heard yet.
        """
        with self._lock:
            return self._settled_now()

    def when_settled(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once :meth:`states_settled` (right away if it is)."""
        with self._lock:
            settled = self._settled_now()
            if not settled and callback not in self._settling.waiters:
                self._settling.waiters.append(callback)
        if settled:
            callback()

    def _settled_now(self) -> bool:
        return self.connected and self._settling.settled == self._settling.epoch

    def _settle(self) -> None:
        """Every subscription confirmed: a publish whose answer follows their retained ones
        is due (sent from the network loop, never from inside one of paho's callbacks,
        where a publish can wait forever for a lock another publishing thread holds)."""
        with self._lock:
            self._settling.due = True

    def _send_settle(self) -> None:
        """The network loop: the publish :meth:`_settle` asked for."""
        with self._lock:
            if not self._settling.due:
                return
            self._settling.due = False
            epoch = self._settling.epoch
        self.publish(
            self.probe_topic, b"", qos=1, resend=False, on_ack=partial(self._settled, epoch)
        )

    def _settled(self, epoch: int, ack: Ack) -> None:
        with self._lock:
            if ack.status is AckStatus.LOST or epoch != self._settling.epoch:
                return  # the connection dropped or a subscription came since: not this one
            self._settling.settled = epoch
            waiters, self._settling.waiters = self._settling.waiters, []
        for waiter in waiters:
            waiter()

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
        self,
        topic: str,
        payload: bytes | str,
        *,
        qos: int = 1,
        retain: bool = False,
        resend: bool = True,
        expiry_seconds: float | None = None,
        on_ack: AckCallback | None = None,
    ) -> int:
        """Hand a message to paho; returns its message id.

        With ``resend`` (the default) paho sends it after a reconnect if it was not
        confirmed. Without, it is never sent again: ``on_ack`` gets ``lost`` instead and
        the caller decides. ``expiry_seconds`` (MQTT 5) bounds how long the broker may keep
        it for a subscriber that is offline. ``on_ack`` runs in the network thread (or right
        here when the answer is already known).
        """
        mqtt = _paho()
        properties = None
        info = None
        mid = 0
        if self.v5 and expiry_seconds is not None:
            # whole seconds, rounded down (at least 1): never longer than what is left
            seconds = max(1, int(expiry_seconds))
            properties = _properties("PUBLISH", MessageExpiryInterval=seconds)
        self._resends.begin()  # a reconnect now waits before it re-sends anything
        try:
            with self._qos0.handing(qos):
                info = self._client.publish(
                    topic, payload, qos=qos, retain=retain, properties=properties
                )
            mid = int(info.mid)
        finally:
            no_resend = info is not None and not resend and qos > 0
            self._resends.end(mid if no_resend else None, self.connects)
        if qos == 0 and info.rc == mqtt.MQTT_ERR_SUCCESS:
            self._qos0.handed(mid)
        if on_ack is None:
            return mid
        lost = qos > 0 and not resend and info.rc == mqtt.MQTT_ERR_NO_CONN
        with self._ack_cond:
            ack = self._acks.pop(mid, None)
            if ack is None and lost:
                ack = Ack(AckStatus.LOST, NOT_CONNECTED)
            if ack is None:
                self._callbacks[mid] = on_ack
        if ack is not None:
            on_ack(ack)
        return mid

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

    def heard_within(self, seconds: float) -> bool:
        """Whether the broker answered anything in the last ``seconds`` (it is working)."""
        return self.connected and time.monotonic() - self._heard_at <= seconds

    def probe(self, on_answer: Callable[[], None] | None = None) -> None:
        """Ask the broker for a sign of life (a QoS 1 publish on :attr:`probe_topic`).

        Its answer, whatever the reason code, refreshes :meth:`heard_within`; ``on_answer``
        is called then (or when the connection drops). One probe is out at a time.
        """
        with self._ack_cond:
            if not self.connected:
                return
            if on_answer is not None and on_answer not in self._probe_waiters:
                self._probe_waiters.append(on_answer)
            if self._probing:
                return
            self._probing = True
        self.publish(self.probe_topic, b"", qos=1, resend=False, on_ack=self._probe_answered)

    def stop(self) -> None:
        """Say ``offline`` on the availability topic, disconnect and end the thread."""
        self._stopping = True
        if self.connected:
            if self.availability_topic is not None:
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
        self._connection_lost()

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
                    self._connection_lost()
                    logged_in = self.connects > connects_before
                    if not self._stop.is_set() and not logged_in and not self.login_refused:
                        self._attempt_failed(self._closed_before_login(mqtt.error_string(rc)))
                    elif not self._stop.is_set():
                        self._backoff.failed(time.monotonic())
                    continue
                self._deliver_claimed()
                self._resend_dropped()
                self._send_settle()
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

    def _connection_lost(self) -> None:
        """Tell the owners of unconfirmed no-resend publishes that they are lost."""
        no_resend = self._resends.marked()
        with self._ack_cond:
            lost = [self._callbacks.pop(mid) for mid in list(self._callbacks) if mid in no_resend]
            self._probing = False
            waiters, self._probe_waiters = self._probe_waiters, []
        with self._lock:
            # unacknowledged messages come again (dup) on a resumed session
            self._held.clear()
            self._claimed.clear()
        for callback in lost:
            callback(Ack(AckStatus.LOST, "connection lost"))
        for waiter in waiters:
            waiter()

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
        _no_delay(client)
        self._connection_lost()  # in case the drop went unnoticed
        with self._lock:
            self.connects += 1
            self.session_present = bool(getattr(flags, "session_present", False))
            self.connected_at = time.monotonic()
            self._backoff.succeeded()
            self._heard_at = time.monotonic()
            # paho would re-send every unconfirmed message now; the no-resend ones are their
            # owner's to re-send (after checking their age), the others go again, from the
            # network loop once no publish is half-way (see _resend_dropped)
            self._resends.dropped(client.drop_out_messages())
            if self.availability_topic is not None:
                client.publish(self.availability_topic, "online", qos=1, retain=True)
            filters = dict.fromkeys(topic for topic, _ in self._handlers)
            listeners = list(self._connect_listeners)
            self._subscribed.clear()
            self._settling.epoch += 1
            self._pending_subscriptions = {client.subscribe(t, qos=1)[1] for t in filters}
            if not self._pending_subscriptions:
                self._subscribed.set()
                self._settling.settled = self._settling.epoch  # nothing to wait for
            self._connected.set()
        _LOGGER.info(
            "MQTT: connected to %s:%d as %s%s",
            self.host,
            self.port,
            self.client_id,
            " (session resumed)" if self.session_present else "",
        )
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
        self._connection_lost()

    def _on_subscribe(
        self, client: Any, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        self._heard_at = time.monotonic()
        for reason in reasons:
            if reason.is_failure:
                _LOGGER.warning("MQTT: the broker refused a subscription: %s", reason)
        with self._lock:
            if mid in self._pending_subscriptions:
                self._pending_subscriptions.discard(mid)
            else:
                self._early_subacks.add(mid)  # subscribe_inbound has not recorded it yet
            done = not self._pending_subscriptions
            if done:
                self._subscribed.set()
        if done:
            self._settle()

    def _on_publish(
        self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        if self._qos0.written(mid):
            return  # not an answer
        self._heard_at = time.monotonic()
        self._resends.answered(mid)
        if reason.is_failure:
            ack = Ack(AckStatus.REFUSED, str(reason))
        elif self.v5 and reason.value == NO_MATCHING_SUBSCRIBERS:
            ack = Ack(AckStatus.NO_SUBSCRIBERS, str(reason))
        else:
            ack = Ack(AckStatus.OK, str(reason))
        with self._ack_cond:
            callback = self._callbacks.pop(mid, None)
            if callback is None:
                self._acks[mid] = ack
                while len(self._acks) > ACKS_KEPT:
                    self._acks.popitem(last=False)
            self._ack_cond.notify_all()
        if callback is not None:
            callback(ack)

    def _probe_answered(self, ack: Ack) -> None:
        with self._ack_cond:
            self._probing = False
            waiters, self._probe_waiters = self._probe_waiters, []
        for waiter in waiters:
            waiter()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        mqtt = _paho()
        self._heard_at = time.monotonic()
        inbound = Inbound(
            topic=message.topic,
            payload=bytes(message.payload),
            retain=bool(message.retain),
            dup=bool(message.dup),
            packet_id=int(message.mid),
        )
        self._deliver_claimed()  # older held messages first, in the order they came
        with self._lock:
            handlers = [h for f, h in self._handlers if mqtt.topic_matches_sub(f, inbound.topic)]
            held = not handlers and message.qos > 0 and self._holds(inbound.topic)
            if held and len(self._held) < HOLD_MAX:
                self._held.append(_Held(inbound, message.qos, self.connects))
            if held:
                return  # acknowledged once a handler took it; else the broker sends it again
        if not handlers:
            _LOGGER.debug("MQTT: nothing handles %s; dropped", inbound.topic)
        self._dispatch(inbound, handlers)
        self._ack(int(message.mid), int(message.qos))

    def _holds(self, topic: str) -> bool:
        mqtt = _paho()
        return any(mqtt.topic_matches_sub(f, topic) for f in self.hold_filters)

    def _dispatch(self, message: Inbound, handlers: list[InboundHandler]) -> None:
        for handler in handlers:
            try:
                handler(message)
            except Exception:  # a bad message must never stop the network thread
                _LOGGER.exception("MQTT: handler for %s failed", message.topic)

    def _ack(self, mid: int, qos: int) -> None:
        if qos > 0:
            self._client.ack(mid, qos)

    def _resend_dropped(self) -> None:
        """Publish again what paho dropped at the connect, except no-resend messages."""
        for message in self._resends.to_resend(self.connects):
            self._client.publish(
                message.topic,
                message.payload,
                qos=message.qos,
                retain=message.retain,
                properties=message.properties if self.v5 else None,
            )

    def _deliver_claimed(self) -> None:
        """Give held messages to the handlers that subscribed since (network thread)."""
        while True:
            with self._lock:
                if not self._claimed:
                    return
                held, handlers = self._claimed.popleft()
                if held.generation != self.connects:
                    continue  # acknowledging on another connection would confirm another id
            self._dispatch(held.message, handlers)
            self._ack(held.message.packet_id, held.qos)
