"""``edge-os setup`` as a person runs it: a real terminal (80x24, pexpect), PortAudio's
ALSA null device for the sound card, a real Mosquitto on loopback; and as a script runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from edge_os.config.loader import load_config
from edge_os.drivers.mqtt.broker import EmbeddedBroker, free_port
from tests.conftest import REPO

ASOUNDRC = "pcm.!default { type null }\nctl.!default { type hw card 0 }\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A home whose ALSA default is the null device (what a headless Pi without a card has)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(ASOUNDRC, encoding="utf-8")
    return {**os.environ, "HOME": str(home), "TERM": "xterm", "NO_COLOR": "1"}


def _spawn(config: Path, env: dict[str, str], *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "edge_os", "-c", str(config), "setup", *args],
        cwd=str(REPO), env=env, dimensions=(24, 80), encoding="utf-8", timeout=60,
    )  # fmt: skip


def test_a_first_run_in_a_terminal_ends_with_a_valid_config(
    tmp_path: Path, env: dict[str, str]
) -> None:
    config = tmp_path / "edge-os.yaml"
    with EmbeddedBroker() as broker:
        child = _spawn(config, env)
        try:
            child.expect(r"1/6 Microphone")
            child.expect(r"default")
            child.expect(r"Which microphone\? \[0\]: ")
            child.sendline("")
            child.expect(r"dBFS")  # the live meter
            child.expect(r"Which speaker\? \[0\]: ")
            child.sendline("0")
            child.expect(r"Did you hear it\? \[Y/n\]: ")
            child.sendline("y")
            child.expect(r'Say "hey jarvis" now')
            child.expect(r"against the threshold 0\.5: not heard\.")  # silence: no wake
            child.expect(r"Try again\? \[y/N\]: ")
            child.sendline("n")
            child.expect(r"Broker: .* \[embedded\]: ")
            child.sendline(f"{broker.host}:{broker.port}")
            child.expect(r"User \(empty for none\) \[\]: ")
            child.sendline("")
            child.expect(r"OK: ")
            child.expect(r"Where does this device stand\? \[Living room\]: ")
            child.sendline("Sun room")
            child.expect(r"Language \[en\]: ")
            child.sendline("xx")
            child.expect(r"no sentences for 'xx'")
            child.expect(r"Language \[en\]: ")
            child.sendline("de")
            child.expect(r"Add the devices .* \[y/N\]: ")
            child.sendline("n")
            child.expect(r"Wrote .*: valid\.")
            child.expect(pexpect.EOF)
        finally:
            child.close()
        assert child.exitstatus == 0, child.before
    written = load_config(config)
    assert (written.mqtt.host, written.mqtt.port) == (broker.host, broker.port)
    assert written.site.area == "sun_room" and written.site.language == "de"
    assert [(a.id, a.name) for a in written.areas] == [("sun_room", "Sun room")]
    assert written.audio.input.device == 0 and written.audio.output.device == 0
    assert config.read_text(encoding="utf-8").startswith("# edge-os configuration")


def test_ctrl_c_writes_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "edge-os.yaml"
    child = _spawn(config, env)
    try:
        child.expect(r"Which microphone\? \[0\]: ")
        child.sendintr()
        child.expect(r"nothing written")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert not config.exists()


def _script(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_os", "-c", str(config), "setup", *args],
        cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=120,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_every_step_has_a_flag_for_scripts(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "edge-os.yaml"
    config.write_text("# mine, keep me\nlogging:\n  level: DEBUG  # and me\n", encoding="utf-8")
    with EmbeddedBroker() as broker:
        done = _script(
            config, env, "--yes", "--skip-audio", "--skip-wake", "--input", "0",
            "--broker", f"{broker.host}:{broker.port}", "--area", "Kitchen",
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = config.read_text(encoding="utf-8")
    assert "# mine, keep me" in text and "# and me" in text
    written = load_config(config)
    assert written.site.area == "kitchen" and written.logging.level == "DEBUG"
    closed = _script(config, env, "--yes", "--skip-audio", "--skip-wake",
                     "--broker", f"127.0.0.1:{free_port('127.0.0.1')}")  # fmt: skip
    bad_language = _script(config, env, "--yes", "--skip-audio", "--skip-wake",
                           "--language", "xx")  # fmt: skip
    bad_input = _script(config, env, "--yes", "--skip-wake", "--input", "9")
    for result in (closed, bad_language, bad_input):
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert load_config(config).site.area == "kitchen"  # a failed run changed nothing
