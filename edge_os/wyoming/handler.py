"""One Wyoming connection: events in, edge-os's stages in worker threads, events out.

Requests and what answers them:

- ``describe`` -> ``info``; ``ping`` -> ``pong``;
- ``transcribe`` (optional), ``audio-start``, ``audio-chunk``..., ``audio-stop`` ->
  ``transcript`` (audio without ``detect`` first is speech to transcribe);
- ``detect``, then audio -> ``detection`` when the wake word fires, ``not-detected`` at
  ``audio-stop`` when it never did;
- ``synthesize`` -> ``audio-start``, ``audio-chunk``..., ``audio-stop``; streamed text
  (``synthesize-start``/``-chunk``/``-stop``) -> one audio stream per sentence, then
  ``synthesize-stopped``;
- ``recognize`` -> ``intent`` / ``not-recognized`` (nothing is carried out);
- ``transcript`` -> ``handled`` / ``not-handled``, carried out by edge-os's command path
  from the ``wyoming`` source.

A malformed event is answered with an ``error`` event and the connection goes on; a
request that cannot be answered (bad audio format, too much audio, a stage that failed)
is answered with an ``error`` event and the connection is closed, so a client waiting for
its answer is not left hanging. Other Wyoming events are ignored (the protocol's rule);
event types Wyoming does not have get an ``error`` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from wyoming.asr import Transcript
from wyoming.audio import AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, async_write_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Info
from wyoming.intent import Entity, Intent, NotRecognized
from wyoming.ping import Pong
from wyoming.tts import SynthesizeStopped
from wyoming.wake import Detection, NotDetected

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.errors import EdgeOSError, ErrorCode
from edge_os.stages.protocols import WakeWordDetector
from edge_os.wyoming.audio_in import AudioInput, parse_format
from edge_os.wyoming.engines import Engines
from edge_os.wyoming.framing import BadEvent, Limits, read_event
from edge_os.wyoming.speech_out import SentenceGatherer, audio_events

_LOGGER = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4000
"""Longest text to speak, recognise or handle in one event."""
MAX_TRANSCRIBE_SECONDS = 60.0
"""Longest speech one ``transcribe`` takes (``vad.max_command_seconds`` is at most 60)."""
PROTOCOL_EVENTS = frozenset(
    {
        "detection", "error", "handled", "handled-chunk", "handled-start", "handled-stop",
        "info", "intent", "intents-start", "intents-stop", "not-detected", "not-handled",
        "not-recognized", "pause-satellite", "played", "pong", "run-pipeline", "run-satellite",
        "satellite-connected", "satellite-disconnected", "select-program", "streaming-started",
        "streaming-stopped", "synthesize-stopped", "timer-cancelled", "timer-finished",
        "timer-started", "timer-updated", "transcript-chunk", "transcript-start",
        "transcript-stop", "user-event", "voice-started", "voice-stopped",
    }
)  # fmt: skip
"""Wyoming events this server has nothing to do with: ignored, as the protocol asks."""
_LOGGED_BAD_EVENTS = 3
"""Malformed events logged as warnings per connection (a flood stays a few lines)."""


class Refused(Exception):  # noqa: N818 (a request the server answers with an error, then hangs up)
    """A request that cannot be answered: an ``error`` event is sent, the connection closes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Connection:
    """The state of one client: the audio stream in progress and what it is for."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        engines: Engines,
        info: Info,
        *,
        limits: Limits | None = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.engines = engines
        self.info = info
        self.limits = limits or Limits()
        self.peer = str(writer.get_extra_info("peername"))
        self._wake_known = [model.name for program in info.wake for model in program.models]
        self._mode: Literal["asr", "wake"] = "asr"
        self._transcribe_asked = False
        self._audio: AudioInput | None = None
        self._start_ms = 0
        self._speech = bytearray()
        self._detector: WakeWordDetector | None = None
        self._wake_names: set[str] = set()
        self._detected = False
        self._gatherer: SentenceGatherer | None = None
        self._complained: set[str] = set()
        self._bad_events = 0
        self._handlers: dict[str, Callable[[Event], Awaitable[None]]] = {
            "describe": self._describe,
            "ping": self._ping,
            "transcribe": self._transcribe,
            "detect": self._detect,
            "audio-start": self._audio_start,
            "audio-chunk": self._audio_chunk,
            "audio-stop": self._audio_stop,
            "synthesize": self._synthesize,
            "synthesize-start": self._synthesize_start,
            "synthesize-chunk": self._synthesize_chunk,
            "synthesize-stop": self._synthesize_stop,
            "recognize": self._recognize,
            "transcript": self._handle,
        }

    async def run(self) -> None:
        """Serve the client until it hangs up, sends what cannot be read, or a request fails."""
        _LOGGER.info("wyoming client %s connected", self.peer)
        try:
            while True:
                try:
                    event = await read_event(self.reader, self.limits)
                except BadEvent as bad:
                    self._bad_events += 1
                    level = (
                        logging.WARNING if self._bad_events <= _LOGGED_BAD_EVENTS else logging.DEBUG
                    )
                    _LOGGER.log(level, "wyoming client %s: %s", self.peer, bad.message)
                    await self._error(bad.code, bad.message)
                    if bad.fatal:
                        break
                    continue
                if event is None:
                    break
                try:
                    await self._dispatch(event)
                except Refused as refused:
                    _LOGGER.warning(
                        "wyoming client %s: %s refused: %s", self.peer, event.type, refused.message
                    )
                    await self._error(refused.code, refused.message)
                    break
        except ConnectionError as err:
            _LOGGER.info("wyoming client %s went away: %s", self.peer, err)
        finally:
            await self._close()
        _LOGGER.info("wyoming client %s disconnected", self.peer)

    async def _dispatch(self, event: Event) -> None:
        handler = self._handlers.get(event.type)
        if handler is None:
            await self._unknown(event.type)
            return
        try:
            await handler(event)
        except (ConnectionError, Refused):
            raise
        except BadEvent as bad:
            raise Refused(bad.code, bad.message) from bad
        except EdgeOSError as err:
            raise Refused(err.code.value, err.message) from err
        except Exception as err:  # a stage bug ends this request, never the server
            _LOGGER.exception("wyoming client %s: %s failed", self.peer, event.type)
            raise Refused("internal-error", f"{event.type} failed: {err}") from err

    async def _unknown(self, event_type: str) -> None:
        if event_type in PROTOCOL_EVENTS:
            _LOGGER.debug("wyoming client %s: ignored %s", self.peer, event_type)
            return
        if event_type not in self._complained:  # once per type: a flood stays one log line
            self._complained.add(event_type)
            _LOGGER.warning("wyoming client %s: unknown event type %r", self.peer, event_type)
        await self._error("unknown-event", f"unknown event type {event_type[:100]!r}")

    # info
    async def _describe(self, _event: Event) -> None:
        await self._write(self.info.event())

    async def _ping(self, event: Event) -> None:
        text = event.data.get("text")
        await self._write(Pong(text=text if isinstance(text, str) else None).event())

    # audio in: speech to transcribe, or a stream to watch for the wake word
    async def _transcribe(self, event: Event) -> None:
        self._end_audio()
        self._transcribe_asked = True
        language = event.data.get("language")
        _LOGGER.debug("wyoming client %s: transcribe (language %r)", self.peer, language)

    async def _detect(self, event: Event) -> None:
        names = event.data.get("names")
        if names is not None and (
            not isinstance(names, list) or not all(isinstance(n, str) for n in names)
        ):
            raise BadEvent("bad-event", "detect: names must be a list of strings")
        wanted = {n for n in names or () if n in self._wake_known}
        if names and not wanted:
            known = ", ".join(self._wake_known) or "none"
            raise Refused(
                ErrorCode.MODEL_MISSING.value,
                f"unknown wake word {', '.join(names)[:200]} (this server has: {known})",
            )
        self._end_audio()
        self._mode = "wake"
        self._wake_names = wanted or set(self._wake_known)
        self._detected = False

    async def _audio_start(self, event: Event) -> None:
        await self._begin_audio(event)

    async def _begin_audio(self, event: Event) -> AudioInput:
        fmt = parse_format(event.data)
        self._end_audio(keep_mode=True)
        self._audio = AudioInput(fmt)
        timestamp = event.data.get("timestamp")
        self._start_ms = timestamp if isinstance(timestamp, int) else 0
        if self._mode == "wake":
            self._detected = False
            self._detector = await asyncio.to_thread(self.engines.take_wake)
        return self._audio

    async def _audio_chunk(self, event: Event) -> None:
        stream = self._audio or await self._begin_audio(event)
        chunk = stream.add(parse_format(event.data), event.payload or b"")
        if self._mode == "asr":
            self._add_speech(chunk)
            return
        detector = self._detector
        if detector is None or not chunk.pcm:
            return
        detections = await asyncio.to_thread(detector.process, chunk)
        timestamp = event.data.get("timestamp")
        for detection in detections:
            if detection.model not in self._wake_names:
                continue
            self._detected = True
            ms = (
                timestamp
                if isinstance(timestamp, int)
                else self._start_ms + detection.offset * 1000 // INTERNAL_FORMAT.rate
            )
            _LOGGER.info(
                "wyoming client %s: %s detected (score %.3f)",
                self.peer,
                detection.model,
                detection.score,
            )
            await self._write(Detection(name=detection.model, timestamp=ms).event())

    def _add_speech(self, chunk: AudioChunk) -> None:
        self._speech += chunk.pcm
        if len(self._speech) > MAX_TRANSCRIBE_SECONDS * INTERNAL_FORMAT.bytes_per_second:
            self._end_audio()
            raise Refused("too-large", f"more than {MAX_TRANSCRIBE_SECONDS:.0f} s of speech")

    async def _audio_stop(self, _event: Event) -> None:
        stream, mode = self._audio, self._mode
        if mode == "asr" and stream is not None:
            self._add_speech(stream.flush())
        speech, detected, asked = bytes(self._speech), self._detected, self._transcribe_asked
        self._end_audio()
        if mode == "wake":
            if not detected:
                await self._write(NotDetected().event())
            return
        if stream is None and not asked:
            _LOGGER.debug("wyoming client %s: audio-stop without audio", self.peer)
            return
        if not speech:  # nothing to listen to: no need to load Whisper
            await self._write(Transcript(text="").event())
            return
        transcript = await asyncio.to_thread(self.engines.transcribe, AudioChunk(speech))
        _LOGGER.info("wyoming client %s: transcript %r", self.peer, transcript.text)
        await self._write(Transcript(text=transcript.text, language=transcript.language).event())

    def _end_audio(self, *, keep_mode: bool = False) -> None:
        """Forget the stream in progress (a new request, the end of one, or a hang-up)."""
        self._audio = None
        self._speech.clear()
        if self._detector is not None:
            self.engines.give_back_wake(self._detector)
            self._detector = None
        if not keep_mode:
            self._mode = "asr"
            self._transcribe_asked = False

    # speech out
    async def _synthesize(self, event: Event) -> None:
        if self._gatherer is not None:  # sent alongside a stream for older servers: ignore
            return
        text = _text(event, "text")
        if not text.strip():
            raise Refused(ErrorCode.TTS_FAILED.value, "nothing to say: the text is empty")
        if not await self._speak(text):
            raise Refused(ErrorCode.TTS_FAILED.value, f"no speech came out of {text[:80]!r}")

    async def _synthesize_start(self, _event: Event) -> None:
        self._gatherer = SentenceGatherer(MAX_TEXT_CHARS)

    async def _synthesize_chunk(self, event: Event) -> None:
        if self._gatherer is None:
            raise Refused("bad-event", "synthesize-chunk without synthesize-start")
        try:
            sentences = self._gatherer.add(_text(event, "text"))
        except ValueError as err:
            raise Refused("too-large", str(err)) from err
        for sentence in sentences:
            await self._speak(sentence)

    async def _synthesize_stop(self, _event: Event) -> None:
        if self._gatherer is None:
            raise Refused("bad-event", "synthesize-stop without synthesize-start")
        rest, self._gatherer = self._gatherer.finish(), None
        if rest:
            await self._speak(rest)
        await self._write(SynthesizeStopped().event())

    async def _speak(self, text: str) -> bool:
        """Send ``text`` as one audio stream; False when it gave no audio (nothing sent)."""
        sentences = self.engines.synthesize(text)
        started = False
        while (chunk := await asyncio.to_thread(next, sentences, None)) is not None:
            if not started:
                fmt = chunk.format
                start = AudioStart(rate=fmt.rate, width=fmt.width, channels=fmt.channels)
                await self._write(start.event())
                started = True
            for event in audio_events(chunk):
                await self._write(event)
        if started:
            await self._write(AudioStop().event())
        return started

    # intents
    async def _recognize(self, event: Event) -> None:
        text = _text(event, "text")
        result = await asyncio.to_thread(self.engines.recognize, text)
        _LOGGER.info("wyoming client %s: recognize %r -> %s", self.peer, text, result.intent)
        if result.intent is None:
            await self._write(NotRecognized().event())
            return
        entities = [Entity(name=name, value=value) for name, value in result.slots.items()]
        context: dict[str, Any] = {
            "targets": list(result.targets),
            "confidence": round(result.confidence, 3),
            "path": result.path,
        }
        await self._write(Intent(name=result.intent, entities=entities, context=context).event())

    async def _handle(self, event: Event) -> None:
        text = _text(event, "text")
        report, _events = await asyncio.to_thread(self.engines.handle, text)
        understood = report.error is None and report.result is not None and report.result.understood
        answer = report.answer or (report.error.message if report.error is not None else None)
        _LOGGER.info("wyoming client %s: handle %r -> %r", self.peer, text, answer)
        reply = Handled(text=answer) if understood else NotHandled(text=answer)
        await self._write(reply.event())

    # output
    async def _write(self, event: Event) -> None:
        await async_write_event(event, self.writer)

    async def _error(self, code: str, text: str) -> None:
        with contextlib.suppress(ConnectionError):
            await self._write(Error(text=text, code=code).event())

    async def _close(self) -> None:
        self._end_audio()
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


def _text(event: Event, key: str) -> str:
    value = event.data.get(key)
    if not isinstance(value, str):
        raise BadEvent("bad-event", f"{event.type}: {key!r} must be a string")
    if len(value) > MAX_TEXT_CHARS:
        raise BadEvent("too-large", f"{event.type}: {key!r} is over {MAX_TEXT_CHARS} characters")
    return value
