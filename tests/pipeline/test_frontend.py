"""The front end on real speech: wake word, speech boundaries and the command audio."""

from __future__ import annotations

import numpy as np
import pytest

from edge_os.audio.format import AudioChunk
from edge_os.audio.sources import MockSource, WavFileSource
from edge_os.audio.wav import read_wav
from edge_os.config.settings import Config
from edge_os.pipeline.frontend import TAIL_SECONDS, FrontEnd, PausedSpeech
from edge_os.stages.events import (
    Event,
    EventType,
    NoSpeech,
    SpeechEnded,
    SpeechStarted,
    WakeDetected,
)
from tests import speech
from tests.audio.clips import RATE, command_clip, extent

START_TOLERANCE = round(0.15 * RATE)
END_TOLERANCE = round(0.25 * RATE)


def run(frontend: FrontEnd, audio: AudioChunk, block_ms: int = 80) -> list[Event | AudioChunk]:
    out: list[Event | AudioChunk] = []
    for chunk in MockSource(audio, block_ms=block_ms).chunks():
        out += frontend.process(chunk)
    return out


def frontend(**vad: float) -> FrontEnd:
    return FrontEnd.from_config(Config.model_validate({"vad": vad}))


@pytest.mark.parametrize(
    ("voice", "speed_wpm", "gap_seconds"),
    [("en-gb", 140, 0.4), ("en-us", 170, 0.6), ("en-us+f3", 140, 0.3)],
)
def test_wake_then_command_boundaries(voice: str, speed_wpm: int, gap_seconds: float) -> None:
    clip = command_clip(voice=voice, speed_wpm=speed_wpm, gap_seconds=gap_seconds)
    out = run(frontend(), read_wav(clip.path))
    events = [item for item in out if isinstance(item, Event)]
    assert [e.type for e in events] == [
        EventType.WAKE_DETECTED,
        EventType.SPEECH_START,
        EventType.SPEECH_END,
    ]
    wake, start, end = events
    assert isinstance(wake, WakeDetected)
    assert isinstance(start, SpeechStarted)
    assert isinstance(end, SpeechEnded)
    assert wake.model == "hey_jarvis"
    assert wake.seconds == round(wake.offset / RATE, 3)
    assert clip.wake[1] <= wake.offset <= clip.command[0]
    assert abs(start.offset - clip.command[0]) <= START_TOLERANCE
    assert abs(end.offset - clip.command[1]) <= END_TOLERANCE
    assert end.reason == "silence"
    # the command audio follows speech-end, with the pre-roll before the speech
    audio = out[-1]
    assert isinstance(audio, AudioChunk)
    assert out.index(audio) == out.index(end) + 1
    assert audio.offset == start.offset - round(0.3 * RATE)
    assert audio.end == end.offset + round(TAIL_SECONDS * RATE)
    whole = read_wav(clip.path).samples()
    assert np.array_equal(audio.samples(), whole[audio.offset : audio.end])


def test_the_first_syllable_is_inside_the_command_audio() -> None:
    clip = command_clip(gap_seconds=0.3)
    out = run(frontend(pre_roll_seconds=0.3), read_wav(clip.path))
    audio = next(item for item in out if isinstance(item, AudioChunk))
    assert audio.offset <= clip.command[0] - round(0.1 * RATE)
    assert audio.end >= clip.command[1]


def test_block_size_does_not_change_events() -> None:
    audio = read_wav(command_clip().path)
    results = [
        [e for e in run(frontend(), audio, block_ms) if isinstance(e, Event)]
        for block_ms in (10, 80, 500)
    ]
    assert results[0] == results[1] == results[2]


def test_no_speech_after_the_wake_word() -> None:
    clip = speech.concat(speech.espeak("hey jarvis", "en-gb", 140), tail_seconds=3.0)
    events = [e for e in run(frontend(no_speech_timeout_seconds=1.5), read_wav(clip))]
    assert [e.type for e in events if isinstance(e, Event)] == [
        EventType.WAKE_DETECTED,
        EventType.NO_SPEECH,
    ]
    wake, timeout = events
    assert isinstance(wake, WakeDetected)
    assert isinstance(timeout, NoSpeech)
    assert 0 <= timeout.offset - (wake.offset + round(1.5 * RATE)) <= 512


def test_max_command_length_cuts_a_long_command() -> None:
    clip = command_clip("turn on the kitchen light and the hallway light and the porch light")
    out = run(frontend(max_command_seconds=1.0), read_wav(clip.path))
    events = [e for e in out if isinstance(e, Event)]
    start, end = events[1], events[2]
    assert isinstance(end, SpeechEnded)
    assert end.reason == "max-length"
    assert end.offset - start.offset == RATE
    audio = out[3]
    assert isinstance(audio, AudioChunk)
    assert audio.seconds <= 1.0 + 0.3 + TAIL_SECONDS + 1e-9


def test_nothing_happens_without_the_wake_word() -> None:
    clip = speech.concat(speech.espeak("turn on the kitchen light"), speech.espeak("hey travis"))
    assert run(frontend(), read_wav(clip)) == []


def test_listens_again_after_a_command() -> None:
    clip = command_clip()
    twice = speech.concat(clip.path, clip.path, gap_seconds=1.0, lead_seconds=0, tail_seconds=0)
    events = [e for e in run(frontend(), read_wav(twice)) if isinstance(e, Event)]
    assert [e.type for e in events] == [
        EventType.WAKE_DETECTED,
        EventType.SPEECH_START,
        EventType.SPEECH_END,
    ] * 2


def test_push_to_talk_listens_without_a_wake_word() -> None:
    clip = command_clip()
    front = frontend()
    front.listen(clip.wake[1])
    events = [e for e in run(front, read_wav(clip.path)) if isinstance(e, Event)]
    assert events[0].type is EventType.SPEECH_START


def test_a_wake_word_in_a_follow_up_window_starts_a_new_command() -> None:
    # listening after an answer, someone says "hey jarvis, turn on the kitchen light": the
    # command is what follows the wake word, not the wake word alone
    clip = command_clip()
    front = frontend()
    front.listen(0, follow_up=True)
    out = run(front, read_wav(clip.path))
    kinds = [e.type for e in out if isinstance(e, Event)]
    assert kinds.count(EventType.SPEECH_END) == 1
    wake = kinds.index(EventType.WAKE_DETECTED)
    assert kinds[wake:] == [EventType.WAKE_DETECTED, EventType.SPEECH_START, EventType.SPEECH_END]
    [audio] = [a for a in out if isinstance(a, AudioChunk)]
    assert audio.offset >= clip.wake[1] - START_TOLERANCE


def test_memory_stays_bounded_while_idle() -> None:
    front = frontend()
    for chunk in WavFileSource(speech.concat(speech.espeak("okay"), tail_seconds=8)).chunks():
        front.process(chunk)
    assert front.buffered_samples <= round((0.3 + 1.0) * RATE) + 1280


def test_command_without_a_pause_starts_at_the_wake_word() -> None:
    """ "hey jarvis turn on ..." in one breath: speech is already on when the wake word fires."""
    clip = speech.concat(speech.espeak("hey jarvis turn on the kitchen light", "en-gb", 140))
    _, spoken_end = extent(clip)
    out = run(frontend(), read_wav(clip))
    events = [e for e in out if isinstance(e, Event)]
    assert [e.type for e in events] == [
        EventType.WAKE_DETECTED,
        EventType.SPEECH_START,
        EventType.SPEECH_END,
    ]
    wake, start, end = events
    assert isinstance(wake, WakeDetected)
    assert isinstance(start, SpeechStarted)
    assert start.offset == wake.offset
    assert isinstance(end, SpeechEnded)
    assert abs(end.offset - spoken_end) <= END_TOLERANCE
    audio = out[-1]
    assert isinstance(audio, AudioChunk)
    assert audio.offset == wake.offset - round(0.3 * RATE)


def test_the_command_so_far_at_a_pause_is_the_command_audio_if_it_ends_there() -> None:
    clip = command_clip(gap_seconds=0.4)
    out = run(frontend(), read_wav(clip.path))
    paused = [item for item in out if isinstance(item, PausedSpeech)]
    audio = next(item for item in out if isinstance(item, AudioChunk))
    end = next(item for item in out if isinstance(item, SpeechEnded))
    assert paused, "no pause seen before the end of speech"
    assert out.index(paused[-1]) < out.index(end)
    assert (paused[-1].audio.offset, paused[-1].audio.pcm) == (audio.offset, audio.pcm)
