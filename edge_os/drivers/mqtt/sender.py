"""The sender: one thread that delivers the durable command queue over one connection.

Commands for one entity go in queue order, one in flight at a time; entities do not wait
for each other. For each entity's oldest pending command, every look:

- too old (``max_age_seconds``)? dropped as ``stale`` and reported, never published. The
  age is checked right before every publish, the first and every one after.
- waiting out a back-off after "no matching subscribers"? wait;
- not connected? wait for the connect;
- MQTT 3.1.1, just reconnected (and no session resumed)? the broker may have restarted
  and forgotten its devices' subscriptions, and 3.1.1 cannot say so: wait
  :data:`RESUBSCRIBE_GRACE_SECONDS` for devices to subscribe again;
- broker silent for :data:`LIVENESS_SECONDS`? probe it first, so nothing is written into a
  dead or frozen connection to arrive late;
- else publish it (QoS 1, paho never re-sends it by itself, MQTT 5 message expiry = the
  time it has left). The answer: success -> ``done``; no matching subscribers -> sent
  again after a back-off from :data:`RETRY_INITIAL_SECONDS` to :data:`RETRY_MAX_SECONDS`;
  refused -> ``failed``; connection lost -> sent again once connected, if still young.

A command already in the broker's socket when the broker freezes cannot be taken back:
it is delivered when the broker resumes, possibly late; that is logged. A command whose
answer never came (the broker or edge-os died first) is counted on disk as
``unconfirmed``. The broker may have passed it on in the microseconds before it died, so
before sending it again the sender asks the device: where the entity has a state topic,
it waits up to :data:`ECHO_WAIT_SECONDS` after the reconnect for the device's state (a
state retained at the broker counts once the subscriptions' retained messages are in: see
:meth:`MqttConnection.states_settled`), and
a state that shows the command, or a later one for the same entity (MQTT keeps their
order), ends it as ``done`` without sending it twice. Only a command for an entity with
no state topic, or whose device stays silent, is sent again blind (QoS 1 is "at least
once").

A broker's PUBACK is not the device's: a broker killed right after confirming loses what
it had not yet written to the device. So for an entity with a state topic a confirmed
command is reported ``done`` but kept as ``sent`` until its device's state shows it, or
for :data:`ECHO_TRACK_SECONDS` while the connection stays up (a device whose state does
not echo this command). If the connection drops first it is pending again, and goes
through the check above.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from edge_os.drivers.mqtt.connection import NOT_CONNECTED, Ack, AckStatus, MqttConnection
from edge_os.drivers.mqtt.queue import CommandQueue, CommandState, QueuedCommand
from edge_os.runtime.backoff import Backoff

_LOGGER = logging.getLogger(__name__)

RETRY_INITIAL_SECONDS = 0.05
"""First wait before sending again a command nobody was subscribed for."""
RETRY_MAX_SECONDS = 5.0
"""Longest wait between such attempts (they stop when the command is too old)."""
LIVENESS_SECONDS = 1.0
"""A command is written only if the broker answered within this long; else probe first."""
RESUBSCRIBE_GRACE_SECONDS = 2.0
"""MQTT 3.1.1 only: after a reconnect without a resumed session (the broker may have
restarted without saving), commands wait this long so devices can subscribe again. MQTT 5
needs no guess: the broker says when nobody is subscribed."""
SEND_SLICE_SECONDS = 0.5
"""Longest sleep of the sender thread between looks at the queue."""
ECHO_WAIT_SECONDS = 2.0
"""After a reconnect, how long a command the broker never confirmed waits for its device's
state to show it arrived, before it is sent again."""
ECHO_TRACK_SECONDS = 5.0
"""How long a confirmed command waits for its device's state to show it, the connection
up, before the broker's PUBACK is taken as the last word."""
ECHO_MARGIN_SECONDS = 1.0
"""The echo wait never leaves a command less than this long to live: better twice than lost."""


@dataclass
class _Flight:
    """One command published and not yet answered."""

    command: QueuedCommand
    generation: int
    """The connection it went out on (``MqttConnection.connects``)."""
    ack: Ack | None = None
    """The broker's answer, once it came (set from the network thread)."""
    late_logged: bool = False


@dataclass
class _Retry:
    command_id: int
    backoff: Backoff = field(
        default_factory=lambda: Backoff(RETRY_INITIAL_SECONDS, RETRY_MAX_SECONDS)
    )


EndCallback = Callable[[QueuedCommand, CommandState, str], None]
"""Called (in the sender thread) when a command is done, failed or stale, with a reason."""
NoteCallback = Callable[[int, str], None]
"""Called with a command id and why it is still pending (for a caller waiting on it)."""
EchoCheck = Callable[[QueuedCommand, float], bool | None]
"""Whether the command's device reported, at or after the given ``time.monotonic()``, a
state that shows the command arrived; None when its entity reports no state."""


class QueueSender:
    """Delivers a :class:`CommandQueue` over a :class:`MqttConnection`, in its own thread."""

    def __init__(
        self,
        connection: MqttConnection,
        queue: CommandQueue,
        *,
        max_age_seconds: float,
        on_end: EndCallback,
        on_note: NoteCallback,
        echo: EchoCheck | None = None,
        on_acked: EndCallback | None = None,
    ) -> None:
        self.connection = connection
        self.queue = queue
        self.max_age_seconds = max_age_seconds
        self._on_end = on_end
        self._on_note = on_note
        self._echo = echo
        self._on_acked = on_acked
        self._confirmed: dict[int, tuple[int, float]] = {}
        """command id -> (connection, when) the broker confirmed it, while it is ``sent``."""
        self._sent_at: dict[int, float] = {}
        """command id -> when this process first published it (monotonic)."""
        self._shown_upto: dict[str, int] = {}
        """entity id -> the latest command its state showed: MQTT keeps one publisher's
        order, so every command for it before that one arrived too."""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self._retries: dict[str, _Retry] = {}
        self._thread: threading.Thread | None = None
        self.resent_unconfirmed: deque[int] = deque(maxlen=256)
        """Ids of the latest commands sent again after a publish the broker never answered
        (the connection or edge-os died first): the only ones a device can get twice."""
        self.echo_confirmed: deque[int] = deque(maxlen=256)
        """Ids of the latest such commands not sent again: their device's state showed them."""
        self.lost_by_broker: deque[int] = deque(maxlen=256)
        """Ids of the latest commands the broker confirmed and went away before their device
        showed them: pending again."""
        connection.add_connect_listener(self.wake)

    def start(self) -> None:
        """Start the thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="edge-os-mqtt-send")
            self._thread.daemon = True
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread (pending commands stay on disk)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def wake(self) -> None:
        """Look at the queue now (a command was queued, the broker came back)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            sleep = SEND_SLICE_SECONDS
            try:
                sleep = min(sleep, self._settle_sent())
                heads = self.queue.heads()
                for command in heads:
                    sleep = min(sleep, self._step(command))
                live = {command.entity_id for command in heads}
                for key in [key for key in self._retries if key not in live]:
                    del self._retries[key]
            except Exception:  # a broken queue file must not end the thread silently
                _LOGGER.exception("the MQTT sender failed; trying again")
                sleep = SEND_SLICE_SECONDS
            if sleep > 0:
                self._wake.wait(sleep)

    def _step(self, command: QueuedCommand) -> float:
        """Move one entity's oldest command on; returns how long until it needs a look."""
        key = command.entity_id
        flight = self._flights.get(key)
        if flight is not None and flight.command.id != command.id:
            del self._flights[key]  # its command ended another way (withdrawn)
            self._sent_at.pop(flight.command.id, None)
            flight = None
        if flight is not None:
            with self._lock:
                ack = flight.ack
            if ack is None and flight.generation != self.connection.connects:
                ack = Ack(AckStatus.LOST, "connection lost")  # its answer can no longer come
            if ack is None:
                return self._unanswered(flight)
            del self._flights[key]
            return self._answered(flight, ack)
        age = time.time() - command.created_unix
        if age > self.max_age_seconds:
            self._drop_stale(command, age)
            return 0.0
        left = self.max_age_seconds - age
        retry = self._retries.get(key)
        now = time.monotonic()
        if retry is not None and retry.command_id == command.id and not retry.backoff.ready(now):
            return min(retry.backoff.wait_seconds(now), left)
        if not self.connection.connected:
            self._on_note(command.id, "the MQTT broker is not reachable")
            return min(SEND_SLICE_SECONDS, left)
        grace = self._resubscribe_wait()
        if grace > 0:
            self._on_note(command.id, "the broker restarted; devices are subscribing again")
            return min(grace, left)
        if not self.connection.heard_within(LIVENESS_SECONDS):
            self.connection.probe(self._wake.set)
            return min(SEND_SLICE_SECONDS, left)
        age = time.time() - command.created_unix  # checked again right before the publish
        if age > self.max_age_seconds:
            self._drop_stale(command, age)
            return 0.0
        if command.unconfirmed > 0 and self._echo is not None:
            wait = self._await_echo(command, self.max_age_seconds - age)
            if wait != 0.0:
                return max(wait, 0.0)
        if self.queue.sending(command.id) > 0:
            # sent before with no answer (the connection or edge-os died first): QoS 1 is
            # "at least once", a device gets it twice if the broker had passed it on
            self.resent_unconfirmed.append(command.id)
            _LOGGER.info(
                "sending again the command for %s (id %d): the broker never answered the "
                "last time, so the device may have it already",
                command.entity_id,
                command.id,
            )
        flight = _Flight(command, self.connection.connects)
        self._flights[key] = flight
        self._sent_at.setdefault(command.id, time.monotonic())
        self.connection.publish(
            command.topic,
            command.payload,
            qos=1,
            retain=command.retain,
            resend=False,
            expiry_seconds=self.max_age_seconds - age,
            on_ack=partial(self._acked, flight),
        )
        return SEND_SLICE_SECONDS

    def _shown(self, command: QueuedCommand) -> bool | None:
        """Whether its device's state shows it or a later command for it (None: no state)."""
        assert self._echo is not None
        key = command.entity_id
        shown = self._echo(command, self._sent_at.get(command.id, 0.0))
        if shown is None:
            return None
        if command.id <= self._shown_upto.get(key, -1):
            return True
        if shown:
            self._shown_upto[key] = command.id
            return True
        for later in self.queue.later(command):
            if later.state is not CommandState.SENT and later.unconfirmed == 0:
                continue  # never published: a state that matches it is a coincidence
            if self._echo(later, self._sent_at.get(later.id, 0.0)):
                self._shown_upto[key] = later.id
                return True
        return False

    def _settle_sent(self) -> float:
        """Move on the confirmed commands waiting for their device's state."""
        if self._echo is None:
            return SEND_SLICE_SECONDS
        now = time.monotonic()
        up = self.connection.connected
        for command in self.queue.sent():
            acked = self._confirmed.get(command.id)
            if self._shown(command):
                self._confirmed.pop(command.id, None)
                self._sent_at.pop(command.id, None)
                self.queue.finish(command.id, CommandState.DONE)
            elif acked is None or not up or acked[0] != self.connection.connects:
                self._confirmed.pop(command.id, None)
                self.lost_by_broker.append(command.id)
                _LOGGER.warning(
                    "the broker confirmed the command for %s (id %d) and went away before "
                    "the device showed it; it is pending again",
                    command.entity_id,
                    command.id,
                )
                self.queue.unsend(command.id)
            elif now - acked[1] > ECHO_TRACK_SECONDS:
                self._confirmed.pop(command.id, None)
                self._sent_at.pop(command.id, None)
                self.queue.finish(command.id, CommandState.DONE)
        return SEND_SLICE_SECONDS

    def _await_echo(self, command: QueuedCommand, left: float) -> float:
        """0: send it again now; > 0: wait this long for its device's state; < 0: it ended."""
        shown = self._shown(command)
        if shown is None and not self.connection.states_settled():
            shown = False  # a state retained at the broker may still be on its way
        if shown is None:
            return 0.0  # no state to ask: QoS 1's "at least once"
        if shown:
            self.echo_confirmed.append(command.id)
            _LOGGER.info(
                "the command for %s (id %d) was never confirmed by the broker, but the "
                "device's state shows it arrived: not sent again",
                command.entity_id,
                command.id,
            )
            self._end(command, CommandState.DONE, "the device's state shows it arrived")
            return -1.0
        wait = self.connection.connected_at + ECHO_WAIT_SECONDS - time.monotonic()
        if wait <= 0 or left - wait < ECHO_MARGIN_SECONDS:
            return 0.0
        self.connection.when_settled(self._wake.set)  # its retained state may be on its way
        self._on_note(command.id, "waiting for the device's state before sending it again")
        return min(wait, SEND_SLICE_SECONDS)

    def _end(self, command: QueuedCommand, state: CommandState, reason: str) -> None:
        self._sent_at.pop(command.id, None)
        self._on_end(command, state, reason)

    def _resubscribe_wait(self) -> float:
        connection = self.connection
        if connection.v5 or connection.connects < 2 or connection.session_present:
            return 0.0
        return connection.connected_at + RESUBSCRIBE_GRACE_SECONDS - time.monotonic()

    def _acked(self, flight: _Flight, ack: Ack) -> None:
        with self._lock:
            flight.ack = ack
        self._wake.set()

    def _unanswered(self, flight: _Flight) -> float:
        command = flight.command
        age = time.time() - command.created_unix
        if age > self.max_age_seconds and not flight.late_logged:
            flight.late_logged = True
            _LOGGER.warning(
                "the broker has not confirmed the command for %s on %s, sent in time; it is "
                "now %.0f s old and may reach the device late",
                command.entity_id,
                command.topic,
                age,
            )
        return SEND_SLICE_SECONDS

    def _answered(self, flight: _Flight, ack: Ack) -> float:
        command = flight.command
        key = command.entity_id
        if ack.status is AckStatus.OK:
            self._retries.pop(key, None)
            if flight.late_logged:
                _LOGGER.warning("the command for %s was confirmed late", command.entity_id)
            if self._on_acked is not None and self._shown(command) is False:
                # reported done; kept until the device shows it (see the module)
                self.queue.acked(command.id)
                self._confirmed[command.id] = (flight.generation, time.monotonic())
                self._on_acked(command, CommandState.DONE, ack.reason)
            else:
                self._end(command, CommandState.DONE, ack.reason)
            return 0.0
        if ack.status is AckStatus.REFUSED:
            self._retries.pop(key, None)
            _LOGGER.error(
                "the broker refused the command for %s on %s: %s",
                command.entity_id,
                command.topic,
                ack.reason,
            )
            self._end(command, CommandState.FAILED, ack.reason)
            return 0.0
        if ack.status is AckStatus.NO_SUBSCRIBERS:
            retry = self._retries.get(key)
            if retry is None or retry.command_id != command.id:
                retry = self._retries[key] = _Retry(command.id)
                _LOGGER.info(
                    "nobody is subscribed to %s yet; the command for %s stays queued",
                    command.topic,
                    command.entity_id,
                )
            retry.backoff.failed(time.monotonic())
            self.queue.not_delivered(command.id)
            self._on_note(command.id, f"no device is listening on {command.topic} yet")
            return 0.0
        if ack.reason == NOT_CONNECTED:
            self.queue.not_delivered(command.id)  # it never left
        return 0.0  # sent (again) once connected, if still young

    def _drop_stale(self, command: QueuedCommand, age: float) -> None:
        _LOGGER.warning(
            "dropping a command for %s on %s queued %.1f s ago (older than %g s): not sent late",
            command.entity_id,
            command.topic,
            age,
            self.max_age_seconds,
        )
        self._retries.pop(command.entity_id, None)
        self._end(
            command, CommandState.STALE, f"older than {self.max_age_seconds:g} s; dropped, not sent"
        )
