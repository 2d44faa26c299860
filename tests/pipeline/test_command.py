"""The back half of the loop on text: confirmation of sensitive and LLM-guessed actions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from edge_os.audio.format import AudioChunk
from edge_os.config.loader import load_config
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.dispatcher import Dispatcher
from edge_os.drivers.gpio.driver import GpioDriver, mock_factory
from edge_os.intent.engine import build_engine
from edge_os.pipeline.command import CommandPipeline
from edge_os.scheduler.store import Timer
from edge_os.scheduler.timers import TimerTable
from edge_os.stages.events import Event
from edge_os.stages.protocols import IntentPath, IntentResult, Transcript
from tests.conftest import EXAMPLE_HOME, Clock


class LlmGuess:
    """An IntentRecognizer answering like a learned path: one guessed target."""

    def __init__(self, path: IntentPath = "llm") -> None:
        self.path: IntentPath = path

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        if "study" not in text:
            return IntentResult(text=text, intent=None, path=self.path)
        return IntentResult(
            text=text,
            intent="HassTurnOn",
            targets=["switch.office_heater"],
            confidence=0.6,
            path=self.path,
        )


class Heard:
    """SpeechToText that hears the next of a list of sentences (the voice path, no model)."""

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)

    def transcribe(self, audio: AudioChunk) -> Transcript:
        """The next sentence, as if it had been said."""
        return Transcript(self.texts.pop(0), "en", audio.seconds, 0.0)


SPOKEN = AudioChunk(b"\0\0" * 1600)
"""0.1 s of silence: what is "said" is up to :class:`Heard`."""


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


def grammar_pipeline(registry: DeviceRegistry, gpio: GpioDriver) -> CommandPipeline:
    """The example home's command pipeline with its real intent engine."""
    config = load_config(EXAMPLE_HOME)
    engine = build_engine(registry, config.intent, config.site.area)
    return pipeline(registry, gpio, engine, Clock())


def statuses(events: list[Event]) -> list[str]:
    return [e.to_dict()["status"] for e in events if e.type.value == "action"]


def test_grammar_actions_run_at_once(parts: tuple[DeviceRegistry, GpioDriver]) -> None:
    registry, gpio = parts
    events: list[Event] = []
    report = grammar_pipeline(registry, gpio).handle_text(
        "turn on the office heater", events.append
    )
    assert statuses(events) == ["done"]
    assert gpio.state("switch.office_heater") == "on"
    assert report.answer == "Turned on the office heater."


@pytest.mark.parametrize("path", ["llm", "model"])
def test_learned_guesses_wait_for_yes(
    parts: tuple[DeviceRegistry, GpioDriver], path: IntentPath
) -> None:
    registry, gpio = parts
    clock = Clock()
    command = pipeline(registry, gpio, LlmGuess(path), clock)
    events: list[Event] = []
    report = command.handle_text("it is freezing in the study", events.append)
    assert statuses(events) == ["needs-confirmation"]
    assert gpio.state("switch.office_heater") == "off"
    assert report.answer is not None and report.answer.startswith("Do you want me to")
    clock.now += 3
    command.handle_text("yes please", events.append)
    assert statuses(events)[-1] == "done"
    assert gpio.state("switch.office_heater") == "on"


EVERYTHING = [
    "light.kitchen_ceiling", "light.kitchen_counter", "light.living_room_lamp",
    "light.bedroom_lamp", "light.desk_led", "light.garage_light", "switch.coffee_machine",
    "switch.office_heater", "switch.garden_sprinkler", "fan.bedroom_fan",
    "media_player.living_room_speaker",
]  # fmt: skip
"""Every light, switch, fan and speaker of the example home: 11 devices of four kinds."""


class Everything:
    """An IntentRecognizer that reads "turn everything on" as every device above, sure."""

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        if "everything" not in text:
            return IntentResult(text=text, intent=None, path="grammar")
        return IntentResult(text, "HassTurnOn", targets=EVERYTHING, confidence=1.0,
                            path="grammar")  # fmt: skip


def test_many_devices_of_several_kinds_wait_for_yes(
    parts: tuple[DeviceRegistry, GpioDriver],
) -> None:
    from edge_os.intent.targets import broad

    registry, gpio = parts
    command = pipeline(registry, gpio, Everything(), Clock())
    events: list[Event] = []
    report = command.handle_text("turn everything on", events.append)
    assert statuses(events) == ["needs-confirmation"] * len(EVERYTHING)
    assert gpio.state("light.desk_led") == "off"
    assert report.answer is not None and report.answer.startswith("Do you want me to")
    command.handle_text("yes", events.append)
    assert gpio.state("light.desk_led") == "on"
    assert gpio.state("switch.office_heater") == "on"
    # a question about all of them moves nothing; ten devices are not yet many
    assert not broad("HassGetState", EVERYTHING, registry)
    assert not broad("HassTurnOn", EVERYTHING[:10], registry)


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


class WallClock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_delayed_command_runs_through_the_spoken_path(
    parts: tuple[DeviceRegistry, GpioDriver], tmp_path: Path
) -> None:
    registry, gpio = parts
    config = load_config(EXAMPLE_HOME)
    wall = WallClock()
    timers = TimerTable.open(tmp_path, wall)
    engine = build_engine(registry, config.intent, config.site.area)
    command = CommandPipeline(
        registry, engine, Dispatcher(registry, gpio=gpio), area="living_room", timers=timers
    )
    events: list[Event] = []
    report = command.handle_text("turn on the office heater in 5 minutes", events.append)
    assert report.answer == "Okay, I will turn on the office heater in 5 minutes."
    assert statuses(events) == []
    assert gpio.state("switch.office_heater") == "off"
    wall.now += timedelta(minutes=5)
    ((job, late),) = timers.take_due().run
    fired = command.handle_timer(job, events.append, late_seconds=late)
    assert fired.text == "turn on the office heater"
    assert gpio.state("switch.office_heater") == "on"
    kinds = [e.type.value for e in events]
    assert kinds[kinds.index("timer-finished") :] == [
        "timer-finished",
        "intent",
        "action",
        "answer",
    ]
    finished = next(e.to_dict() for e in events if e.type.value == "timer-finished")
    assert finished["command"] == "turn on the office heater"
    assert finished["expired"] is False
    timers.close()


def test_a_plain_timer_says_it_is_done(parts: tuple[DeviceRegistry, GpioDriver]) -> None:
    registry, gpio = parts
    config = load_config(EXAMPLE_HOME)
    wall = WallClock()
    engine = build_engine(registry, config.intent, config.site.area)
    command = CommandPipeline(
        registry, engine, Dispatcher(registry, gpio=gpio), area="living_room", wall_clock=wall
    )
    events: list[Event] = []
    command.handle_text("set a timer named pizza for 1 minute", events.append)
    wall.now += timedelta(minutes=1)
    ((timer, _),) = command.timers.take_due().run
    report = command.handle_timer(timer, events.append)
    assert report.answer == "The pizza timer is done."
    assert events[-1].to_dict() == {
        "type": "answer",
        "text": "The pizza timer is done.",
        "first_audio_ms": None,
    }
    assert events[-2].to_dict()["type"] == "timer-finished"


def test_a_delayed_command_never_answers_a_question(
    parts: tuple[DeviceRegistry, GpioDriver],
) -> None:
    registry, gpio = parts
    clock = Clock()
    command = pipeline(registry, gpio, LlmGuess(), clock)
    events: list[Event] = []
    command.handle_text("it is freezing in the study", events.append)
    assert command.pending is not None
    command.handle_timer(Timer(7, 60, command="yes"), events.append)
    assert gpio.state("switch.office_heater") == "off"  # a job saying "yes" confirms nothing
    assert command.pending is not None  # and the question still stands for the person
    command.handle_text("yes", events.append)
    assert gpio.state("switch.office_heater") == "on"


def test_a_delayed_guess_of_the_fallback_still_asks(
    parts: tuple[DeviceRegistry, GpioDriver],
) -> None:
    registry, gpio = parts
    clock = Clock()
    command = pipeline(registry, gpio, LlmGuess(), clock)
    events: list[Event] = []
    report = command.handle_timer(Timer(8, 60, command="warm the study"), events.append)
    assert statuses(events) == ["needs-confirmation"]
    assert report.answer is not None and report.answer.startswith("Do you want me to")
    assert gpio.state("switch.office_heater") == "off"
    command.handle_text("yes", events.append, source="mqtt")  # not where it was asked
    assert gpio.state("switch.office_heater") == "off"
    command.stt = Heard("yes")
    command.handle_audio(SPOKEN, events.append)  # the question is answered by voice
    assert gpio.state("switch.office_heater") == "on"


def test_a_yes_counts_only_from_where_the_question_was_asked(
    parts: tuple[DeviceRegistry, GpioDriver],
) -> None:
    registry, gpio = parts
    command = pipeline(registry, gpio, LlmGuess(), Clock())
    command.stt = Heard("warm the study", "yes")
    events: list[Event] = []
    command.handle_audio(SPOKEN, events.append)
    assert statuses(events) == ["needs-confirmation"]
    for source in ("mqtt", "text"):  # anyone on the broker, or another way in
        command.handle_text("yes", events.append, source=source)
        assert gpio.state("switch.office_heater") == "off"
    command.handle_audio(SPOKEN, events.append)  # the spoken yes, still in time
    assert gpio.state("switch.office_heater") == "on"


def test_sensitive_actions_are_refused_over_mqtt(
    parts: tuple[DeviceRegistry, GpioDriver],
) -> None:
    registry, gpio = parts
    command = grammar_pipeline(registry, gpio)
    events: list[Event] = []
    report = command.handle_text("unlock the front door", events.append, source="mqtt")
    assert statuses(events) == ["failed"]
    assert command.pending is None  # nothing to confirm: it was refused, not asked
    assert "only by voice" in (report.outcomes[0].reason or "")
    command.handle_text("yes", events.append, source="mqtt")
    assert statuses(events) == ["failed"]  # and a "yes" over MQTT does nothing


def test_a_network_yes_needs_the_devices_pin(parts: tuple[DeviceRegistry, GpioDriver]) -> None:
    registry, gpio = parts
    heater = registry["switch.office_heater"].model_copy(
        update={
            "sensitive": True,
            "sensitive_sources": ["voice", "mqtt"],
            "confirm_pin": SecretStr("4711"),
        }
    )
    home = DeviceRegistry(
        registry.areas, [heater if e.id == heater.id else e for e in registry], registry.floors
    )
    config = load_config(EXAMPLE_HOME)
    engine = build_engine(home, config.intent, config.site.area)
    command = CommandPipeline(home, engine, Dispatcher(home, gpio=gpio), clock=Clock())
    events: list[Event] = []
    command.handle_text("turn on the office heater", events.append, source="mqtt")
    command.handle_text("yes", events.append, source="mqtt")  # no PIN: nothing done
    command.handle_text("turn on the office heater", events.append, source="mqtt")
    command.handle_text("yes 1234", events.append, source="mqtt")  # a wrong one: nothing
    assert gpio.state("switch.office_heater") == "off"
    command.handle_text("turn on the office heater", events.append, source="mqtt")
    command.handle_text("yes 4711", events.append, source="mqtt")
    assert statuses(events)[-1] == "done"
    assert gpio.state("switch.office_heater") == "on"
    # spoken, the same device needs only the yes
    command.handle_text("turn off the office heater", events.append, source="voice")
    command.handle_text("yes", events.append, source="voice")
    assert gpio.state("switch.office_heater") == "off"


def test_a_pin_is_digits(tmp_path: Path) -> None:
    from edge_os.config.loader import parse_config
    from edge_os.errors import EdgeOSError

    text = EXAMPLE_HOME.read_text(encoding="utf-8").replace(
        "  - id: lock.front_door\n", "  - id: lock.front_door\n    confirm_pin: four\n", 1
    )
    with pytest.raises(EdgeOSError) as raised:
        parse_config(text, "home.yaml", tmp_path)
    assert "a PIN is 4 to 12 digits" in str(raised.value)
    assert "four" not in str(raised.value)  # a secret is never echoed


class BiasGarbled:
    """SpeechToText whose first reading is garbled and whose further readings may not be;
    counts the further readings decoded."""

    def __init__(self, biased: str, *others: str) -> None:
        self.biased, self.readings, self.asked = biased, others, 0

    def others(self) -> Iterator[str]:
        for text in self.readings:
            self.asked += 1
            yield text

    def transcribe(self, audio: AudioChunk) -> Transcript:
        return Transcript(self.biased, "en", audio.seconds, 0.0, others=self.others)


def test_a_further_reading_is_taken_when_only_it_is_understood(
    parts: tuple[DeviceRegistry, GpioDriver],
) -> None:
    registry, gpio = parts
    command = grammar_pipeline(registry, gpio)
    command.stt = BiasGarbled("Tarn, Offi, Steeter.", "Turn on the office heater.")
    report = command.handle_audio(SPOKEN, lambda _event: None)
    assert report.text == "Turn on the office heater."
    assert gpio.state("switch.office_heater") == "on"
    # a biased reading that is understood is kept, and nothing is decoded again
    command.stt = kept = BiasGarbled("Turn off the office heater", "Turn on the office heater")
    report = command.handle_audio(SPOKEN, lambda _event: None)
    assert (report.text, kept.asked) == ("Turn off the office heater", 0)
    assert gpio.state("switch.office_heater") == "off"
    # neither understood: the biased reading stands
    command.stt = BiasGarbled("Blah, Flurb", "Blub blah")
    assert command.handle_audio(SPOKEN, lambda _event: None).text == "Blah, Flurb"
    # a further reading is taken when every further reading understood asks the same
    command.stt = beams = BiasGarbled(
        "Tarn, Offi, Steeter", "Tarn, Offi, Steeter.", "Tarn on, Offi, Steeter",
        "Turn on the office heater", "Switch on the office heater.", "Tarn on the ofice",
    )  # fmt: skip
    report = command.handle_audio(SPOKEN, lambda _event: None)
    assert (report.text, beams.asked) == ("Turn on the office heater", 5)
    assert gpio.state("switch.office_heater") == "on"
    # readings that disagree are no reading: on or off is not the ears' guess to make
    command.stt = BiasGarbled(
        "Tarn, Offi, Steeter", "Turn off the office heater", "Turn on the office heater"
    )
    report = command.handle_audio(SPOKEN, lambda _event: None)
    assert report.text == "Tarn, Offi, Steeter"
    assert gpio.state("switch.office_heater") == "on"
