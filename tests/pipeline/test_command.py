"""The back half of the loop on text: confirmation of sensitive and LLM-guessed actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edge_os.action.dispatcher import Dispatcher
from edge_os.action.gpio import GpioDriver, mock_factory
from edge_os.config.loader import load_config
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.engine import build_engine
from edge_os.pipeline.command import CommandPipeline
from edge_os.pipeline.events import Event
from edge_os.pipeline.stages import IntentResult
from tests.conftest import EXAMPLE_HOME


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class LlmGuess:
    """An IntentRecognizer answering like the LLM fallback: one guessed target."""

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        if "study" not in text:
            return IntentResult(text=text, intent=None, path="llm")
        return IntentResult(
            text=text,
            intent="HassTurnOn",
            targets=["switch.office_heater"],
            confidence=0.6,
            path="llm",
        )


@pytest.fixture
def parts() -> Iterator[tuple[DeviceRegistry, GpioDriver]]:
    config = load_config(EXAMPLE_HOME)
    registry = DeviceRegistry.from_config(config)
    gpio = GpioDriver(registry.entities, mock_factory())
    yield registry, gpio
    gpio.close()


def pipeline(
    registry: DeviceRegistry, gpio: GpioDriver, recognizer: object, clock: Clock
) -> CommandPipeline:
    config = load_config(EXAMPLE_HOME)
    return CommandPipeline(
        registry,
        recognizer,  # type: ignore[arg-type]
        Dispatcher(registry, gpio=gpio),
        area=config.site.area,
        clock=clock,
    )


def statuses(events: list[Event]) -> list[str]:
    return [e.to_dict()["status"] for e in events if e.type.value == "action"]


def test_grammar_actions_run_at_once(parts: tuple[DeviceRegistry, GpioDriver]) -> None:
    registry, gpio = parts
    config = load_config(EXAMPLE_HOME)
    engine = build_engine(registry, config.intent, config.site.area)
    events: list[Event] = []
    report = pipeline(registry, gpio, engine, Clock()).handle_text(
        "turn on the office heater", events.append
    )
    assert statuses(events) == ["done"]
    assert gpio.state("switch.office_heater") == "on"
    assert report.answer == "Turned on the office heater."


def test_llm_guesses_wait_for_yes(parts: tuple[DeviceRegistry, GpioDriver]) -> None:
    registry, gpio = parts
    clock = Clock()
    command = pipeline(registry, gpio, LlmGuess(), clock)
    events: list[Event] = []
    report = command.handle_text("it is freezing in the study", events.append)
    assert statuses(events) == ["needs-confirmation"]
    assert gpio.state("switch.office_heater") == "off"
    assert report.answer is not None and report.answer.startswith("Do you want me to")
    clock.now += 3
    command.handle_text("yes please", events.append)
    assert statuses(events)[-1] == "done"
    assert gpio.state("switch.office_heater") == "on"


def test_a_late_or_other_answer_drops_the_question(
    parts: tuple[DeviceRegistry, GpioDriver],
) -> None:
    registry, gpio = parts
    clock = Clock()
    command = pipeline(registry, gpio, LlmGuess(), clock)
    events: list[Event] = []
    command.handle_text("warm the study", events.append)
    clock.now += 11  # past intent.confirm_timeout_seconds
    command.handle_text("yes", events.append)
    assert gpio.state("switch.office_heater") == "off"
    assert command.pending is None
    command.handle_text("warm the study", events.append)
    command.handle_text("no", events.append)
    command.handle_text("yes", events.append)
    assert statuses(events).count("done") == 0
    assert gpio.state("switch.office_heater") == "off"
