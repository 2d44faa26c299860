"""``detect`` + audio fires ``detection`` on the wake word, ``not-detected`` when it never came."""

from __future__ import annotations

from pathlib import Path

from wyoming.wake import Detect, Detection

from edge_os.audio.wav import read_wav
from tests.wyoming.client import audio_events, exchange
from tests.wyoming.conftest import RunningServer


def test_hey_jarvis_is_detected_where_it_is_said(server: RunningServer, demo_wav: Path) -> None:
    events = [Detect(names=["hey_jarvis"]).event(), *audio_events(read_wav(demo_wav).pcm)]
    replies = exchange(server.port, events, until={"detection", "not-detected", "error"})
    assert [e.type for e in replies] == ["detection"], replies
    detection = Detection.from_event(replies[0])
    assert detection.name == "hey_jarvis"
    # "Hey Jarvis" ends about 0.9 s into the recording; the command starts at 1.3 s
    assert detection.timestamp is not None and 800 <= detection.timestamp <= 1400


def test_silence_is_not_detected(server: RunningServer) -> None:
    events = [Detect(names=["hey_jarvis"]).event(), *audio_events(bytes(2 * 16000 * 2))]
    replies = exchange(server.port, events, until={"detection", "not-detected", "error"})
    assert [e.type for e in replies] == ["not-detected"]


def test_speech_without_the_wake_word_is_not_detected(
    server: RunningServer, demo_wav: Path
) -> None:
    command_only = read_wav(demo_wav).pcm[2 * 20000 :]  # from 1.25 s: "Turn on the kitchen light"
    events = [Detect().event(), *audio_events(command_only)]
    replies = exchange(server.port, events, until={"detection", "not-detected", "error"})
    assert [e.type for e in replies] == ["not-detected"]


def test_a_wake_word_the_server_does_not_have_is_an_error(server: RunningServer) -> None:
    replies = exchange(server.port, [Detect(names=["ok_nabu"]).event()], until={"error"})
    assert [(e.type, e.data.get("code")) for e in replies] == [("error", "model-missing")]
    assert "hey_jarvis" in replies[0].data["text"]
