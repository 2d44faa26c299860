"""Home Assistant's intent test fixtures expressed as an edge-os registry."""

from __future__ import annotations

from pathlib import Path

import yaml

from edge_os.config.loader import parse_config
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.fixtures import convert_ha_fixture
from edge_os.intent.grammar import GrammarRecognizer

FIXTURE = Path(__file__).parent / "data" / "ha_fixtures_en.yaml"


def test_ha_fixture_becomes_a_valid_registry(tmp_path: Path) -> None:
    converted = convert_ha_fixture(yaml.safe_load(FIXTURE.read_text(encoding="utf-8")))
    text = yaml.safe_dump(converted, sort_keys=False)
    config = parse_config(text, "converted.yaml", base_dir=tmp_path)  # validates everything
    registry = DeviceRegistry.from_config(config)
    assert "scene.party_mode" not in registry  # a domain edge-os does not drive
    assert "sensor.price_per_kw" in registry
    assert registry.area("living_room_id") is not None
    assert registry.area("kitchen_id").floor == "First Floor"  # type: ignore[union-attr]

    grammar = GrammarRecognizer(registry, default_area="living_room_id")
    checks = {
        "turn on the kitchen ceiling": ["light.kitchen_ceiling"],
        "turn off the lights in the kitchen": ["light.kitchen_ceiling", "light.kitchen_countertop"],
        "lock the back door": ["lock.back_door"],
        "set the ceiling fan to 30 percent": ["fan.ceiling"],
        "close the curtain left": ["cover.curtain_left"],
        "what is the temperature in the garage": ["sensor.outside_temperature"],
    }
    for sentence, targets in checks.items():
        assert sorted(grammar.recognize(sentence).targets) == targets, sentence
