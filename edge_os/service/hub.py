"""The hub: speech-to-text, understanding and devices for the satellites of a home.

A hub (``site.role: hub``) subscribes to every site's command audio
(``<prefix>/+/voice/#``, layout in :mod:`edge_os.service.sites`). The chunks of one
command are gathered in memory; at its ``/end`` message the command is handed to the
command worker, one at a time like any other command, at most ``site.hub_max_pending``
waiting (one more is refused and counted). It is handled as said in the satellite's area
("turn on the lights" means that room's), with the satellite as its source (a question
asked there is answered only from there), and its answer is synthesized here and sent
back to that satellite's ``play`` topic.

A command older than ``mqtt.queue_max_age_seconds`` when it arrives is dropped (a hub that
comes back does not act on what was said long ago). Each command is handled under the
command-queue origin ``site:<site>:<session>``: handled again, it sends no device command
twice.

The satellites' own status messages, wake claims and availability keep the table that
``edge-os status`` shows on the hub.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.audio.sinks import GainSink
from edge_os.drivers.mqtt.queue import command_origin
from edge_os.pipeline.command import SITE_SOURCE
from edge_os.service.sites import (
    MAX_SESSION_ID,
    VOICE_CHUNK_HEADER,
    CommandEnd,
    PlayHeader,
    WakeClaim,
    json_object,
    play_topic,
    site_of,
)
from edge_os.stages.events import ErrorEvent, Event

if TYPE_CHECKING:
    from edge_os.drivers.mqtt.connection import Inbound, MqttConnection
    from edge_os.pipeline.command import CommandReport
    from edge_os.service.core import ServiceCore

_LOGGER = logging.getLogger(__name__)

MAX_COMMAND_SECONDS = 30
"""Longest command audio gathered for one session (more is dropped)."""
MAX_SESSIONS = 16
"""Sessions gathered at once; the oldest is dropped for a new one."""
PLAY_BLOCK_MS = 1000
"""Answer audio per message sent to a satellite."""
HANDLED_KEPT = 256
"""Recent commands remembered, so one delivered again is not handled twice."""


class MqttSink(GainSink):
    """An audio sink on the broker: each block is one message on a satellite's play topic."""

    def __init__(self, connection: MqttConnection, topic: str, session: str) -> None:
        super().__init__()
        self.connection = connection
        self.topic = topic
        self.session = session
        self.sent = 0

    def write(self, chunk: AudioChunk) -> None:
        """Send ``chunk`` (QoS 1: the satellite plays the sentences in order)."""
        fmt = chunk.format
        header = PlayHeader(self.session, fmt.rate, fmt.width, fmt.channels, self.sent)
        self.connection.publish(self.topic, header.encode(chunk.pcm), qos=1)
        self.sent += 1

    def finish(self) -> None:
        """Say the answer is complete (the satellite may listen for a follow-up)."""
        header = PlayHeader(self.session, INTERNAL_FORMAT.rate, 2, 1, self.sent, last=True)
        self.connection.publish(self.topic, header.encode(b""), qos=1)

    def drain(self) -> None:
        """Nothing is buffered here."""

    def abort(self) -> None:
        """What was sent plays."""

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class _Gathering:
    site: str
    session: str
    started: float = field(default_factory=time.monotonic)
    chunks: dict[int, bytes] = field(default_factory=dict)
    size: int = 0


@dataclass
class SiteRecord:
    """What the hub knows of one site."""

    site: str
    area: str | None = None
    online: bool | None = None
    last_seen: float = 0.0
    wakes: int = 0
    commands: int = 0
    refused: int = 0
    dropped: int = 0
    status: dict[str, Any] = field(default_factory=dict)
    """The satellite's own last status message (audio and network health)."""

    def to_json(self) -> dict[str, Any]:
        """One row of ``edge-os status``."""
        return {
            "site": self.site,
            "area": self.area,
            "online": self.online,
            "last_seen_seconds": round(time.time() - self.last_seen, 1) if self.last_seen else None,
            "wakes": self.wakes,
            "commands": self.commands,
            "refused": self.refused,
            "dropped": self.dropped,
            "satellite": self.status,
        }


class HubWay:
    """The satellites' commands in, their answers out (a hub's way in)."""

    def __init__(self, core: ServiceCore) -> None:
        mqtt = core.assistant.mqtt
        if mqtt is None:
            raise ValueError("a hub needs a broker (mqtt.host)")
        config = core.assistant.config
        self._core = core
        self.connection = mqtt.connection
        self.prefix = config.mqtt.topic_prefix
        self.hub = config.site.id
        self.max_pending = config.site.hub_max_pending
        self.max_age_seconds = config.mqtt.queue_max_age_seconds
        self.sites: dict[str, SiteRecord] = {}
        self.pending = 0
        self._gathering: dict[tuple[str, str], _Gathering] = {}
        self._handled: deque[tuple[str, str]] = deque(maxlen=HANDLED_KEPT)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Subscribe to the sites' audio, status, wake claims and availability."""
        subscribe = self.connection.subscribe_inbound
        subscribe(f"{self.prefix}/+/voice/#", self._on_voice)
        subscribe(f"{self.prefix}/+/satellite", self._on_status)
        subscribe(f"{self.prefix}/+/wake", self._on_wake)
        subscribe(f"{self.prefix}/+/availability", self._on_availability)

    def status(self) -> list[dict[str, Any]]:
        """The satellites, for ``edge-os status``."""
        with self._lock:
            return [record.to_json() for _, record in sorted(self.sites.items())]

    # --- network thread ------------------------------------------------------------------

    def _record(self, site: str) -> SiteRecord:
        record = self.sites.get(site)
        if record is None:
            record = self.sites[site] = SiteRecord(site)
        record.last_seen = time.time()
        return record

    def _on_status(self, message: Inbound) -> None:
        site = site_of(message.topic, self.prefix)
        data = json_object(message.payload)
        if site is None or data is None or site == self.hub:
            return
        with self._lock:
            record = self._record(site)
            record.status = data
            area = data.get("area")
            record.area = area if isinstance(area, str) else record.area

    def _on_wake(self, message: Inbound) -> None:
        claim = WakeClaim.from_payload(message.payload)
        site = site_of(message.topic, self.prefix)
        if claim is None or site is None or claim.site != site:
            return
        with self._lock:
            self._record(site).wakes += 1

    def _on_availability(self, message: Inbound) -> None:
        site = site_of(message.topic, self.prefix)
        if site is None or site == self.hub:
            return
        text = message.payload.decode("utf-8", errors="replace").strip()
        with self._lock:
            record = self.sites.get(site)
            if record is None and text != "online":
                return  # a site never seen, gone: nothing to show
            record = record or self._record(site)
            record.online = text == "online"

    def _on_voice(self, message: Inbound) -> None:
        site = site_of(message.topic, self.prefix)
        parts = message.topic.split("/")[len(self.prefix.split("/")) + 2 :]
        if site is None or not parts or not parts[0] or len(parts[0]) > MAX_SESSION_ID:
            return
        session = parts[0]
        if parts[1:] == ["end"]:
            self._on_end(site, session, message.payload)
        elif len(parts) == 1:
            self._on_chunk(site, session, message.payload)

    def _on_chunk(self, site: str, session: str, payload: bytes) -> None:
        size = VOICE_CHUNK_HEADER.size
        if len(payload) < size or (len(payload) - size) % 2:
            _LOGGER.warning("site %s sent a chunk that is not 16-bit audio: dropped", site)
            return
        (seq,) = VOICE_CHUNK_HEADER.unpack_from(payload)
        key = (site, session)
        with self._lock:
            gathering = self._gathering.get(key)
            if gathering is None:
                while len(self._gathering) >= MAX_SESSIONS:
                    oldest = min(self._gathering, key=lambda k: self._gathering[k].started)
                    del self._gathering[oldest]
                gathering = self._gathering[key] = _Gathering(site, session)
            limit = MAX_COMMAND_SECONDS * INTERNAL_FORMAT.bytes_per_second
            if gathering.size + len(payload) - size > limit or seq in gathering.chunks:
                return
            gathering.chunks[seq] = payload[size:]
            gathering.size += len(payload) - size

    def _on_end(self, site: str, session: str, payload: bytes) -> None:
        end = CommandEnd.from_payload(payload)
        with self._lock:
            gathering = self._gathering.pop((site, session), None)
            if end is None or end.session != session:
                _LOGGER.warning("site %s sent an end of command that is not one: ignored", site)
                return
            if end.hub != self.hub:
                return  # another hub's satellite
            if (site, session) in self._handled:
                return  # delivered again (the broker never got our acknowledgement)
            self._handled.append((site, session))
            record = self._record(site)
            record.area = end.area or record.area
            missing = [
                n for n in range(end.chunks) if gathering is None or n not in gathering.chunks
            ]
            age = time.time() - end.said_unix
            if missing or age > self.max_age_seconds:
                record.dropped += 1
                why = f"{len(missing)} chunk(s) missing" if missing else f"{age:.0f} s old"
                _LOGGER.warning("command %s from site %s dropped: %s", session, site, why)
                dropped = True
            else:
                dropped = False
        if dropped:
            self._error_sound(site, session)
            return
        with self._lock:
            assert gathering is not None and end is not None
            pcm = b"".join(gathering.chunks[n] for n in range(end.chunks))
            audio = AudioChunk(pcm[2 * end.start : 2 * end.end])
            if self.pending >= self.max_pending:
                record.refused += 1
                refused = True
            else:
                record.commands += 1
                self.pending += 1
                refused = False
        if refused:
            self._error_sound(site, session)
            self._core.threadsafe(self._core.emit)(
                ErrorEvent(
                    stage="hub",
                    code="hub-busy",
                    message=f"{self.max_pending} commands are waiting; site {site}'s is refused",
                )
            )
            return
        self._core.threadsafe(self._submit)(site, end.area, session, audio)

    def _error_sound(self, site: str, session: str) -> None:
        """Tell the satellite at once that its command will not be answered."""
        from edge_os.tts.earcons import Earcon, load_earcon

        sink = MqttSink(self.connection, play_topic(self.prefix, site), session)
        sink.write(load_earcon(Earcon("error")))

    # --- loop thread, then the command worker --------------------------------------------

    def _submit(self, site: str, area: str | None, session: str, audio: AudioChunk) -> None:
        self._core.submit(partial(self._handle, site, area, session), audio)

    def _handle(
        self,
        site: str,
        area: str | None,
        session: str,
        audio: AudioChunk,
        emit: Callable[[Event], None],
    ) -> CommandReport:
        from edge_os.tts.player import Player

        command = self._core.assistant.command
        sink = MqttSink(self.connection, play_topic(self.prefix, site), session)
        try:
            with (
                command.at_site(area, Player(sink, block_ms=PLAY_BLOCK_MS)),
                command_origin(f"site:{site}:{session}"),
            ):
                report = command.handle_audio(audio, emit, source=f"{SITE_SOURCE}{site}")
            sink.finish()
            return report
        finally:
            with self._lock:
                self.pending = max(0, self.pending - 1)
