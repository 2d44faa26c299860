"""The unit file: what the repository ships, systemd-analyze verify, and its security score."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from edge_os.cli.main import main
from edge_os.service.systemd import SYSUSERS, UnitOptions, install, render_unit
from tests.conftest import REPO

ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze missing: scripts/bootstrap installs Debian's systemd"
)


def test_repository_unit_is_the_rendered_default() -> None:
    assert (REPO / "systemd" / "edge-os.service").read_text(encoding="utf-8") == render_unit()
    assert (REPO / "systemd" / "edge-os.sysusers.conf").read_text(encoding="utf-8") == SYSUSERS


def test_unit_contract() -> None:
    unit = render_unit(UnitOptions(exec_path=Path("/x/edge-os"), config_path=Path("/c.yaml")))
    for line in (
        "Type=notify",
        "ExecStart=/x/edge-os --config /c.yaml run",
        "WatchdogSec=30",
        "Restart=on-failure",
        "User=edge-os",
        "SupplementaryGroups=audio gpio",
        "DeviceAllow=char-alsa rw",
        "DeviceAllow=char-gpiochip rw",
        "DevicePolicy=closed",
    ):
        assert line in unit.splitlines()


def _rendered(tmp_path: Path) -> Path:
    script = tmp_path / "edge-os"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(0o755)
    unit = tmp_path / "edge-os.service"
    unit.write_text(render_unit(UnitOptions(exec_path=script)), encoding="utf-8")
    return unit


@needs_analyze
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = _rendered(tmp_path)
    result = subprocess.run(
        [str(ANALYZE), "verify", unit.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


@needs_analyze
def test_security_score_at_most_2(tmp_path: Path) -> None:
    unit = _rendered(tmp_path)
    result = subprocess.run(
        [str(ANALYZE), "security", "--offline=yes", unit.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Overall exposure level for edge-os.service: (\d+\.\d+)", result.stdout)
    assert match is not None, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0


def test_render_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["systemd", "render", "--exec", "/opt/e/bin/edge-os", "--watchdog-seconds", "20"]) == 0
    )
    out = capsys.readouterr().out
    assert "ExecStart=/opt/e/bin/edge-os --config /etc/edge-os/config.yaml run" in out
    assert "WatchdogSec=20" in out


def test_install_into_a_root(tmp_path: Path) -> None:
    written = install(UnitOptions(), root=tmp_path)
    assert written == [
        tmp_path / "etc/systemd/system/edge-os.service",
        tmp_path / "etc/sysusers.d/edge-os.conf",
    ]
    assert written[0].read_text(encoding="utf-8") == render_unit()


def test_install_names_the_service_state_folder_in_the_config(tmp_path: Path) -> None:
    """So `edge-os status` and `say`, run by hand, look where the service keeps its socket."""
    import subprocess
    import sys

    from edge_os.config.loader import load_config
    from tests.conftest import REPO

    config = tmp_path / "etc/edge-os/config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("# mine\nsite: {id: hall}\n", encoding="utf-8")
    for _ in range(2):  # a second install changes nothing
        subprocess.run(
            [sys.executable, "-m", "edge_os", "systemd", "install", "--root", str(tmp_path),
             "--exec", "/usr/bin/edge-os"],
            cwd=REPO, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# mine") and text.count("state_dir") == 1
    assert str(load_config(config).state_dir) == "/var/lib/edge-os"
