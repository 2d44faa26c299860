"""`edge-os config get|set|unset|edit`: comments survive, bad values never reach the file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from edge_os.cli.main import main
from edge_os.config.loader import load_config
from tests.conftest import EXAMPLE_HOME, REPO


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A copy of the example home to edit."""
    path = tmp_path / "home.yaml"
    path.write_bytes(EXAMPLE_HOME.read_bytes())
    return path


def cli(*args: str) -> int:
    return main([*args])


def test_set_keeps_comments_and_order(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = home.read_text(encoding="utf-8")
    assert cli("-c", str(home), "config", "set", "intent.model_act_confidence", "0.8") == 0
    assert cli("-c", str(home), "config", "set", "site.area", "kitchen") == 0
    out = capsys.readouterr().out
    assert f"{home}: intent.model_act_confidence: 0.7 -> 0.8" in out
    assert "restart edge-os" in out or "applies when it starts" in out
    # the value changed in its line (comment kept in its column); the new section went in
    # after `site`, in the schema's order; nothing else moved
    expected = before.replace(
        "  area: living_room          # ", "  area: kitchen              # "
    ).replace("\n\ngpio:", "\n\nintent:\n  model_act_confidence: 0.8\n\ngpio:")
    assert home.read_text(encoding="utf-8") == expected
    config = load_config(home)
    assert config.intent.model_act_confidence == 0.8
    assert config.site.area == "kitchen"
    capsys.readouterr()
    assert cli("-c", str(home), "config", "get", "intent.model_act_confidence") == 0
    assert capsys.readouterr().out == "0.8\n"


def test_invalid_value_leaves_file_byte_identical(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = home.read_bytes()
    assert cli("-c", str(home), "config", "set", "intent.model_act_confidence", "1.8") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"edge-os: error: {home}:")
    assert "intent.model_act_confidence: expected at most 1.0, got 1.8" in err
    assert cli("-c", str(home), "config", "set", "gpio.mute_pin", "18") == 2
    assert "gpio.pin" in capsys.readouterr().err  # 18 is the desk LED's: the registry says so
    assert cli("-c", str(home), "config", "set", "intent.model_act_confidance", "0.8") == 2
    err = capsys.readouterr().err
    assert "intent.model_act_confidence" in err.split("nearest valid keys:")[1]
    assert cli("-c", str(home), "config", "set", "site.area", "[unclosed") == 2
    assert home.read_bytes() == original
    assert [p.name for p in home.parent.iterdir()] == [home.name]  # no temp file left


def test_unset_returns_to_default(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = home.read_bytes()
    assert cli("-c", str(home), "config", "set", "mqtt.discovery.prefix", "ha") == 0
    assert load_config(home).mqtt.discovery.prefix == "ha"
    assert cli("-c", str(home), "config", "unset", "mqtt.discovery.prefix") == 0
    assert '-> "homeassistant" (default)' in capsys.readouterr().out
    assert home.read_bytes() == original  # the mqtt section it needed is gone again
    assert cli("-c", str(home), "config", "unset", "site.area") == 0
    assert load_config(home).site.area is None
    assert "living_room" not in home.read_text(encoding="utf-8").split("gpio:")[0]
    capsys.readouterr()
    assert cli("-c", str(home), "config", "unset", "site.area") == 0
    assert "is not set in the file" in capsys.readouterr().out


def test_write_is_atomic_and_keeps_the_mode(home: Path) -> None:
    home.chmod(0o640)
    inode = home.stat().st_ino
    assert cli("-c", str(home), "config", "set", "wake.models", "[hey_jarvis, alexa]") == 0
    assert stat.S_IMODE(home.stat().st_mode) == 0o640
    assert home.stat().st_ino != inode  # replaced by rename, never rewritten in place
    assert "  models: [hey_jarvis, alexa]\n" in home.read_text(encoding="utf-8")
    assert sorted(p.name for p in home.parent.iterdir()) == [home.name]


def test_values_are_read_as_the_loader_reads_them(home: Path) -> None:
    assert cli("-c", str(home), "config", "set", "site.id", '"yes"') == 0
    assert '  id: "yes"\n' in home.read_text(encoding="utf-8")  # YAML 1.1 would read yes=true
    assert load_config(home).site.id == "yes"
    assert cli("-c", str(home), "config", "set", "mqtt.host", "null") == 0
    assert "  host: null\n" in home.read_text(encoding="utf-8")
    assert cli("-c", str(home), "config", "set", "wake.int8", "yes") == 0
    assert load_config(home).wake.int8 is True


def test_get_prints_effective_values(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("-c", str(home), "config", "get", "vad", "--json") == 0
    assert json.loads(capsys.readouterr().out)["silence_seconds"] == 0.7
    assert cli("-c", str(home), "config", "get", "entities[0].aliases") == 0
    assert capsys.readouterr().out == "- kitchen ceiling light\n- ceiling light\n"
    assert cli("-c", str(home), "config", "get", "entities[40].name") == 2
    assert "entities[40]: no such item (entities has 17)" in capsys.readouterr().err


def test_set_creates_the_user_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDGE_OS_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert cli("config", "set", "site.language", "de") == 0
    path = tmp_path / "xdg" / "edge-os" / "config.yaml"
    assert "(new file)" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# edge-os configuration, created by `edge-os config set`.")
    assert text.endswith("\nsite:\n  language: de\n")
    assert load_config(path).site.language == "de"


def _editor(tmp_path: Path, *texts: str) -> str:
    """An $EDITOR that writes ``texts[n]`` into the file on its n-th run."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import json, pathlib, sys\n"
        f"texts = json.loads({json.dumps(json.dumps(texts))})\n"
        f"count = pathlib.Path({str(tmp_path / 'count')!r})\n"
        "n = int(count.read_text()) if count.exists() else 0\n"
        "count.write_text(str(n + 1))\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "path.write_text(path.read_text().replace(*texts[min(n, len(texts) - 1)].split('|')))\n",
        encoding="utf-8",
    )
    return f"{sys.executable} {script}"


def _edit(
    home: Path, editor: str, *flags: str, answer: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDITOR": editor, "VISUAL": ""}
    return subprocess.run(
        [sys.executable, "-m", "edge_os", "-c", str(home), "config", "edit", *flags],
        input=answer,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=False,
        timeout=60,
    )


def test_edit_revalidates_before_saving(home: Path, tmp_path: Path) -> None:
    original = home.read_bytes()
    bad = _editor(tmp_path, "push_to_talk_pin: 5|push_to_talk_pin: 99")
    result = _edit(home, bad, "--no-retry")
    assert result.returncode == 2
    assert "gpio.push_to_talk_pin: 99 is not a GPIO pin (0-27)" in result.stderr
    assert "Traceback" not in result.stderr
    assert home.read_bytes() == original
    (tmp_path / "count").unlink()
    fixed = _editor(
        tmp_path,
        "push_to_talk_pin: 5|push_to_talk_pin: 99",
        "push_to_talk_pin: 99|push_to_talk_pin: 4",
    )
    result = _edit(home, fixed, answer="\n")  # "Edit again? [Y/n]" answered with Enter
    assert result.returncode == 0, result.stderr
    assert "is not a GPIO pin" in result.stderr
    assert (tmp_path / "count").read_text() == "2"
    assert load_config(home).gpio.push_to_talk_pin == 4
    assert home.read_text(encoding="utf-8") == original.decode().replace(
        "push_to_talk_pin: 5", "push_to_talk_pin: 4"
    )
