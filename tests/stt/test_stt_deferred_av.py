"""faster-whisper's PyAV is loaded only if something decodes a file (17 MB of RSS saved)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SAMPLE = (
    Path(__file__).resolve().parents[2] / "audio/samples/hey-jarvis-turn-on-the-kitchen-light.wav"
)

CHECK = f"""
import sys
from edge_os.stt.whisper import defer_module
defer_module("av")
import faster_whisper.audio
assert type(sys.modules["av"]).__name__ == "_Deferred", sys.modules["av"]
samples = faster_whisper.audio.decode_audio({str(SAMPLE)!r})  # uses av: loads it now
assert type(sys.modules["av"]).__name__ == "module"
print(len(samples))
"""


def test_av_loads_only_when_a_file_is_decoded():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 16000  # seconds of 16 kHz audio, decoded through PyAV


def test_a_module_that_is_not_installed_is_left_to_its_import():
    from edge_os.stt.whisper import defer_module

    defer_module("edge_os_no_such_module")
    assert "edge_os_no_such_module" not in sys.modules
