"""Mixed audio for soak runs: commands, other speech and silence, in a fixed pattern."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk

CYCLE_SECONDS = 30.0
"""One command, then other speech, then silence, per cycle."""
OTHER_SPEECH = "Good morning. The weather today is mild, with light rain in the afternoon."


def other_speech() -> AudioChunk:
    """Speech that is not for the assistant (espeak-ng), or silence where it is missing."""
    from edge_os.audio.wav import read_wav

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return AudioChunk(bytes(2 * INTERNAL_FORMAT.rate * 3), INTERNAL_FORMAT)
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "other.wav"
        subprocess.run([espeak, "-w", str(wav), OTHER_SPEECH], check=True, capture_output=True)
        return read_wav(wav)


def soak_stream(command_wav: Path, minutes: float) -> tuple[AudioChunk, int]:
    """``minutes`` of audio made of 30 s cycles; returns it and the number of commands."""
    from edge_os.audio.wav import read_wav

    command = read_wav(command_wav).pcm
    other = other_speech().pcm
    rate, width = INTERNAL_FORMAT.rate, INTERNAL_FORMAT.width
    cycle = bytearray(command)
    cycle += bytes(width * rate * 8)  # quiet after the answer
    cycle += other
    cycle += bytes(max(0, round(CYCLE_SECONDS * rate) * width - len(cycle)))
    cycles = max(1, round(minutes * 60 / CYCLE_SECONDS))
    return AudioChunk(bytes(cycle) * cycles, INTERNAL_FORMAT, 0), cycles
