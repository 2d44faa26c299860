"""The bias text built from the device registry."""

from __future__ import annotations

from pathlib import Path

from stt_corpus import UNUSUAL_HOME

from edge_os.config.loader import load_config
from edge_os.devices.registry import DeviceRegistry
from edge_os.stt.vocabulary import COMMAND_TERMS, bias_text, registry_terms


def test_terms_come_from_areas_names_and_aliases_without_repeats() -> None:
    registry = DeviceRegistry.from_config(load_config(UNUSUAL_HOME))
    terms = registry_terms(registry, extra=["aurora LAMP", "Garden shed"])
    commands = len(COMMAND_TERMS)
    assert terms[:commands] == list(COMMAND_TERMS)
    assert terms[commands : commands + 5] == ["Snug", "Orangery", "Scullery", "Den", "Hobbit hole"]
    assert terms[commands + 5] == "Aurora lamp"
    assert "coffee pod machine" in terms
    assert terms[-1] == "Garden shed"
    assert sum(term.lower() == "aurora lamp" for term in terms) == 1


def test_no_registry_no_bias(tmp_path: Path) -> None:
    assert registry_terms(None) == []
    assert bias_text([]) is None
    # a home with nothing in it yet: no command words alone, which only hurt in noise
    empty = tmp_path / "empty.yaml"
    empty.write_text("entities: []\n", encoding="utf-8")
    assert registry_terms(DeviceRegistry.from_config(load_config(empty))) == []


def test_bias_text_keeps_whole_terms_within_the_cap() -> None:
    text = bias_text(["Aurora lamp", "Hygge corner", "Oberon fan"], max_chars=30)
    assert text == "Aurora lamp, Hygge corner"
