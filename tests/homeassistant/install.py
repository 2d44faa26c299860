"""A real Home Assistant in a cached virtual environment of its own (never the suite's).

``homeassistant==2024.3.3`` is the newest release that runs on Python 3.11. It is installed
with its own ``package_constraints.txt`` into ``tests/.ha-venv/<key>/``, created with the
suite's Python and reused while the key (the version and the packages below) is unchanged.
Home Assistant would pip-install each integration's requirements at run time; they are
installed here instead and Home Assistant runs with ``--skip-pip``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

VERSION = "2024.3.3"
EXTRA_REQUIREMENTS = (
    # the integrations this test adds (their manifest.json "requirements")
    "paho-mqtt==1.6.1",  # mqtt
    "wyoming==1.5.3",  # wyoming
    "zeroconf==0.131.0",  # wyoming's config flow imports the zeroconf integration
    # what a start without default_config still sets up: frontend (else recovery mode),
    # backup, image_upload (person), camera, recorder's imports (analytics, history), hardware,
    # assist_pipeline and conversation (wyoming), file_upload (mqtt), ffmpeg and tts
    "home-assistant-frontend==20240307.0",
    "securetar==2024.2.1",
    "Pillow==10.2.0",
    "numpy==1.26.0",  # mqtt sets up its camera platform, which imports stream
    "SQLAlchemy==2.0.27",
    "fnv-hash-fast==0.5.0",
    "psutil-home-assistant==0.0.1",
    "webrtc-noise-gain==1.2.3",
    "hassil==1.6.1",
    "home-assistant-intents==2024.3.12",
    "janus==1.0.0",
    "ha-ffmpeg==3.1.0",
    "mutagen==1.47.0",
    "josepy<2",  # cloud: josepy 2 dropped ComparableX509, which hass-nabucasa 0.78 imports
)
INSTALL_TIMEOUT_SECONDS = 900
ROOT = REPO / "tests" / ".ha-venv"


@dataclass(frozen=True)
class Installed:
    """A ready environment: its Python and how long getting it took."""

    python: Path
    seconds: float
    reused: bool


class NotInstallableError(Exception):
    """Home Assistant could not be installed here (no network, no index): skip, saying why."""


def key() -> str:
    """Folder name: the version plus a hash of what is installed with it."""
    digest = hashlib.sha256("\n".join(EXTRA_REQUIREMENTS).encode()).hexdigest()[:10]
    return f"{VERSION}-py{sys.version_info[0]}{sys.version_info[1]}-{digest}"


def ensure() -> Installed:
    """The cached environment, installing it on first use (a lock keeps runs apart)."""
    ROOT.mkdir(parents=True, exist_ok=True)
    folder = ROOT / key()
    python = folder / "bin" / "python"
    stamp = folder / ".installed"
    started = time.monotonic()
    with (ROOT / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file():
            return Installed(python, time.monotonic() - started, reused=True)
        shutil.rmtree(folder, ignore_errors=True)
        for old in ROOT.iterdir():  # environments of earlier keys: 800 MB each
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        try:
            _install(folder, python)
        except NotInstallableError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        stamp.write_text(f"{VERSION}\n", encoding="utf-8")
    return Installed(python, time.monotonic() - started, reused=False)


def _run(args: list[str], what: str) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONWARNINGS": "ignore"}
    try:
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired as err:
        raise NotInstallableError(f"{what} took over {INSTALL_TIMEOUT_SECONDS} s") from err
    if result.returncode != 0:
        lines = [
            line
            for line in (result.stderr or result.stdout).splitlines()
            if line.strip() and not line.startswith("WARNING: Location")
        ]
        raise NotInstallableError(f"{what} failed: {' | '.join(lines[-3:])}")


def _install(folder: Path, python: Path) -> None:
    _run([sys.executable, "-m", "venv", str(folder)], "creating the virtual environment")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-input"]
    # the wheel first, for the constraints file inside it (HA's own pins)
    download = folder / "download"
    _run(
        [
            *pip[:3],
            "download",
            "--quiet",
            "--no-deps",
            "-d",
            str(download),
            f"homeassistant=={VERSION}",
        ],
        f"downloading homeassistant=={VERSION}",
    )
    [wheel] = download.glob("homeassistant-*.whl")
    constraints = folder / "package_constraints.txt"
    with zipfile.ZipFile(wheel) as archive:
        constraints.write_bytes(archive.read("homeassistant/package_constraints.txt"))
    _run(
        [*pip, "-c", str(constraints), str(wheel), *EXTRA_REQUIREMENTS],
        f"installing homeassistant=={VERSION}",
    )
    shutil.rmtree(download, ignore_errors=True)
