"""``edge-os eval stt`` on a manifest of real clips in mixed WAV layouts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from speech import espeak
from stt_corpus import EVERYDAY, piper

from edge_os.cli.main import main
from edge_os.errors import UsageError
from edge_os.stt.evaluate import read_manifest, run
from edge_os.stt.whisper import WhisperSpeechToText

REPO = Path(__file__).resolve().parents[2]
KEYS = {"n", "wer", "cer", "rtf", "p50_ms", "p95_ms"}


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """Four clips: Piper at 22,050 Hz, espeak at 16 kHz, and a 48 kHz stereo float copy."""
    stereo = tmp_path / "stereo-float.wav"
    subprocess.run(
        ["sox", str(piper(EVERYDAY[2])), "-r", "48000", "-c", "2", "-e", "float", str(stereo)],
        check=True,
    )
    lines = [
        {"file": str(piper(EVERYDAY[0])), "text": EVERYDAY[0]},
        {"file": str(espeak(EVERYDAY[1])), "text": EVERYDAY[1]},
        {"file": "stereo-float.wav", "text": "Set the bedroom lights to 50%."},
        {"file": str(piper(EVERYDAY[3])), "text": EVERYDAY[3]},
    ]
    path = tmp_path / "manifest.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")
    return path


def test_run_scores_real_clips(manifest: Path, tiny_stt: WhisperSpeechToText) -> None:
    result = run(read_manifest(manifest), tiny_stt)
    assert result.keys() >= KEYS
    assert result["n"] == 4
    assert 0 <= result["wer"] <= 0.15
    assert 0 <= result["cer"] <= result["wer"] + 0.05
    assert 0 < result["rtf"] < 5
    assert 0 < result["p50_ms"] <= result["p95_ms"]


def test_wrong_references_score_badly(tmp_path: Path, tiny_stt: WhisperSpeechToText) -> None:
    path = tmp_path / "wrong.jsonl"
    path.write_text(
        json.dumps({"file": str(piper(EVERYDAY[0])), "text": "play some jazz music please"}),
        encoding="utf-8",
    )
    assert run(read_manifest(path), tiny_stt)["wer"] >= 0.8


def test_cli_prints_one_json_line(manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = REPO / "devices" / "example-home.yaml"
    assert main(["--config", str(config), "eval", "stt", str(manifest), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    result = json.loads(out)
    assert result.keys() >= KEYS
    assert result["n"] == 4 and result["wer"] <= 0.15
    assert (result["model"], result["bias"]) == ("tiny.en", True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "manifest.jsonl:1: not JSON"),
        ('{"file": "a.wav"}', 'manifest.jsonl:1: expected {"file"'),
        ('{"file": "a.wav", "text": "ok"}\n["a.wav", "x"]', "manifest.jsonl:2: expected"),
        ('{"file": "a.wav", "text": " ?! "}', "manifest.jsonl:1: text is empty"),
        ("\n\n", "no samples"),
    ],
)
def test_bad_manifest_lines_are_located(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "manifest.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_manifest(path)


def test_cli_bad_audio_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.wav").write_bytes(b"garbage")
    path = tmp_path / "manifest.jsonl"
    path.write_text(json.dumps({"file": "broken.wav", "text": "hello"}), encoding="utf-8")
    config = REPO / "devices" / "example-home.yaml"
    assert main(["--config", str(config), "eval", "stt", str(path)]) == 2
    assert "broken.wav: not a WAV file (no RIFF/WAVE header)" in capsys.readouterr().err
