"""Real test speech made on the fly with espeak-ng and sox (Debian packages).

Clips are written as 16 kHz mono 16-bit WAV into a cache folder shared by the session,
so every test that asks for the same sentence and voice gets the same file. sox runs
without dither (``-D``), so a clip is the same on every run and machine.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".speech-cache"


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} is not installed: run scripts/bootstrap (Debian: {tool})")
    return path


def _cached(key: str, suffix: str = ".wav") -> Path:
    CACHE.mkdir(exist_ok=True)
    # "no dither": sox dithers by default, so a clip differed from run to run
    return CACHE / (hashlib.sha1(f"no dither|{key}".encode()).hexdigest()[:16] + suffix)


def espeak(text: str, voice: str = "en-us", speed_wpm: int = 160, pitch: int = 50) -> Path:
    """``text`` spoken by espeak-ng, as 16 kHz mono 16-bit WAV."""
    out = _cached(f"espeak|{text}|{voice}|{speed_wpm}|{pitch}")
    if not out.exists():
        raw = out.with_suffix(".raw.wav")
        subprocess.run(
            [
                _need("espeak-ng"),
                "-v",
                voice,
                "-s",
                str(speed_wpm),
                "-p",
                str(pitch),
                "-w",
                str(raw),
                text,
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [_need("sox"), "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)],
            check=True,
            capture_output=True,
        )
        raw.unlink()
    return out


def concat(
    *clips: Path, gap_seconds: float = 0.3, lead_seconds: float = 0.5, tail_seconds: float = 1.0
) -> Path:
    """Clips joined with silence between them, plus silence before and after."""
    out = _cached(
        "concat|" + "|".join(map(str, clips)) + f"|{gap_seconds}|{lead_seconds}|{tail_seconds}"
    )
    if not out.exists():
        silence = _cached(f"silence|{gap_seconds}")
        subprocess.run(
            [
                _need("sox"),
                "-n",
                "-r",
                "16000",
                "-c",
                "1",
                "-b",
                "16",
                str(silence),
                "trim",
                "0",
                str(gap_seconds),
            ],
            check=True,
            capture_output=True,
        )
        parts: list[str] = []
        for index, clip in enumerate(clips):
            if index:
                parts.append(str(silence))
            parts.append(str(clip))
        subprocess.run(
            [_need("sox"), "-D", *parts, str(out), "pad", str(lead_seconds), str(tail_seconds)],
            check=True,
            capture_output=True,
        )
    return out


def _rms(path: Path) -> float:
    """RMS amplitude (0-1) of a WAV, as ``sox stat`` measures it."""
    stats = subprocess.run(
        [_need("sox"), str(path), "-n", "stat"], check=True, capture_output=True, text=True
    ).stderr
    line = next(line for line in stats.splitlines() if line.startswith("RMS     amplitude"))
    return float(line.split()[-1])


def with_noise(clip: Path, snr_db: float, seed: int = 1) -> Path:
    """``clip`` mixed with pink noise at ``snr_db`` dB signal-to-noise ratio."""
    out = _cached(f"noise|{clip}|{snr_db}|{seed}")
    if not out.exists():
        noise_rms = _rms(clip) / (10 ** (snr_db / 20))
        duration = subprocess.run(
            [_need("soxi"), "-D", str(clip)], check=True, capture_output=True, text=True
        ).stdout.strip()
        noise = _cached(f"pink|{duration}|{seed}")
        subprocess.run(
            [
                _need("sox"),
                "-R",
                "-n",
                "-r",
                "16000",
                "-c",
                "1",
                "-b",
                "16",
                str(noise),
                "synth",
                duration,
                "pinknoise",
                "norm",
                "-10",
            ],
            check=True,
            capture_output=True,
        )
        have = _rms(noise)
        gain = str(noise_rms / have)
        subprocess.run(
            [_need("sox"), "-D", "-m", str(clip), "-v", gain, str(noise), str(out)],
            check=True,
            capture_output=True,
        )
    return out
