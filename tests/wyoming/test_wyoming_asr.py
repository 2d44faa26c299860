"""``transcribe`` + audio gives edge-os's Whisper transcript, whatever PCM format is sent."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk as WyomingChunk

from edge_os.audio.wav import read_wav
from tests.wyoming.client import audio_events, exchange
from tests.wyoming.conftest import RunningServer


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z ]", " ", text.lower()).split()


def transcribe(server: RunningServer, pcm: bytes, rate: int, channels: int) -> Transcript:
    events = [Transcribe(language="en").event(), *audio_events(pcm, rate, 2, channels)]
    replies = exchange(server.port, events, until={"transcript", "error"})
    assert [e.type for e in replies] == ["transcript"], replies
    return Transcript.from_event(replies[0])


def test_transcribes_the_demo_recording(server: RunningServer, demo_wav: Path) -> None:
    # Home Assistant's own format: 16 kHz, 16-bit, mono, 1024-sample chunks
    transcript = transcribe(server, read_wav(demo_wav).pcm, 16000, 1)
    assert "turn on the kitchen light" in " ".join(words(transcript.text)), transcript.text
    assert transcript.language == "en"


def test_frames_split_across_chunks_as_home_assistant_sends_them(
    server: RunningServer, demo_wav: Path
) -> None:
    # HA 2024.3's /api/stt forwards the HTTP body in the pieces it arrives in (6,595 bytes)
    pcm = read_wav(demo_wav).pcm
    events = audio_events(pcm)
    pieces = [
        WyomingChunk(rate=16000, width=2, channels=1, audio=pcm[i : i + 6595]).event()
        for i in range(0, len(pcm), 6595)
    ]
    events = [Transcribe(language="en").event(), events[0], *pieces, events[-1]]
    replies = exchange(server.port, events, until={"transcript", "error"})
    assert [e.type for e in replies] == ["transcript"], replies
    text = Transcript.from_event(replies[0]).text
    assert "turn on the kitchen light" in " ".join(words(text)), text


def test_converts_44k_stereo_once_at_the_edge(server: RunningServer, demo_wav: Path) -> None:
    mono = read_wav(demo_wav).samples().astype(np.float32)
    points = np.arange(round(len(mono) * 44100 / 16000)) * (16000 / 44100)
    resampled = np.interp(points, np.arange(len(mono)), mono).round().astype("<i2")
    stereo = np.repeat(resampled, 2).tobytes()
    transcript = transcribe(server, stereo, 44100, 2)
    assert "turn on the kitchen light" in " ".join(words(transcript.text)), transcript.text


def test_audio_stop_without_speech_is_an_empty_transcript(server: RunningServer) -> None:
    transcript = transcribe(server, b"", 16000, 1)
    assert transcript.text == ""
