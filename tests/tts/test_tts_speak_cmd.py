"""``edge-os speak``: JSON timings, the WAV it writes, and errors as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from edge_os.cli.main import main


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file with the null sink, used through $EDGE_OS_CONFIG."""
    path = tmp_path / "edge-os.yaml"
    path.write_text(f"audio:\n  output:\n    sink: 'null'\nstate_dir: {tmp_path}\n")
    monkeypatch.setenv("EDGE_OS_CONFIG", str(path))
    return path


def test_speak_writes_a_wav_and_prints_json(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "answer.wav"
    assert (
        main(["speak", "Turned on the kitchen light. Good night.", "--out", str(out), "--json"])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    # each sentence in pieces: its first short, so that it is heard sooner
    assert summary["engine"] == "piper" and summary["chunks"] > 2
    assert summary["first_audio_ms"] > 0 and summary["total_ms"] >= summary["first_audio_ms"]
    with wave.open(str(out)) as wav:
        assert wav.getframerate() == 22050 and wav.getnchannels() == 1
        assert wav.getnframes() / 22050 == pytest.approx(summary["audio_seconds"], abs=0.01)


def test_speak_plays_on_the_configured_sink(config: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["speak", "Hello."]) == 0
    assert "played on null: 2 chunk(s)" in capsys.readouterr().out  # two pieces of "Hello."


def test_speak_with_espeak(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config.write_text(config.read_text() + "tts:\n  engine: espeak-ng\n")
    assert main(["speak", "One. Two.", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["engine"] == "espeak-ng" and summary["chunks"] == 2


def test_speak_empty_text_is_a_usage_error(config: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["speak", "   "]) == 2
    assert capsys.readouterr().err.strip() == "edge-os: error: nothing to say: the text is empty"


def test_speak_through_portaudio_to_alsa_null_device(tmp_path: Path):
    """The real sounddevice sink, on ALSA's null PCM as the default device (no sound card)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default {\n  type null\n}\n")
    config = tmp_path / "edge-os.yaml"
    config.write_text(
        f"audio:\n  output:\n    sink: sounddevice\n    device: default\nstate_dir: {tmp_path}\n"
    )
    env = {**os.environ, "HOME": str(home), "EDGE_OS_CONFIG": str(config)}
    done = subprocess.run(
        [sys.executable, "-m", "edge_os", "speak", "Hello there. Goodbye.", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["chunks"] > 2 and summary["audio_seconds"] > 1.0 and summary["out"] is None
