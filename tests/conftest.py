"""Shared fixtures: paths into the repository, never relative to the working directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_os.drivers.mqtt.broker import EmbeddedBroker

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_HOME = REPO / "devices" / "example-home.yaml"


class Clock:
    """A hand-moved monotonic clock (tests move ``now`` themselves)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def example_text() -> str:
    """The example home's YAML text."""
    return EXAMPLE_HOME.read_text(encoding="utf-8")


@pytest.fixture
def write_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write YAML text to a file in a temporary folder and return its path."""

    def write(text: str, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def mosquitto() -> Iterator[EmbeddedBroker]:
    """A real Mosquitto on a free loopback port (the embedded broker edge-os itself uses)."""
    with EmbeddedBroker() as broker:
        yield broker
