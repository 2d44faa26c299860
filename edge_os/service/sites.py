"""Several sites on one broker: the topics they share and how they settle a wake word.

Every site (``site.id``) has its own topics under ``<topic_prefix>/<site id>/``; the ones
below are what sites say to each other:

==========================================  =========================================
``<prefix>/<site>/wake``                    a wake word heard: :class:`WakeClaim`, JSON
``<prefix>/<site>/voice/<session>``         satellite -> hub: command audio, one chunk
                                            per message: a 4-byte little-endian
                                            sequence number, then 16 kHz 16-bit mono PCM
``<prefix>/<site>/voice/<session>/end``     satellite -> hub: :class:`CommandEnd`, JSON
``<prefix>/<site>/play``                    hub -> satellite: answer audio, one sentence
                                            per message: a JSON header line
                                            (:class:`PlayHeader`), ``\\n``, then PCM
``<prefix>/<site>/satellite``               a satellite's status, JSON, retained
==========================================  =========================================

**Wake-word arbitration.** A site that hears its wake word publishes a claim and listens
for the others' for ``site.arbitration_seconds``. Every site that heard the same wake
then picks the same winner from the same claims, with no referee: the loudest (to 1 dB:
the nearest to the speaker), then the best wake score (to two decimals), then the lowest
site id. A claim counts
when it arrived within the window before or after the site's own and comes from the same
``site.arbitration_group`` (rooms that cannot hear each other go in groups of their own,
so that people speaking in both at once are each answered). Nothing waits on the
hub, so the choice survives the hub or any other site dying; the losers stand down in
silence.
"""

from __future__ import annotations

import json
import math
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from edge_os.audio.format import AudioChunk, AudioFormat
from edge_os.service.control import ControlPayloadError, decode_text, parse_json

VOICE_CHUNK_HEADER = struct.Struct("<I")
"""The sequence number in front of each chunk of command audio."""
MAX_SESSION_ID = 64
"""Longest session id accepted in a topic."""
MAX_PLAY_BYTES = 1 << 20
"""Largest answer message a satellite plays (the hub sends 1 s blocks: 44 kB at 22 kHz)."""
HISTORY_SECONDS = 1.5
"""Audio kept from before a wake word (a satellite streams its command from there)."""
LOUDNESS_SECONDS = 1.0
"""Audio the loudness of a wake word is measured over (up to its detection)."""


def wake_topic(prefix: str, site: str) -> str:
    """Where ``site`` announces a wake word it heard."""
    return f"{prefix}/{site}/wake"


def voice_topic(prefix: str, site: str, session: str) -> str:
    """Where ``site`` streams the audio of one command."""
    return f"{prefix}/{site}/voice/{session}"


def play_topic(prefix: str, site: str) -> str:
    """Where the hub sends ``site`` the audio of its answers."""
    return f"{prefix}/{site}/play"


def satellite_topic(prefix: str, site: str) -> str:
    """Where a satellite keeps its status (retained)."""
    return f"{prefix}/{site}/satellite"


def site_of(topic: str, prefix: str) -> str | None:
    """The site id in ``<prefix>/<site>/...``, or None."""
    parts = topic.split("/")
    width = len(prefix.split("/"))
    return parts[width] if len(parts) > width and parts[width] else None


def json_object(payload: bytes) -> dict[str, Any] | None:
    """A JSON object within the control topics' limits, or None (never raises)."""
    try:
        value = parse_json(decode_text(payload))
    except ControlPayloadError:
        return None
    return value if isinstance(value, dict) else None


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class WakeClaim:
    """One site's report of a wake word: how sure, how loud, and its own id for the wake."""

    site: str
    wake: str
    """The site's id for this wake (the session its command will be streamed under)."""
    group: str
    """Its ``site.arbitration_group``: only claims of one group compete."""
    score: float
    """The wake word model's score, 0-1."""
    loudness: float
    """Level of the audio around the wake word, dBFS (louder is nearer)."""

    def to_json(self) -> str:
        """The message on the wake topic."""
        return json.dumps(asdict(self))

    @classmethod
    def from_payload(cls, payload: bytes) -> WakeClaim | None:
        """A claim from a message, or None when it is not one."""
        data = json_object(payload)
        if data is None:
            return None
        site, wake, group = data.get("site"), data.get("wake"), data.get("group", "home")
        score, loudness = _finite(data.get("score")), _finite(data.get("loudness"))
        if not all(isinstance(text, str) and text for text in (site, wake, group)):
            return None
        assert isinstance(site, str) and isinstance(wake, str) and isinstance(group, str)
        if score is None or loudness is None or len(wake) > MAX_SESSION_ID:
            return None
        return cls(site, wake, group, score, loudness)

    def rank(self) -> tuple[float, float, str]:
        """Sort key: the first of a sorted list wins."""
        return (-round(self.loudness), -round(self.score, 2), self.site)


def loudness_dbfs(chunks: list[AudioChunk]) -> float:
    """Level of the audio in ``chunks`` together, dBFS (-120 for silence)."""
    return round(AudioChunk(b"".join(chunk.pcm for chunk in chunks)).level_dbfs(), 2)


class WakeArbiter:
    """Which of the sites that heard one wake word handles it (thread-safe)."""

    def __init__(self, site: str, window_seconds: float) -> None:
        self.site = site
        self.window_seconds = window_seconds
        self._heard: deque[tuple[float, WakeClaim]] = deque()
        self._lock = threading.Lock()

    def heard(self, claim: WakeClaim, at: float | None = None) -> None:
        """Another site's claim arrived (``at``: ``time.monotonic()``)."""
        if claim.site == self.site:
            return
        now = time.monotonic() if at is None else at
        with self._lock:
            self._heard.append((now, claim))
            while self._heard and now - self._heard[0][0] > 4 * self.window_seconds + 5:
                self._heard.popleft()

    def winner(self, own: WakeClaim, claimed_at: float) -> WakeClaim:
        """The claim that wins among ``own`` and the others within the window of it."""
        with self._lock:
            near = [
                claim
                for at, claim in self._heard
                if abs(at - claimed_at) <= self.window_seconds and claim.group == own.group
            ]
        return min([own, *near], key=WakeClaim.rank)


@dataclass(frozen=True)
class CommandEnd:
    """The end of one command's audio: which chunks make it, and where it was said."""

    session: str
    hub: str
    """Site id of the hub that is to handle it."""
    area: str | None
    chunks: int
    """Chunks sent (sequence numbers 0 .. chunks-1)."""
    start: int
    """First sample of the command, counted from the first sample of chunk 0."""
    end: int
    """One past its last sample."""
    said_unix: float
    """When the speaker stopped (the hub does not act on a command older than its limit)."""

    def to_json(self) -> str:
        """The message on the voice topic's ``/end``."""
        return json.dumps(asdict(self))

    @classmethod
    def from_payload(cls, payload: bytes) -> CommandEnd | None:
        """An end message, or None when it is not one."""
        data = json_object(payload)
        if data is None:
            return None
        session, hub, area = data.get("session"), data.get("hub"), data.get("area")
        chunks, start, end = data.get("chunks"), data.get("start"), data.get("end")
        said = _finite(data.get("said_unix"))
        counts = (chunks, start, end)
        if not isinstance(session, str) or not isinstance(hub, str) or said is None:
            return None
        if area is not None and not isinstance(area, str):
            return None
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
            return None
        assert isinstance(chunks, int) and isinstance(start, int) and isinstance(end, int)
        if end <= start or len(session) > MAX_SESSION_ID:
            return None
        return cls(session, hub, area, chunks, start, end, said)


@dataclass(frozen=True)
class PlayHeader:
    """What follows the header line of an answer message."""

    session: str
    rate: int
    width: int
    channels: int
    seq: int
    """Block number within the answer (0 first)."""
    last: bool = False
    """The answer is complete (this message carries no audio): a follow-up may come."""

    def encode(self, pcm: bytes) -> bytes:
        """The whole message: this header, a newline, the PCM."""
        return json.dumps(asdict(self)).encode() + b"\n" + pcm

    @classmethod
    def decode(cls, payload: bytes) -> tuple[PlayHeader, AudioChunk] | None:
        """Header and audio of an answer message, or None when it is not one."""
        if len(payload) > MAX_PLAY_BYTES:
            return None
        line, _, pcm = payload.partition(b"\n")
        data = json_object(line)
        if data is None:
            return None
        fields = [data.get(k) for k in ("rate", "width", "channels", "seq")]
        session = data.get("session")
        if not isinstance(session, str) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in fields
        ):
            return None
        rate, width, channels, seq = (int(n) for n in fields)  # type: ignore[arg-type]
        if not (8000 <= rate <= 48000 and width == 2 and channels == 1 and seq >= 0):
            return None
        last = data.get("last", False)
        if len(pcm) % 2 or not isinstance(last, bool):
            return None
        header = cls(session, rate, width, channels, seq, last)
        return header, AudioChunk(pcm, AudioFormat(rate, width, channels))


class WakeContest:
    """One site's part in the arbitration of its wake words: claim, then won or not.

    Used by a satellite and by a ``full`` site, so that two whole edge-os on one broker do
    not both act on one "hey jarvis". ``publish(topic, payload)`` sends on the broker.
    """

    def __init__(
        self,
        prefix: str,
        site: str,
        group: str,
        window_seconds: float,
        publish: Callable[[str, str], object],
    ) -> None:
        self.prefix = prefix
        self.site = site
        self.group = group
        self.arbiter = WakeArbiter(site, window_seconds)
        self._publish = publish
        self._history: deque[AudioChunk] = deque()
        self.claim: WakeClaim | None = None
        self.claimed_at = 0.0
        self.last_winner: str | None = None

    @property
    def claims_filter(self) -> str:
        """Every site's wake topic."""
        return f"{self.prefix}/+/wake"

    def heard_claim(self, payload: bytes) -> WakeClaim | None:
        """A message on :attr:`claims_filter` (any thread): the claim, if it is one."""
        claim = WakeClaim.from_payload(payload)
        if claim is not None:
            self.arbiter.heard(claim)
        return claim

    def audio(self, chunk: AudioChunk) -> None:
        """A block from the microphone (the loudness of a wake word is measured on them)."""
        self._history.append(chunk)
        while sum(c.seconds for c in self._history) > HISTORY_SECONDS:
            self._history.popleft()

    def history(self) -> list[AudioChunk]:
        """The last :data:`HISTORY_SECONDS` of audio."""
        return list(self._history)

    def woke(self, score: float, wake: str | None = None) -> WakeClaim:
        """Our wake word: claim it (the loudness of the last :data:`LOUDNESS_SECONDS`);
        ``wake``: the id to claim it under (default: a new one)."""
        recent: list[AudioChunk] = []
        for chunk in reversed(self._history):
            if sum(c.seconds for c in recent) >= LOUDNESS_SECONDS:
                break
            recent.insert(0, chunk)
        self.claim = WakeClaim(
            self.site, wake or uuid.uuid4().hex[:16], self.group, score, loudness_dbfs(recent)
        )
        self.claimed_at = time.monotonic()
        self._publish(wake_topic(self.prefix, self.site), self.claim.to_json())
        return self.claim

    def left_seconds(self) -> float:
        """How long until the claims are in (0: decide now)."""
        if self.claim is None:
            return 0.0
        return max(0.0, self.claimed_at + self.arbiter.window_seconds - time.monotonic())

    def won(self) -> bool:
        """Whether this site handles its last wake word (True with no claim out)."""
        if self.claim is None:
            return True
        winner = self.arbiter.winner(self.claim, self.claimed_at)
        self.last_winner = winner.site
        return winner.site == self.site
