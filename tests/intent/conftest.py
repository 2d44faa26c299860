"""Fixtures: the example home's registry and a grammar compiled once per module."""

from __future__ import annotations

import pytest

from edge_os.config.loader import load_config
from edge_os.config.settings import Config
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.grammar import GrammarRecognizer
from tests.conftest import EXAMPLE_HOME


@pytest.fixture(scope="session")
def home() -> Config:
    """The example home's config (site area: living_room)."""
    return load_config(EXAMPLE_HOME)


@pytest.fixture(scope="session")
def registry(home: Config) -> DeviceRegistry:
    """The example home's registry."""
    return DeviceRegistry.from_config(home)


@pytest.fixture(scope="session")
def grammar(registry: DeviceRegistry) -> GrammarRecognizer:
    """The grammar compiled for the example home, said in the living room by default."""
    return GrammarRecognizer(registry, default_area="living_room")
