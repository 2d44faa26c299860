"""A satellite: microphone, wake word, VAD and speaker; the hub does the rest.

``site.role: satellite`` runs this instead of the whole loop: no speech-to-text, no
understanding model, no voice are loaded, so a small board (a Pi Zero 2 W) can stand in a
room. For each wake word it hears:

1. it publishes a :class:`~edge_os.service.sites.WakeClaim` and, for
   ``site.arbitration_seconds``, gathers the other sites' claims while it keeps listening;
2. if another site wins (see :class:`~edge_os.service.sites.WakeArbiter`) it stands down
   in silence and listens for the next wake word;
3. if it wins, it streams the audio from just before the wake word to the hub, chunk by
   chunk as it comes, and at the end of speech says which samples make the command;
4. the hub's answer comes back on its ``play`` topic and is played here; once it has
   played, the room's next words need no wake word for ``intent.follow_up_seconds``
   ("yes", "and the bedroom too").

It keeps its status in ``status.json`` (``edge-os status``) and, retained, on
``<prefix>/<site>/satellite`` for the hub.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.audio.format import AudioChunk
from edge_os.service.sites import (
    VOICE_CHUNK_HEADER,
    CommandEnd,
    PlayHeader,
    WakeClaim,
    WakeContest,
    play_topic,
    satellite_topic,
    voice_topic,
)
from edge_os.service.status import rss_mb, write_status
from edge_os.stages.events import NoSpeech, WakeDetected

if TYPE_CHECKING:
    from edge_os.audio.sources import AudioSource
    from edge_os.config.settings import Config
    from edge_os.drivers.mqtt.connection import Inbound, MqttConnection
    from edge_os.pipeline.frontend import FrontEnd
    from edge_os.tts.player import Player

_LOGGER = logging.getLogger(__name__)

STATUS_SECONDS = 2.0
"""How often the status is written and published."""
_FOLLOW_UP = object()
"""In the speaker's queue: the answer has played, listen for a follow-up."""
ANSWER_SECONDS = 5.0
"""How long the hub has to start answering a command before the error sound plays."""


@dataclass
class _Session:
    claim: WakeClaim
    start: int
    """Stream offset of the first sample streamed (chunk 0)."""
    held: list[AudioChunk] = field(default_factory=list)
    won: bool | None = None
    sent: int = 0
    next_offset: int = 0
    follow_up: bool = False
    """Listening after an answer, with no wake word: unclaimed unless another site claims."""


class Satellite:
    """One room's microphone and speaker, for a hub."""

    def __init__(
        self,
        config: Config,
        connection: MqttConnection,
        frontend: FrontEnd,
        player: Player | None,
        source: AudioSource,
        *,
        status_path: Path | None = None,
    ) -> None:
        site = config.site
        self.site, self.area, self.hub = site.id, site.area, site.hub
        self.prefix = config.mqtt.topic_prefix
        self.connection = connection
        self.frontend = frontend
        self.player = player
        self.source = source
        self.status_path = status_path
        self.contest = WakeContest(
            self.prefix,
            site.id,
            site.arbitration_group,
            site.arbitration_seconds,
            self._publish,
        )
        self.counts = {
            "wakes": 0,
            "handled": 0,
            "stood_down": 0,
            "commands": 0,
            "no_speech": 0,
            "answers": 0,
            "chunks_sent": 0,
            "unanswered": 0,
            "follow_ups": 0,
        }
        self._started = time.time()
        self._session: _Session | None = None
        self._answers: queue.Queue[AudioChunk | object | None] = queue.Queue(256)
        self.follow_up = config.intent.follow_up_seconds > 0
        """After an answer, listen once more without the wake word (``intent``'s window)."""
        self._follow_up = threading.Event()
        self._join = threading.Event()
        self._player_thread: threading.Thread | None = None
        self._last_status = 0.0
        self._awaiting: tuple[str, float] | None = None
        """The command sent last, and until when its answer is waited for."""
        self._stopped = threading.Event()

    def start(self) -> None:
        """Subscribe (the others' claims, the answers), connect, start the speaker."""
        self.connection.subscribe_inbound(self.contest.claims_filter, self._on_claim)
        self.connection.subscribe_inbound(play_topic(self.prefix, self.site), self._on_play)
        self.connection.start()
        if self.player is not None:
            self._player_thread = threading.Thread(
                target=self._play_answers, name="edge-os-speaker", daemon=True
            )
            self._player_thread.start()

    def run(self) -> None:
        """Listen until the source ends or :meth:`stop`."""
        try:
            for chunk in self.source.chunks():
                if self._stopped.is_set():
                    break
                self.feed(chunk)
        finally:
            self.close()

    def stop(self) -> None:
        """Stop listening (thread-safe)."""
        self._stopped.set()
        self.source.close()

    def close(self) -> None:
        """Say goodbye on the broker, stop the speaker."""
        self._publish_status(force=True)
        self._answers.put(None)
        if self._player_thread is not None:
            self._player_thread.join(5)
        self.connection.stop()

    # --- the audio thread ----------------------------------------------------------------

    def feed(self, chunk: AudioChunk) -> None:
        """One block from the microphone."""
        self.contest.audio(chunk)
        if self._follow_up.is_set() and self._session is None:
            self._follow_up.clear()
            self._listen_again(chunk.end)
        if self._join.is_set():
            self._join.clear()
            self._contest_follow_up()
        outputs = self.frontend.process(chunk)
        if self._session is not None:
            self._stream(self._session, chunk)
        for item in outputs:
            if isinstance(item, WakeDetected):
                self._on_wake(item)
            elif isinstance(item, AudioChunk):
                self._on_command(item)
            elif isinstance(item, NoSpeech):
                self.counts["no_speech"] += 1
                self._session = None
        self._decide()
        awaiting = self._awaiting
        if awaiting is not None and time.monotonic() > awaiting[1]:
            self._awaiting = None
            self.counts["unanswered"] += 1
            _LOGGER.warning("the hub (%s) did not answer command %s", self.hub, awaiting[0])
            self._error_sound()
        if time.monotonic() - self._last_status >= STATUS_SECONDS:
            self._publish_status()

    def _on_wake(self, event: WakeDetected) -> None:
        self.counts["wakes"] += 1
        if self.player is not None and self.player.playing:
            self.player.stop()  # barge-in
        history = self.contest.history()
        claim = self.contest.woke(event.score)
        self._session = _Session(
            claim, start=history[0].offset, held=history, next_offset=history[-1].end
        )
        _LOGGER.info(
            "wake %s: score %.2f, %.1f dBFS; settling with the other sites",
            claim.wake,
            claim.score,
            claim.loudness,
        )

    def _listen_again(self, offset: int) -> None:
        """The answer has played: this room's next words need no wake word."""
        self.counts["follow_ups"] += 1
        self.frontend.listen(offset, follow_up=True)
        claim = WakeClaim(self.site, uuid.uuid4().hex[:16], self.contest.group, 1.0, 0.0)
        self._session = _Session(claim, start=offset, won=True, next_offset=offset, follow_up=True)

    def _contest_follow_up(self) -> None:
        """Another site of our group heard a wake word while we listen for a follow-up:
        what was said may be that; claim it too, and the nearer site handles it."""
        session = self._session
        if session is None or not session.follow_up:
            return
        session.follow_up = False
        self.contest.woke(1.0, wake=session.claim.wake)
        session.won = None  # held from here until settled

    def _on_claim(self, message: Inbound) -> None:
        claim = self.contest.heard_claim(message.payload)
        session = self._session
        if (
            claim is not None
            and claim.site != self.site
            and claim.group == self.contest.group
            and session is not None
            and session.follow_up
        ):
            self._join.set()

    def _decide(self, wait: bool = False) -> None:
        session = self._session
        if session is None or session.won is not None:
            return
        left = self.contest.left_seconds()
        if left > 0 and not wait:
            return
        time.sleep(left)
        session.won = self.contest.won()
        if not session.won:
            self.counts["stood_down"] += 1
            _LOGGER.info(
                "wake %s: site %s heard it better; standing down",
                session.claim.wake,
                self.contest.last_winner,
            )
            self._session = None
            self.frontend.reset()
            return
        self.counts["handled"] += 1
        for chunk in session.held:
            self._send(session, chunk)
        session.held = []

    def _stream(self, session: _Session, chunk: AudioChunk) -> None:
        if chunk.offset < session.next_offset:
            return  # already in the history taken at the wake
        session.next_offset = chunk.end
        if session.won is None:
            session.held.append(chunk)
        elif session.won:
            self._send(session, chunk)

    def _send(self, session: _Session, chunk: AudioChunk) -> None:
        payload = VOICE_CHUNK_HEADER.pack(session.sent) + chunk.pcm
        topic = voice_topic(self.prefix, self.site, session.claim.wake)
        self.connection.publish(topic, payload, qos=1, expiry_seconds=60)
        session.sent += 1
        self.counts["chunks_sent"] += 1

    def _on_command(self, audio: AudioChunk) -> None:
        session = self._session
        if session is None:
            return
        self._decide(wait=True)
        if not session.won:
            return
        end = CommandEnd(
            session=session.claim.wake,
            hub=self.hub,
            area=self.area,
            chunks=session.sent,
            start=max(0, audio.offset - session.start),
            end=min(audio.end, session.next_offset) - session.start,
            said_unix=time.time(),
        )
        topic = voice_topic(self.prefix, self.site, session.claim.wake) + "/end"
        self.connection.publish(topic, end.to_json(), qos=1, expiry_seconds=60)
        self.counts["commands"] += 1
        self._awaiting = (end.session, time.monotonic() + ANSWER_SECONDS)
        self._session = None
        _LOGGER.info("command %s sent to hub %s (%d chunks)", end.session, self.hub, end.chunks)

    # --- network thread: the other sites, the hub's answers -------------------------------

    def _on_play(self, message: Inbound) -> None:
        decoded = PlayHeader.decode(message.payload)
        if decoded is None:
            _LOGGER.warning("an answer on %s is not audio: ignored", message.topic)
            return
        header, audio = decoded
        if header.last:
            if self.follow_up:
                with contextlib.suppress(queue.Full):
                    self._answers.put_nowait(_FOLLOW_UP)
            return
        self.counts["answers"] += 1
        awaiting = self._awaiting
        if awaiting is not None and awaiting[0] == header.session:
            self._awaiting = None
        try:
            self._answers.put_nowait(audio)
        except queue.Full:
            _LOGGER.warning("answers are coming faster than they play: one dropped")

    def _error_sound(self) -> None:
        from edge_os.tts.earcons import Earcon, earcon_audio

        if self.player is not None:
            with contextlib.suppress(queue.Full):
                for sound in earcon_audio(Earcon("error")):
                    self._answers.put_nowait(sound)

    def _play_answers(self) -> None:
        assert self.player is not None
        while True:
            audio = self._answers.get()
            if audio is None:
                return
            if audio is _FOLLOW_UP:
                self._follow_up.set()
            elif isinstance(audio, AudioChunk):
                self.player.play([audio])

    def _publish(self, topic: str, payload: str) -> None:
        self.connection.publish(topic, payload, qos=1)

    # --- status -----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What ``edge-os status`` shows and the hub keeps."""
        import os

        now = time.time()
        return {
            "pid": os.getpid(),
            "role": "satellite",
            "site": self.site,
            "area": self.area,
            "hub": self.hub,
            "state": "listening" if self._session is not None else "idle",
            "connected": self.connection.connected,
            "started": round(self._started, 3),
            "updated": round(now, 3),
            "uptime_seconds": round(now - self._started, 1),
            "rss_mb": rss_mb(),
            "last_winner": self.contest.last_winner,
            "audio_overflows": getattr(self.source, "overflows", 0),
            "reconnects": max(0, self.connection.connects - 1),
            **self.counts,
        }

    def _publish_status(self, force: bool = False) -> None:
        self._last_status = time.monotonic()
        document = self.status()
        if self.status_path is not None:
            write_status(self.status_path, document)
        if self.connection.connected or force:
            self.connection.publish(
                satellite_topic(self.prefix, self.site), json.dumps(document), qos=1, retain=True
            )
