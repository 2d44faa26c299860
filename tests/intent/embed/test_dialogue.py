"""The command path with the learned reader: several commands, follow-ups, relative changes,
and what a model's reading may do unasked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_os.config.loader import load_config
from edge_os.config.settings import IntentSettings
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.dispatcher import Dispatcher
from edge_os.drivers.gpio.driver import GpioDriver, mock_factory
from edge_os.intent.classifier import load_or_train
from edge_os.intent.embed.encoder import SentenceEncoder
from edge_os.intent.engine import IntentEngine
from edge_os.intent.reader import Reader
from edge_os.pipeline.command import CommandPipeline
from edge_os.stages.events import ActionFinished, Event
from tests.conftest import EXAMPLE_HOME, Clock


@pytest.fixture(scope="module")
def engine(embed_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> IntentEngine:
    registry = DeviceRegistry.from_config(load_config(EXAMPLE_HOME))
    encoder = SentenceEncoder.load(embed_model_dir)
    classifier = load_or_train(encoder, tmp_path_factory.mktemp("reader-cache"))
    reader = Reader(registry, encoder, classifier, "living_room")
    settings = IntentSettings(llm_fallback=False, cache_size=0)
    return IntentEngine(registry, settings, default_area="living_room", retrieval=reader)


@pytest.fixture
def gpio(engine: IntentEngine) -> Iterator[GpioDriver]:
    driver = GpioDriver(engine.grammar.registry.entities, mock_factory())
    yield driver
    driver.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def command(engine: IntentEngine, gpio: GpioDriver, clock: Clock) -> CommandPipeline:
    registry = engine.grammar.registry
    return CommandPipeline(
        registry, engine, Dispatcher(registry, gpio=gpio), area="living_room", clock=clock
    )


def actions(events: list[Event]) -> list[tuple[str, str, dict[str, object], str]]:
    return [
        (e.entity_id, e.action, dict(e.params), e.status)
        for e in events
        if isinstance(e, ActionFinished)
    ]


def test_two_commands_in_one_sentence(command: CommandPipeline, gpio: GpioDriver) -> None:
    events: list[Event] = []
    report = command.handle_text("turn on the desk light and the office heater", events.append)
    assert [(a[0], a[1], a[3]) for a in actions(events)] == [
        ("light.desk_led", "turn_on", "done"),
        ("switch.office_heater", "turn_on", "done"),
    ]
    assert gpio.state("switch.office_heater") == "on"
    assert len(report.results) == 2


def test_a_clause_not_understood_leaves_the_whole_sentence_undone(
    command: CommandPipeline, gpio: GpioDriver
) -> None:
    events: list[Event] = []
    command.handle_text("turn on the desk light and order a pizza", events.append)
    assert actions(events) == []  # never half of a request
    assert gpio.state("light.desk_led") == "off"


def test_follow_ups_use_the_conversation(command: CommandPipeline, gpio: GpioDriver) -> None:
    events: list[Event] = []
    command.handle_text("turn on the desk light", events.append)
    command.handle_text("and the garage light too", events.append)
    assert gpio.state("light.garage_light") == "on"
    command.handle_text("turn it off", events.append)
    assert gpio.state("light.garage_light") == "off"
    assert gpio.state("light.desk_led") == "on"  # "it" is the last thing talked about


def test_brighter_starts_from_what_was_last_set(command: CommandPipeline) -> None:
    events: list[Event] = []
    command.handle_text("set the desk light to 40 percent", events.append)
    command.handle_text("a bit brighter", events.append)
    assert actions(events)[-1] == (
        "light.desk_led", "set_brightness", {"brightness": 60}, "done"
    )  # fmt: skip


def test_context_is_per_source(command: CommandPipeline, gpio: GpioDriver) -> None:
    events: list[Event] = []
    command.handle_text("turn on the desk light", events.append, source="text")
    command.handle_text("turn it off", events.append, source="mqtt")
    assert gpio.state("light.desk_led") == "on"


def test_context_expires(command: CommandPipeline, gpio: GpioDriver, clock: Clock) -> None:
    events: list[Event] = []
    command.handle_text("turn on the desk light", events.append)
    clock.now += command.context_seconds + 1
    command.handle_text("turn it off", events.append)
    assert gpio.state("light.desk_led") == "on"


def test_a_confident_reading_acts_and_an_unsure_one_asks(
    command: CommandPipeline, gpio: GpioDriver
) -> None:
    events: list[Event] = []
    report = command.handle_text("could you enable the office heater", events.append)
    assert report.result is not None and report.result.path == "model"
    assert report.result.confidence >= command.model_act_confidence
    assert gpio.state("switch.office_heater") == "on"
    command.model_act_confidence = 1.01  # nothing is that sure: every reading asks
    report = command.handle_text("kill the office heater", events.append)
    assert actions(events)[-1][3] == "needs-confirmation"
    assert report.answer is not None and report.answer.startswith("Do you want me to")
    assert gpio.state("switch.office_heater") == "on"


def test_a_sensitive_device_always_asks(engine: IntentEngine, gpio: GpioDriver) -> None:
    home = engine.grammar.registry
    heater = home["switch.office_heater"].model_copy(update={"sensitive": True})
    registry = DeviceRegistry(
        home.areas, [heater if e.id == heater.id else e for e in home], home.floors
    )
    command = CommandPipeline(registry, engine, Dispatcher(registry, gpio=gpio), clock=Clock())
    events: list[Event] = []
    report = command.handle_text("could you enable the office heater", events.append)
    assert report.result is not None and report.result.path == "model"
    assert report.result.confidence >= command.model_act_confidence  # sure, and still asks
    assert [a[3] for a in actions(events)] == ["needs-confirmation"]
    assert gpio.state("switch.office_heater") == "off"


TWO_READING_LIGHTS = """
areas:
  - {id: office, name: Office}
  - {id: bedroom, name: Bedroom}
entities:
  - {id: light.office_reading, name: Office reading lamp, area: office, gpio: {pin: 5}}
  - {id: light.bedroom_reading, name: Bedroom reading lamp, area: bedroom, gpio: {pin: 6}}
"""


def test_two_devices_named_alike_are_asked_about(engine: IntentEngine, tmp_path: Path) -> None:
    from edge_os.config.loader import parse_config

    registry = DeviceRegistry.from_config(parse_config(TWO_READING_LIGHTS, "two.yaml", tmp_path))
    assert engine.retrieval is not None
    classifier = engine.retrieval.classifier  # type: ignore[attr-defined]
    encoder = engine.retrieval.encoder  # type: ignore[attr-defined]
    reader = Reader(registry, encoder, classifier)
    settings = IntentSettings(llm_fallback=False, cache_size=0)
    own = IntentEngine(registry, settings, retrieval=reader)
    lights = GpioDriver(registry.entities, mock_factory())
    try:
        command = CommandPipeline(registry, own, Dispatcher(registry, gpio=lights), clock=Clock())
        events: list[Event] = []
        report = command.handle_text("could you switch on the reading lamp", events.append)
        assert actions(events) == []  # never guessed
        assert report.answer == ("Do you mean the office reading lamp or the bedroom reading lamp?")
        command.handle_text("the one in the bedroom", events.append)
        assert [(a[0], a[3]) for a in actions(events)] == [("light.bedroom_reading", "done")]
        assert lights.state("light.office_reading") == "off"
    finally:
        lights.close()


def test_say_asks_before_a_model_reading_of_a_sensitive_request(
    embed_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from edge_os.cli.main import main

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "intent-embed").symlink_to(embed_model_dir)
    home = tmp_path / "home.yaml"
    home.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8") + f"\nstate_dir: {tmp_path}\n", encoding="utf-8"
    )
    assert main(["-c", str(home), "say", "the garage door needs to be opened", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["path"] == "model"  # the learned reader, not the grammar
    assert [o["status"] for o in out["outcomes"]] == ["needs-confirmation"]
    assert out["answer"] == "Do you want me to open the garage door?"
