"""``edge-os eval wake`` on a manifest of real positive and negative clips."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edge_os.config.settings import Config
from edge_os.errors import UsageError
from edge_os.wake.evaluate import evaluate
from tests import speech
from tests.audio.clips import command_clip
from tests.conftest import REPO


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wake-eval")
    clips = {
        "pos1.wav": (command_clip().path, True),
        "pos2.wav": (command_clip(voice="en-us", speed_wpm=170).path, True),
        "pos3.wav": (speech.with_noise(command_clip().path, 10), True),
        "neg1.wav": (speech.concat(speech.espeak("what time is it in the kitchen")), False),
        "neg2.wav": (speech.concat(speech.espeak("hey travis, open the garage", "en-gb")), False),
    }
    lines = []
    for name, (source, wake) in clips.items():
        shutil.copy(source, folder / name)
        lines.append(json.dumps({"file": name, "wake": wake}))
    path = folder / "manifest.jsonl"
    path.write_text("\n".join(lines) + "\n\n")
    return path


def test_scores_the_manifest(manifest: Path) -> None:
    result = evaluate(manifest, Config())
    assert result["n"] == 5
    assert result["positives"] == 3
    assert result["false_reject_rate"] == 0.0
    assert result["false_accepts"] == 0
    assert result["false_accepts_per_hour"] == 0.0
    assert 0 < result["rtf"] < 1


def test_strict_threshold_rejects(manifest: Path) -> None:
    config = Config.model_validate({"wake": {"threshold": 1.0}})
    assert evaluate(manifest, config)["false_reject_rate"] == 1.0


def test_cli_prints_one_json_line(manifest: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "edge_os", "eval", "wake", str(manifest), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"n", "false_reject_rate", "false_accepts", "false_accepts_per_hour", "rtf"} <= set(data)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"file": "pos1.wav"}', 'expected {"file": "clip.wav", "wake": true|false}'),
        ('{"file": "pos1.wav", "wake": "yes"}', "expected"),
        ('["pos1.wav", true]', "expected"),
        ('{"file": "gone.wav", "wake": true}', "gone.wav does not exist"),
    ],
)
def test_bad_line_names_file_and_line(
    manifest: Path, tmp_path: Path, line: str, message: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    shutil.copy(manifest.parent / "pos1.wav", tmp_path / "pos1.wav")
    bad.write_text('{"file": "pos1.wav", "wake": true}\n\n' + line + "\n")
    with pytest.raises(UsageError) as caught:
        evaluate(bad, Config())
    assert str(caught.value).startswith(f"{bad}:3: ")
    assert message in str(caught.value)
    assert caught.value.exit_code == 2


def test_corrupt_clip_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "broken.wav").write_bytes(b"RIFF....WAVEjunk")
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"file": "broken.wav", "wake": false}\n')
    with pytest.raises(UsageError, match=r"m\.jsonl:1: .*broken\.wav: "):
        evaluate(bad, Config())


def test_empty_and_missing_manifest(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(UsageError, match="no samples"):
        evaluate(empty, Config())
    with pytest.raises(UsageError, match="cannot read"):
        evaluate(tmp_path / "missing.jsonl", Config())
