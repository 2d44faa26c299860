"""``edge-os eval intents``: output keys, how gold slots are judged, HA tests, the CLI."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from edge_os.cli.main import main
from edge_os.config.settings import Config
from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import UsageError
from edge_os.intent.evaluate import evaluate, score
from edge_os.intent.fixtures import convert_ha_home, home_registry
from edge_os.intent.scoring import Sample
from edge_os.stages.protocols import IntentPath, IntentResult, SlotValue
from tests.conftest import EXAMPLE_HOME, REPO

HA_TESTS = REPO / "bench" / "data" / "ha-intents-tests" / "en"

LINES = [
    {"text": "turn on the kitchen light", "intent": "HassTurnOn",
     "slots": {"name": "Kitchen light"}},
    {"text": "turn off the lights in the lounge", "intent": "HassTurnOff",
     "slots": {"area": "Living room", "domain": "light"}},
    {"text": "set a timer for ninety seconds", "intent": "HassStartTimer",
     "slots": {"minutes": 1, "seconds": 30}},
    {"text": "set the floor lamp to 40 percent", "intent": "HassLightSet",
     "slots": {"name": "floor lamp", "brightness": 60}},
    {"text": "order a pizza", "intent": None, "slots": {}},
    {"text": "turn on the toaster", "intent": "HassTurnOn", "slots": {"name": "toaster"}},
]  # fmt: skip
KEYS = {"n", "intent_accuracy", "slot_accuracy", "exact_match", "not_understood",
        "wrong_action", "missed_action", "gold_errors", "by_path", "by_intent", "failures",
        "skipped_intents"}  # fmt: skip

HOME = """
floors:
  - {name: "First Floor"}
  - {name: "Second Floor"}
areas:
  - {name: "Kitchen", floor: "First Floor"}
  - {name: "Living Room", floor: "First Floor"}
  - {name: "Bedroom", floor: "Second Floor"}
entities:
  - {name: "Kitchen Light", domain: "light", area: "Kitchen", state: "on"}
  - {name: "Counter Light", domain: "light", area: "Kitchen"}
  - {name: "Floor Lamp", domain: "light", area: "Living Room"}
  - {name: "Bedroom Light", domain: "light", area: "Bedroom"}
  - {name: "Bedroom Light", domain: "switch", area: "Bedroom"}
"""
KITCHEN_LIGHTS = ("light.kitchen_light", "light.counter_light")


class Canned:
    """An IntentRecognizer that answers each sentence with a prepared result."""

    def __init__(self, results: Mapping[str, IntentResult]) -> None:
        self.results = results
        self.areas: list[str | None] = []

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        """The prepared result for ``text`` (not understood when there is none)."""
        self.areas.append(area)
        return self.results.get(text, IntentResult(text, None, path="grammar"))


@pytest.fixture(scope="module")
def ha_home() -> DeviceRegistry:
    """The small HA-style home above, converted."""
    return home_registry(convert_ha_home(yaml.safe_load(HOME), "home.yaml"), "home.yaml")


def _judge(
    registry: DeviceRegistry,
    intent: str,
    gold: Mapping[str, SlotValue | tuple[SlotValue, ...]],
    got: Mapping[str, SlotValue],
    targets: tuple[str, ...] = (),
) -> dict[str, object]:
    result = IntentResult("sentence", intent, got, targets, 1.0, "grammar", 1.0)
    return score([Sample("sentence", intent, gold)], Canned({"sentence": result}), registry, None)


def _write(tmp_path: Path, lines: list[object]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_metrics(tmp_path: Path, home: Config) -> None:
    config = home.model_copy(update={"state_dir": tmp_path})  # no LLM built there
    result = evaluate(_write(tmp_path, LINES), config)
    assert set(result) >= KEYS
    assert result["n"] == 6
    assert result["intent_accuracy"] == pytest.approx(5 / 6, abs=1e-3)
    assert result["not_understood"] == 0  # the toaster is not in the home: a gold error
    assert result["gold_errors"] == {"n": 1, "reasons": {"entity 'toaster' not in the home": 1}}
    assert result["wrong_action"] == 1  # 40 percent where the gold says 60
    assert result["exact_match"] == pytest.approx(4 / 6, abs=1e-3)
    assert result["slot_accuracy"] == pytest.approx(6 / 8, abs=1e-3)
    assert result["by_path"]["grammar"]["n"] == 6
    assert result["by_path"]["grammar"]["intent_accuracy"] == pytest.approx(5 / 6, abs=1e-3)
    assert 0 < result["by_path"]["grammar"]["p50_ms"] <= result["by_path"]["grammar"]["p95_ms"]
    assert result["failures"] == {"slot:brightness wrong": 1, "gold-error": 1}


@pytest.mark.parametrize(
    ("intent", "gold", "got", "case"),
    [
        # areas and floors: by id or by name, or by where every target stands
        ("HassTurnOn", {"area": "Kitchen", "domain": "light"}, {"area": "kitchen"},
         (KITCHEN_LIGHTS, None)),
        ("HassTurnOn", {"area": "Kitchen", "domain": "light"}, {"domain": "light"},
         (KITCHEN_LIGHTS, None)),
        ("HassTurnOn", {"area": "Kitchen", "domain": "light"},
         {"area": "living_room", "domain": "light"}, (("light.floor_lamp",), "slot:area wrong")),
        ("HassTurnOn", {"floor": "First Floor", "domain": "light"},
         {"floor": "first_floor", "domain": "light"},
         ((*KITCHEN_LIGHTS, "light.floor_lamp"), None)),
        ("HassTurnOn", {"floor": "First Floor", "domain": "light"},
         {"floor": "Second Floor", "domain": "light"},
         (("light.bedroom_light",), "slot:floor wrong")),
        # a name several entities share: fine while the targets are among them
        ("HassTurnOff", {"name": "Bedroom Light"}, {"name": "Bedroom Light"},
         (("switch.bedroom_light",), None)),
        ("HassTurnOff", {"name": "Bedroom Light"}, {}, (("light.floor_lamp",), "slot:name wrong")),
        ("HassTurnOn", {"area": "Kitchen", "domain": "light"}, {}, ((), "slot:area missing")),
        # durations compare as one total; timer names and numbers by meaning
        ("HassStartTimer", {"minutes": 1, "seconds": 30}, {"seconds": 90}, ((), None)),
        ("HassStartTimer", {"minutes": 1, "seconds": 30}, {"minutes": 1, "seconds": 20},
         ((), "slot:duration wrong")),
        ("HassStartTimer", {"hours": 1, "name": ("pizza ", "pizza")},
         {"minutes": 60, "name": "Pizza"}, ((), None)),
        ("HassStartTimer", {"minutes": 5, "name": "pizza"}, {"minutes": 5, "name": "pasta"},
         ((), "slot:name wrong")),
        ("HassLightSet", {"name": "Floor Lamp", "brightness": 50},
         {"name": "Floor Lamp", "brightness": 50.004}, (("light.floor_lamp",), None)),
        ("HassLightSet", {"name": "Floor Lamp", "brightness": 50},
         {"name": "Floor Lamp", "brightness": 51},
         (("light.floor_lamp",), "slot:brightness wrong")),
        ("HassGetState", {"name": "Floor Lamp", "state": "on"}, {"state": "off"},
         (("light.floor_lamp",), "slot:state wrong")),
        # a list in the gold: any one of its values
        ("HassTurnOn", {"name": ("Kitchen Light", "Counter Light")}, {},
         (("light.counter_light",), None)),
    ],
)  # fmt: skip
def test_slots_are_judged_by_meaning(
    ha_home: DeviceRegistry,
    intent: str,
    gold: dict[str, SlotValue],
    got: dict[str, SlotValue],
    case: tuple[tuple[str, ...], str | None],
) -> None:
    targets, reason = case
    result = _judge(ha_home, intent, gold, got, targets)
    assert result["exact_match"] == (1.0 if reason is None else 0.0)
    assert result["failures"] == ({reason: 1} if reason else {})


def test_wrong_intent_fails_every_slot(ha_home: DeviceRegistry) -> None:
    result = _judge(ha_home, "HassTurnOn", {"name": "Floor Lamp"}, {}, ("light.floor_lamp",))
    assert result["exact_match"] == 1.0
    wrong = IntentResult("s", "HassTurnOff", {"name": "Floor Lamp"}, ("light.floor_lamp",))
    out = score([Sample("s", "HassTurnOn", {"name": "Floor Lamp"})], Canned({"s": wrong}),
                ha_home, None)  # fmt: skip
    assert (out["exact_match"], out["slot_accuracy"], out["wrong_action"]) == (0.0, 0.0, 1)
    assert out["failures"] == {"wrong-intent": 1}


def test_missing_area_or_entity_is_a_gold_error(ha_home: DeviceRegistry) -> None:
    samples = [
        Sample("a", "HassTurnOn", {"area": "Attic", "domain": "light"}),
        Sample("b", "HassTurnOn", {"name": "Toaster"}),
        Sample("c", "HassTurnOn", {"floor": "Basement"}),
        Sample("d", "HassTurnOn", {"domain": "light"}, area="Garden"),
    ]
    results = {s.text: IntentResult(s.text, "HassTurnOn", dict(s.slots)) for s in samples}
    out = score(samples, Canned(results), ha_home, None)
    assert out["exact_match"] == 0.0  # never a silent pass
    assert out["gold_errors"] == {
        "n": 4,
        "reasons": {
            "area 'Attic' not in the home": 1,
            "entity 'Toaster' not in the home": 1,
            "floor 'Basement' not in the home": 1,
            "context area 'Garden' not in the home": 1,
        },
    }


def test_context_area_is_resolved_by_name(ha_home: DeviceRegistry) -> None:
    result = IntentResult("s", "HassTurnOn", {"area": "kitchen", "domain": "light"},
                          KITCHEN_LIGHTS)  # fmt: skip
    recognizer = Canned({"s": result})
    out = score([Sample("s", "HassTurnOn", {"area": "Kitchen", "domain": "light"}, "Kitchen")],
                recognizer, ha_home, None)  # fmt: skip
    assert out["exact_match"] == 1.0
    assert recognizer.areas == ["kitchen"]


def test_actions_beyond_the_gold_are_wrong(ha_home: DeviceRegistry) -> None:
    # the slots are right, but the living-room lamp would turn on too
    everything = (*KITCHEN_LIGHTS, "light.floor_lamp")
    wrong = _judge(ha_home, "HassTurnOn", {"area": "Kitchen", "domain": "light"},
                   {"area": "kitchen", "domain": "light"}, everything)  # fmt: skip
    assert (wrong["exact_match"], wrong["wrong_action"], wrong["failures"]) == (
        0.0, 1, {"wrong-action": 1})  # fmt: skip
    # the slots are right, but one of the kitchen lights would stay off
    partial = _judge(ha_home, "HassTurnOn", {"area": "Kitchen", "domain": "light"},
                     {"area": "kitchen", "domain": "light"}, KITCHEN_LIGHTS[:1])  # fmt: skip
    assert (partial["exact_match"], partial["partial_action"], partial["failures"]) == (
        0.0, 1, {"partial-action": 1})  # fmt: skip
    # the slots are right, but nothing would move
    missed = _judge(ha_home, "HassTurnOn", {"floor": "Second Floor", "domain": "light"},
                    {"floor": "second_floor", "domain": "light"})  # fmt: skip
    assert (missed["exact_match"], missed["missed_action"], missed["failures"]) == (
        0.0, 1, {"missed-action": 1})  # fmt: skip


class CannedSeveral(Canned):
    """A recognizer that, like IntentEngine, reads every command of a sentence."""

    def __init__(self, parts: Mapping[str, list[IntentResult]]) -> None:
        super().__init__({})
        self.parts = parts

    def recognize_all(self, text: str, *, area: str | None = None) -> list[IntentResult]:
        return self.parts[text]


def test_a_sentence_is_read_as_the_command_path_reads_it(ha_home: DeviceRegistry) -> None:
    # the command path does every command of a sentence (recognize_all), so the score is
    # of all of them: a second command beside the gold's one is no exact reading, and one
    # on a device nobody asked for is dangerous
    kitchen = IntentResult("s", "HassTurnOn", {"name": "Kitchen light"}, KITCHEN_LIGHTS[:1],
                           1.0, "grammar", 1.0)  # fmt: skip
    lamp = IntentResult("s", "HassTurnOn", {"name": "Floor lamp"}, ("light.floor_lamp",),
                        1.0, "grammar", 1.0)  # fmt: skip
    gold = [Sample("s", "HassTurnOn", {"name": "Kitchen light"})]
    alone = score(gold, CannedSeveral({"s": [kitchen]}), ha_home, None)
    both = score(gold, CannedSeveral({"s": [kitchen, lamp]}), ha_home, None)
    assert (alone["exact_match"], both["exact_match"]) == (1.0, 0.0)
    assert (alone["dangerous"]["n"], both["dangerous"]["n"]) == (0, 1)


def test_a_reading_that_finds_no_device_refuses(ha_home: DeviceRegistry) -> None:
    def judged(result: IntentResult) -> dict[str, object]:
        return score([Sample("s", None, {})], Canned({"s": result}), ha_home, None)

    # "turn on the fan" in a home without one: "Sorry, I couldn't find a device for that"
    nothing = IntentResult("s", "HassTurnOn", {"domain": "fan"}, (), 1.0, "grammar", 1.0)
    assert (judged(nothing)["exact_match"], judged(nothing)["false_accept"]) == (1.0, 0)
    # asking which of two devices is not refusing, and a timer needs no device
    which = IntentResult("s", "HassTurnOn", {}, (), 0.9, "model", 1.0,
                         alternatives=("light.kitchen_light", "light.counter_light"))  # fmt: skip
    timer = IntentResult("s", "HassStartTimer", {"minutes": 5}, (), 1.0, "grammar", 1.0)
    assert [judged(r)["false_accept"] for r in (which, timer)] == [1, 1]


def test_latency_is_reported_per_path(ha_home: DeviceRegistry) -> None:
    def said(text: str, path: IntentPath, latency_ms: float) -> IntentResult:
        return IntentResult(text, None, path=path, latency_ms=latency_ms)

    results = {f"g{i}": said(f"g{i}", "grammar", 0.1 * (i + 1)) for i in range(10)}
    results |= {f"l{i}": said(f"l{i}", "llm", 100.0 + 10 * i) for i in range(10)}
    samples = [Sample(text, None) for text in results]
    out = score(samples, Canned(results), ha_home, None)
    assert set(out["by_path"]) == {"grammar", "llm"}
    assert out["by_path"]["grammar"]["p50_ms"] == pytest.approx(0.55)
    assert out["by_path"]["grammar"]["p95_ms"] == pytest.approx(0.955)
    assert out["by_path"]["llm"]["p50_ms"] == pytest.approx(145.0)
    assert "p50_ms" not in out  # no blended figure


def _settings(tmp_path: Path) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(f"state_dir: {tmp_path}\n", encoding="utf-8")
    return path


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home.yaml"
    home.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8") + f"\nstate_dir: {tmp_path}\n"
        "intent: {llm_fallback: false}\n",
        encoding="utf-8",
    )
    path = _write(tmp_path, LINES[:2])
    assert main(["eval", "intents", str(path), "--devices", str(home), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= KEYS
    assert out["exact_match"] == 1.0


def test_cli_on_ha_tests_writes_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "en" / "HassTurnOn"
    folder.mkdir(parents=True)
    (folder / "name_area.yaml").write_text(
        HOME
        + """
tests:
  - sentences: ["turn on the kitchen light", "turn on the counter light in the kitchen"]
    slots: {name: ["Kitchen Light", "Counter Light"], area: "Kitchen"}
  - sentences: ["turn on the lights in the bedroom"]
    slots: {area: "Bedroom", domain: "light"}
""",
        encoding="utf-8",
    )
    (folder.parent / "HassLawnMowerDock").mkdir()
    (folder.parent / "HassLawnMowerDock" / "default.yaml").write_text(
        "tests: [{sentences: [dock the mower, park the mower]}]", encoding="utf-8"
    )
    rows = tmp_path / "rows.jsonl"
    argv = ["-c", str(_settings(tmp_path)), "eval", "intents", str(folder.parent), "--json",
            "--no-llm", "--rows", str(rows)]  # fmt: skip
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 3
    assert out["skipped_intents"] == {"HassLawnMowerDock": 2}
    assert set(out["by_path"]) == {"grammar"}
    lines = [json.loads(line) for line in rows.read_text(encoding="utf-8").splitlines()]
    assert [line["text"] for line in lines] == [
        "turn on the kitchen light",
        "turn on the counter light in the kitchen",
        "turn on the lights in the bedroom",
    ]
    assert set(lines[0]) >= {"text", "gold", "got", "slots", "targets", "path", "latency_ms",
                             "exact", "reason"}  # fmt: skip
    assert lines[0]["targets"] == ["light.kitchen_light"]
    assert lines[0]["target_states"] == {"light.kitchen_light": "on"}
    assert sum(line["exact"] for line in lines) / 3 == out["exact_match"]


def test_cli_devices_accepts_an_ha_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixture = tmp_path / "_fixtures.yaml"
    fixture.write_text(HOME, encoding="utf-8")
    gold = _write(tmp_path, [
        {"text": "turn off the floor lamp", "intent": "HassTurnOff",
         "slots": {"name": "Floor Lamp"}, "targets": ["light.floor_lamp"]},
    ])  # fmt: skip
    argv = ["-c", str(_settings(tmp_path)), "eval", "intents", str(gold), "--devices",
            str(fixture), "--json", "--no-llm"]  # fmt: skip
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["exact_match"] == 1.0


def test_cli_input_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "HassTurnOn" / "combo.yaml"
    bad.parent.mkdir()
    bad.write_text("tests: [{sentences: [hi], slots: [1]}]", encoding="utf-8")
    argv = ["-c", str(_settings(tmp_path)), "eval", "intents", str(bad), "--no-llm"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tests[0].slots: expected a mapping" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json\n", "not JSON"), ('{"intent": "HassTurnOn"}\n', "expected an object with text"),
     ("", "no samples")],
)  # fmt: skip
def test_bad_files_name_the_line(tmp_path: Path, home: Config, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        evaluate(path, home)


def test_only_unserved_intents_is_an_error(tmp_path: Path, home: Config) -> None:
    file = tmp_path / "HassLawnMowerDock" / "default.yaml"
    file.parent.mkdir()
    file.write_text("tests: [{sentences: [dock the mower]}]", encoding="utf-8")
    with pytest.raises(UsageError, match=r"skipped: HassLawnMowerDock \(1\)"):
        evaluate(file, home, llm=False)


def test_home_assistant_turn_on_tests(home: Config, tmp_path: Path) -> None:
    """End to end: HA's own HassTurnOn tests (new format, one home per file)."""
    config = home.model_copy(update={"state_dir": tmp_path})
    result = evaluate(HA_TESTS / "HassTurnOn", config, llm=False)
    assert result["n"] >= 50
    assert result["gold_errors"]["n"] == 0
    assert result["exact_match"] >= 0.95  # measured 1.0 (59/59) on 2026-11-29
    assert result["wrong_action"] == 0


def test_area_places_the_satellite_in_homes_without_one(home: Config, tmp_path: Path) -> None:
    config = home.model_copy(update={"state_dir": tmp_path})
    without = evaluate(HA_TESTS / "HassMediaPause", config, llm=False)
    within = evaluate(HA_TESTS / "HassMediaPause", config, llm=False, area="Living Room")
    # "pause" needs the satellite's area: a home of no areas cannot say where it is
    assert without["not_understood"] == without["n"]
    assert within["exact_match"] == 1.0


def test_a_domain_without_an_area_means_the_whole_home(ha_home: DeviceRegistry) -> None:
    sample = Sample("turn off all the lights", "HassTurnOff", {"domain": "light"})
    lights = [e.id for e in ha_home if e.domain.value == "light"]
    result = IntentResult(sample.text, "HassTurnOff", {"domain": "light"}, tuple(lights))
    whole = score([sample], Canned({sample.text: result}), ha_home, "living_room")
    assert (whole["exact_match"], whole["wrong_action"]) == (1.0, 0)
    here = [e.id for e in ha_home if e.domain.value == "light" and e.area == "living_room"]
    assert here and len(here) < len(lights)
    local = IntentResult(sample.text, "HassTurnOff", {"domain": "light"}, tuple(here))
    partial = score([sample], Canned({sample.text: local}), ha_home, "living_room")
    assert partial["exact_match"] == 0.0
