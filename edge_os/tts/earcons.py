"""Earcons: short sounds for wake, end of listening and error (WAVs in ``audio/earcons/``).

The WAVs were made with sox (recipes in ``audio/README.md``). Where the repository's
``audio/`` folder is not installed (a wheel), a plain sine beep of the same role is
synthesized instead, so playback never fails for want of a sound file.
"""

from __future__ import annotations

import logging
import math
import struct
import wave
from enum import StrEnum
from functools import cache
from pathlib import Path

from edge_os.audio.format import AudioChunk, AudioFormat

_LOGGER = logging.getLogger(__name__)

_PACKAGE_COPY = Path(__file__).resolve().parent / "earcons"
"""Where a wheel carries them (pyproject's force-include)."""
EARCON_DIR = (
    _PACKAGE_COPY
    if _PACKAGE_COPY.is_dir()
    else Path(__file__).resolve().parents[2] / "audio" / "earcons"
)
"""Folder of the earcon WAVs: inside the installed package, else the source checkout's."""
_FALLBACK_FORMAT = AudioFormat(rate=22050, width=2, channels=1)
_FALLBACK_TONES_HZ = {"wake": (880, 1320), "listening-end": (1320, 880), "error": (220, 165)}


class Earcon(StrEnum):
    """The sounds edge-os plays besides speech."""

    WAKE = "wake"
    LISTENING_END = "listening-end"
    ERROR = "error"


@cache
def load_earcon(earcon: Earcon, folder: Path = EARCON_DIR) -> AudioChunk:
    """The earcon's audio (16-bit PCM in the file's own format)."""
    path = folder / f"{earcon.value}.wav"
    try:
        with wave.open(str(path), "rb") as handle:
            fmt = AudioFormat(handle.getframerate(), handle.getsampwidth(), handle.getnchannels())
            return AudioChunk(handle.readframes(handle.getnframes()), fmt)
    except (OSError, wave.Error, EOFError) as err:
        _LOGGER.warning("earcon %s unavailable (%s); using a plain beep", path, err)
        return _beep(_FALLBACK_TONES_HZ[earcon.value])


def _beep(tones_hz: tuple[int, int], seconds: float = 0.1, amplitude: float = 0.3) -> AudioChunk:
    rate = _FALLBACK_FORMAT.rate
    samples: list[int] = []
    for tone in tones_hz:
        count = int(seconds * rate)
        for index in range(count):
            fade = min(1.0, index / 100, (count - index) / 400)
            value = amplitude * fade * math.sin(2 * math.pi * tone * index / rate)
            samples.append(round(32767 * value))
    return AudioChunk(struct.pack(f"<{len(samples)}h", *samples), _FALLBACK_FORMAT)


def earcon_audio(earcon: Earcon, enabled: bool = True) -> list[AudioChunk]:
    """What to hand ``Player.play`` for ``earcon``: nothing when ``audio.output.earcons`` is off."""
    return [load_earcon(earcon)] if enabled else []
