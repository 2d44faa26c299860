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
        command = [_need("espeak-ng"), "-v", voice, "-s", str(speed_wpm), "-p", str(pitch)]
        _spoken(out, [*command, "-w", "{raw}", text])
    return out


def flite(text: str, voice: str) -> Path:
    """``text`` spoken by one of flite's voices (Debian: flite), as 16 kHz mono 16-bit WAV."""
    out = _cached(f"flite|{text}|{voice}")
    if not out.exists():
        _spoken(out, [_need("flite"), "-voice", voice, "-t", text, "-o", "{raw}"])
    return out


def _spoken(out: Path, command: list[str]) -> None:
    """Run a synthesizer ``command`` that writes "{raw}", then make that 16 kHz mono 16-bit."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run(
        [str(raw) if part == "{raw}" else part for part in command],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [_need("sox"), "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)],
        check=True,
        capture_output=True,
    )
    raw.unlink()


def synth_noise(out: Path, seconds: str, kind: str = "pink") -> None:
    """``seconds`` of sox's "pink" or "brown" noise at -10 dBFS peak into ``out`` (16 kHz mono
    16-bit), from sox's repeatable seed (``-R``): the same samples on every run."""
    subprocess.run(
        [_need("sox"), "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out),
         "synth", seconds, f"{kind}noise", "norm", "-10"],
        check=True,
        capture_output=True,
    )  # fmt: skip


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


def _duration(path: Path) -> str:
    """A WAV's length in seconds, as soxi prints it."""
    return subprocess.run(
        [_need("soxi"), "-D", str(path)], check=True, capture_output=True, text=True
    ).stdout.strip()


def _rms(path: Path) -> float:
    """RMS amplitude (0-1) of a WAV, as ``sox stat`` measures it."""
    stats = subprocess.run(
        [_need("sox"), str(path), "-n", "stat"], check=True, capture_output=True, text=True
    ).stderr
    line = next(line for line in stats.splitlines() if line.startswith("RMS     amplitude"))
    return float(line.split()[-1])


BABBLE_TEXT = (
    "and the council said on tuesday that the new road would not be finished before the spring",
    "the weather stays mild for most of the week with some rain coming in from the west later on",
    "so we went down to the market early and bought bread and cheese and a bag of apples",
    "in the second half the visitors pressed hard but the keeper made three fine saves in a row",
)
"""What the babble's four talkers say: a room with a radio and people talking in it."""
BABBLE_TEXT_2 = (
    "we will be back after the break with the latest from the studio and your calls",
    "she told me the train was late again so i waited in the cafe by the station",
    "put the pan on a low heat and stir in the onions until they are soft and golden",
    "traffic is slow on the ring road this evening after an accident near the bridge",
)
"""A second babble, other talkers saying other things (seed 2)."""


def _babble(seconds: float, seed: int) -> Path:
    """Four espeak-ng talkers at once, looped to at least ``seconds``; ``seed`` 1 or 2."""
    texts, voices = (
        (BABBLE_TEXT, ("en-us", "en-gb", "en-us+f3", "en-gb+m4"))
        if seed == 1
        else (BABBLE_TEXT_2, ("en-gb+f2", "en-us+m2", "en-gb-x-rp+f4", "en-us+m5"))
    )
    talkers = [
        espeak(text, voice=voice, speed_wpm=170) for text, voice in zip(texts, voices, strict=True)
    ]
    tag = "" if seed == 1 else f"|{seed}"
    out = _cached(f"babble|{seconds}{tag}")
    if not out.exists():
        # each talker repeated to the length, then all four mixed
        looped = []
        for index, talker in enumerate(talkers):
            one = _cached(f"babble-talker|{index}|{seconds}{tag}")
            repeats = int(seconds / float(_duration(talker))) + 1
            subprocess.run(
                [_need("sox"), "-D", str(talker), str(one), "pad", f"{0.37 * index}", "0",
                 "repeat", str(repeats), "trim", "0", str(seconds)],
                check=True,
                capture_output=True,
            )  # fmt: skip
            looped.append(str(one))
        mix = [_need("sox"), "-D", "-m", *looped, str(out)]
        subprocess.run(mix, check=True, capture_output=True)
    return out


def with_noise(clip: Path, snr_db: float, seed: int = 1, kind: str = "pink") -> Path:
    """``clip`` mixed with noise at ``snr_db`` dB signal-to-noise ratio.

    ``kind``: "pink" or "brown" noise (:func:`synth_noise`; ``seed`` only names the file),
    or "babble" (four talkers: BABBLE_TEXT for seed 1, BABBLE_TEXT_2 for 2).
    """
    key = f"noise|{clip}|{snr_db}|{seed}" + ("" if kind == "pink" else f"|{kind}")
    out = _cached(key)
    if not out.exists():
        noise_rms = _rms(clip) / (10 ** (snr_db / 20))
        duration = _duration(clip)
        if kind == "babble":
            noise = _babble(float(duration), seed)
        else:
            noise = _cached(f"{kind}|{duration}|{seed}")
            synth_noise(noise, duration, kind)
        have = _rms(noise)
        gain = str(noise_rms / have)
        subprocess.run(
            [_need("sox"), "-D", "-m", str(clip), "-v", gain, str(noise), str(out)],
            check=True,
            capture_output=True,
        )
    return out
