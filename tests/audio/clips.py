"""Real speech clips for the front-end tests (espeak-ng + sox) and where their speech lies.

``command_clip`` builds "hey jarvis" + pause + a command, and returns the true sample
extents of both parts, measured on the clean component clips (first and last sample
louder than a small threshold), so tests can check event positions against them.
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from tests import speech

RATE = 16000
LEAD_SECONDS = 0.5


def samples(path: Path) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV as int16."""
    with wave.open(str(path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def extent(path: Path, level: int = 300) -> tuple[int, int]:
    """First and one-past-last sample whose magnitude reaches ``level``."""
    loud = np.flatnonzero(np.abs(samples(path).astype(np.int32)) >= level)
    return int(loud[0]), int(loud[-1]) + 1


@dataclass(frozen=True)
class CommandClip:
    """A clip and the true positions of its wake word and its command (stream samples)."""

    path: Path
    wake: tuple[int, int]
    command: tuple[int, int]


@cache
def command_clip(
    command: str = "turn on the kitchen light",
    voice: str = "en-gb",
    speed_wpm: int = 140,
    gap_seconds: float = 0.4,
    tail_seconds: float = 1.5,
) -> CommandClip:
    """ "hey jarvis", a pause, then ``command``; with the true extents of both."""
    wake = speech.espeak("hey jarvis", voice, speed_wpm)
    spoken = speech.espeak(command, voice, 160)
    path = speech.concat(
        wake, spoken, gap_seconds=gap_seconds, lead_seconds=LEAD_SECONDS, tail_seconds=tail_seconds
    )
    lead = round(LEAD_SECONDS * RATE)
    wake_start, wake_end = extent(wake)
    command_at = lead + len(samples(wake)) + round(gap_seconds * RATE)
    start, end = extent(spoken)
    return CommandClip(
        path, (lead + wake_start, lead + wake_end), (command_at + start, command_at + end)
    )


def sox(src: Path, dst: Path, *options: str) -> Path:
    """``sox src [options] dst`` (format options go before the output file)."""
    subprocess.run(["sox", str(src), *options, str(dst)], check=True, capture_output=True)
    return dst
