"""Sentences sampled from HA's templates (``bench/sample_intents.py``), read by the grammar.

Every line of the two files was drawn from a template, read back the same way by hassil,
and carries its gold intent, slots and targets for one home (the example home, and Home
Assistant's intent-test fixture home). The grammar must agree on every line: intent,
every gold slot by meaning, targets as a set. A line marked ``xfail`` is a known grammar
bug: it must still fail, so that fixing the bug forces removing the mark.
Regenerate with ``.venv/bin/python bench/sample_intents.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge_os.config.loader import parse_config
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.fixtures import convert_ha_fixture
from edge_os.intent.grammar import GrammarRecognizer
from edge_os.intent.sentences import SERVED_INTENTS
from edge_os.stages.protocols import IntentResult
from tests.conftest import REPO

DATA = Path(__file__).parent / "data"
HA_FIXTURE = REPO / "bench" / "data" / "ha-intents-tests" / "en" / "_fixtures.yaml"
FILES = {"example_home": "sampled_example_home.jsonl", "ha_fixture": "sampled_ha_fixture.jsonl"}
DURATIONS = (("hours", "minutes", "seconds"), ("start_hours", "start_minutes", "start_seconds"))
"""Slot groups compared as one total: "1 and a half hours" is also "90 minutes"."""
_SECONDS = (3600, 60, 1)
MIN_LINES = 200
"""Fewer lines than this per file means the sampler lost most of its sentences."""


def _lines(home: str) -> list[dict[str, Any]]:
    path = DATA / FILES[home]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def ha_fixture_grammar() -> GrammarRecognizer:
    """The grammar for HA's test fixture home, converted to an edge-os registry."""
    data = yaml.safe_load(HA_FIXTURE.read_text(encoding="utf-8"))
    text = yaml.safe_dump(convert_ha_fixture(data), sort_keys=False, allow_unicode=True)
    config = parse_config(text, str(HA_FIXTURE), base_dir=REPO)
    return GrammarRecognizer(DeviceRegistry.from_config(config), default_area="living_room_id")


def _same(gold: object, got: object) -> bool:
    """Numbers within 0.01, anything else as case-insensitive text."""
    numbers = (int, float)
    if isinstance(gold, bool) or isinstance(got, bool):
        return gold == got
    if isinstance(gold, numbers) and isinstance(got, numbers):
        return abs(float(gold) - float(got)) <= 0.01
    if got is None:
        return False
    return str(gold).strip().casefold() == str(got).strip().casefold()


def _seconds(slots: Mapping[str, Any], keys: tuple[str, ...]) -> float | None:
    """A duration's total in seconds; None when a part is not a number."""
    total = 0.0
    for key, size in zip(keys, _SECONDS, strict=True):
        value = slots.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        total += value * size
    return total


def problems(line: Mapping[str, Any], result: IntentResult) -> list[str]:
    """How the grammar's reading differs from the gold line (empty: it agrees)."""
    found = []
    if result.intent != line["intent"]:
        found.append(f"intent {result.intent}")
    gold: Mapping[str, Any] = line["slots"]
    timed = set()
    for keys in DURATIONS:
        if set(keys) & set(gold):
            timed |= set(keys)
            want, got = _seconds(gold, keys), _seconds(result.slots, keys)
            if got is None or want is None or abs(want - got) > 0.01:
                found.append(f"{'+'.join(keys)} {want}s, got {got}s")
    for key, value in gold.items():
        if key not in timed and not _same(value, result.slots.get(key)):
            found.append(f"{key}={result.slots.get(key)!r}")
    if set(result.targets) != set(line["targets"]):
        found.append(f"targets {sorted(result.targets)}")
    return found


@pytest.mark.parametrize("home_key", sorted(FILES))
def test_grammar_reads_every_sampled_sentence(
    home_key: str, request: pytest.FixtureRequest
) -> None:
    grammar: GrammarRecognizer = request.getfixturevalue(
        "grammar" if home_key == "example_home" else "ha_fixture_grammar"
    )
    lines = _lines(home_key)
    assert len(lines) >= MIN_LINES, f"{FILES[home_key]}: only {len(lines)} lines"
    failures, fixed = [], []
    for line in lines:
        result = grammar.recognize(line["text"], area=line["area"])
        found = problems(line, result)
        expected = f"{line['intent']} {line['slots']} -> {line['targets']}"
        if "xfail" in line:
            if not found:
                fixed.append(f"{line['text']!r} now passes ({line['xfail']}): remove its mark")
        elif found:
            failures.append(f"{line['text']!r} @{line['area']}: want {expected}; {found}")
    assert not failures and not fixed, "\n".join(
        [f"{len(failures)} of {len(lines)} sentences misread:", *failures, *fixed]
    )


def test_sampled_files_cover_every_served_intent() -> None:
    seen = {line["intent"] for home in FILES for line in _lines(home)}
    assert set(SERVED_INTENTS) - seen == set()


def test_gold_lines_are_well_formed() -> None:
    for home, file in FILES.items():
        texts = [line["text"].casefold() for line in _lines(home)]
        assert len(texts) == len(set(texts)), f"{file}: duplicate sentences"
        for line in _lines(home):
            assert set(line) - {"xfail"} == {"text", "intent", "slots", "targets", "area"}, line
            assert line["intent"] in SERVED_INTENTS, line
