"""Garbage, oversized or cut-off events, bad audio, vanishing clients: never a dead server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from wyoming.asr import Transcribe
from wyoming.audio import AudioChunk, AudioStart
from wyoming.info import Describe
from wyoming.ping import Ping
from wyoming.tts import SynthesizeChunk
from wyoming.wake import Detect

from edge_os.config.settings import Config
from edge_os.wyoming.engines import Engines
from edge_os.wyoming.framing import Limits
from edge_os.wyoming.handler import MAX_TEXT_CHARS
from edge_os.wyoming.info import build_info
from tests.wyoming.client import exchange, raw_exchange
from tests.wyoming.conftest import RunningServer, serve

LIMITS = Limits(data_bytes=4096, payload_bytes=65536)


@pytest.fixture(scope="module")
def strict(wyoming_config: Config) -> Iterator[RunningServer]:
    """A server with small limits and nothing loaded."""
    engines = Engines(wyoming_config, llm=False)
    try:
        with serve(engines, build_info(wyoming_config), LIMITS) as running:
            yield running
    finally:
        engines.close()


@pytest.fixture(autouse=True)
def server_survives(strict: RunningServer, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """After each test: the server still answers, and nothing was logged as a crash."""
    with caplog.at_level(logging.INFO, logger="edge_os.wyoming"):
        yield
    assert strict.thread.is_alive()
    assert [e.type for e in exchange(strict.port, [Describe().event()], {"info"})] == ["info"]
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert crashes == []


def line(header: dict[str, object]) -> bytes:
    return json.dumps(header).encode() + b"\n"


def codes(events: list) -> list[tuple[str, object]]:  # type: ignore[type-arg]
    return [(e.type, e.data.get("code")) for e in events]


def test_a_line_that_is_not_json_is_answered_and_the_connection_goes_on(
    strict: RunningServer,
) -> None:
    events, _ = raw_exchange(
        strict.port,
        b"hello there\n" + b"[1, 2]\n" + line({"type": "ping", "data": {}}),
        expect=3,
    )
    # the pong came on the same connection, after the errors
    assert codes(events) == [("error", "bad-event"), ("error", "bad-event"), ("pong", None)]


def test_an_unknown_event_type_is_answered_and_the_connection_goes_on(
    strict: RunningServer,
) -> None:
    events, _ = raw_exchange(
        strict.port,
        line({"type": "launch-missiles"}) * 3
        + line({"type": "voice-started"})  # a Wyoming event with nothing to do here: ignored
        + line({"type": "ping", "data": {"text": "still there?"}}),
        expect=4,
    )
    assert codes(events) == [("error", "unknown-event")] * 3 + [("pong", None)]
    assert events[-1].data["text"] == "still there?"


@pytest.mark.parametrize(
    "header",
    [
        {"type": "audio-chunk", "payload_length": 65537},
        {"type": "describe", "data_length": 4097},
        {"type": "describe", "data_length": -1},
        {"type": "describe", "payload_length": "lots"},
    ],
)
def test_a_length_over_the_limit_or_not_a_length_hangs_up(
    strict: RunningServer, header: dict[str, object]
) -> None:
    events, closed = raw_exchange(strict.port, line(header) + b"\0" * 100)
    assert [e.type for e in events] == ["error"]
    assert events[0].data["code"] in {"too-large", "bad-event"}
    assert closed


def test_a_header_line_over_64_kib_hangs_up(strict: RunningServer) -> None:
    events, closed = raw_exchange(strict.port, b"x" * 70_000 + b"\n")
    assert codes(events) == [("error", "too-large")]
    assert closed


@pytest.mark.parametrize(
    "fmt",
    [
        {"rate": 16000, "width": 7, "channels": 1},
        {"rate": 100, "width": 2, "channels": 1},
        {"rate": 16000, "width": 2, "channels": 0},
        {"rate": "fast", "width": 2, "channels": 1},
        {"width": 2, "channels": 1},
    ],
)
def test_an_audio_format_edge_os_cannot_read_is_refused(
    strict: RunningServer, fmt: dict[str, object]
) -> None:
    start = line({"type": "audio-start", "data": fmt})
    events, closed = raw_exchange(strict.port, line({"type": "transcribe"}) + start)
    assert codes(events) == [("error", "audio-format")]
    assert closed


def test_a_chunk_that_changes_format_is_refused(strict: RunningServer) -> None:
    start = AudioStart(rate=16000, width=2, channels=1).event()
    chunk = AudioChunk(rate=48000, width=2, channels=1, audio=bytes(960))
    events = exchange(strict.port, [Transcribe().event(), start, chunk.event()], {"error"})
    assert codes(events) == [("error", "audio-format")]


def test_more_than_a_minute_of_speech_is_refused(strict: RunningServer) -> None:
    second = AudioChunk(rate=16000, width=2, channels=1, audio=bytes(32000)).event()
    start = AudioStart(rate=16000, width=2, channels=1).event()
    events = exchange(strict.port, [Transcribe().event(), start] + [second] * 61, {"error"})
    assert codes(events) == [("error", "too-large")]


def test_text_over_the_limit_is_refused(strict: RunningServer) -> None:
    events = exchange(
        strict.port,
        [Ping().event(), line_event("recognize", {"text": "a" * (MAX_TEXT_CHARS + 1)})],
        {"error"},
    )
    assert codes(events) == [("pong", None), ("error", "too-large")]
    events = exchange(strict.port, [SynthesizeChunk(text="no start").event()], {"error"})
    assert codes(events) == [("error", "bad-event")]
    events = exchange(strict.port, [line_event("transcript", {"text": 42})], {"error"})
    assert codes(events) == [("error", "bad-event")]


def test_clients_that_hang_up_mid_stream(strict: RunningServer) -> None:
    start = AudioStart(rate=16000, width=2, channels=1).event()
    chunk = AudioChunk(rate=16000, width=2, channels=1, audio=bytes(3200)).event()
    # mid-way through a transcription and a wake-word stream: nothing to answer, nothing held
    raw_exchange(strict.port, encode(Transcribe().event(), start, chunk), read_seconds=0.5)
    raw_exchange(strict.port, encode(Detect().event(), start, chunk, chunk), read_seconds=1)
    # mid-way through an event: the header promised 2,000 bytes, 10 came
    fmt = {"rate": 16000, "width": 2, "channels": 1}
    truncated = line({"type": "audio-chunk", "data": fmt, "payload_length": 2000}) + bytes(10)
    raw_exchange(strict.port, encode(Transcribe().event(), start) + truncated, read_seconds=0.5)
    assert strict.engines._idle_wake  # the wake-word stream's detector went back to the pool


def line_event(event_type: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    from wyoming.event import Event

    return Event(type=event_type, data=data)


def encode(*events) -> bytes:  # type: ignore[no-untyped-def]
    out = b""
    for event in events:
        data = json.dumps(event.data).encode()
        header = {"type": event.type, "data_length": len(data)}
        if event.payload:
            header["payload_length"] = len(event.payload)
        out += line(header) + data + (event.payload or b"")
    return out
