"""``synthesize`` and streamed text come back as 16-bit speech from edge-os's Piper voice."""

from __future__ import annotations

import numpy as np
from wyoming.audio import AudioStart
from wyoming.event import Event
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

from tests.wyoming.client import exchange, pcm_of
from tests.wyoming.conftest import RunningServer


def streams(events: list[Event]) -> list[list[str]]:
    """Event types grouped per audio stream (``audio-start`` ... ``audio-stop``)."""
    grouped: list[list[str]] = []
    for event in events:
        if event.type == "audio-start":
            grouped.append([])
        if grouped and event.type.startswith("audio-"):
            grouped[-1].append(event.type)
    return grouped


def test_synthesize_returns_one_stream_of_16_bit_speech(server: RunningServer) -> None:
    text = "Turned on the kitchen light. The garage door is closed."
    events = exchange(server.port, [Synthesize(text=text).event()], until={"audio-stop", "error"})
    assert events[0].type == "audio-start", events[0]
    start = AudioStart.from_event(events[0])
    assert (start.rate, start.width, start.channels) == (22050, 2, 1)
    # Home Assistant reads to the first audio-stop: both sentences are in that one stream
    assert len(streams(events)) == 1 and events[-1].type == "audio-stop"
    samples = np.frombuffer(pcm_of(events), dtype="<i2")
    assert len(samples) / start.rate > 2.0  # two sentences of speech, not a click
    assert np.abs(samples).max() > 3000  # audible, not silence


def test_streamed_text_is_spoken_sentence_by_sentence(server: RunningServer) -> None:
    chunks = ["Turned on the ", "kitchen light. The ga", "rage door ", "is closed."]
    events = exchange(
        server.port,
        [
            SynthesizeStart().event(),
            *(SynthesizeChunk(text=chunk).event() for chunk in chunks),
            # sent alongside a stream for servers that predate streaming: ignored
            Synthesize(text="Turned on the kitchen light. The garage door is closed.").event(),
            SynthesizeStop().event(),
        ],
        until={"synthesize-stopped", "error"},
    )
    assert events[-1].type == "synthesize-stopped", [e.type for e in events]
    grouped = streams(events)
    assert len(grouped) == 2, grouped  # one stream per sentence, none for the ignored event
    assert all(g[0] == "audio-start" and g[-1] == "audio-stop" and len(g) > 2 for g in grouped)


def test_empty_text_is_an_error(server: RunningServer) -> None:
    events = exchange(server.port, [Synthesize(text="  ").event()], until={"error"})
    assert [(e.type, e.data.get("code")) for e in events] == [("error", "tts-failed")]
