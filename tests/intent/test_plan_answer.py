"""Planning intents into declared actions, and the answers to questions and timers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from edge_os.devices.entity import Action
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.answer import TimerTable, answer
from edge_os.intent.grammar import GrammarRecognizer
from edge_os.intent.plan import plan
from edge_os.replies import spoken_duration
from edge_os.stages.protocols import IntentResult


def _plan(
    grammar: GrammarRecognizer, registry: DeviceRegistry, text: str
) -> list[tuple[str, str, dict[str, object]]]:
    return [
        (r.entity_id, r.action.value, dict(r.params))
        for r in plan(grammar.recognize(text), registry)
    ]


def test_turn_on_maps_per_domain(grammar: GrammarRecognizer, registry: DeviceRegistry) -> None:
    assert _plan(grammar, registry, "turn on the desk light") == [("light.desk_led", "turn_on", {})]
    assert _plan(grammar, registry, "lock the front door") == [("lock.front_door", "lock", {})]
    assert _plan(grammar, registry, "unlock the front door") == [("lock.front_door", "unlock", {})]
    assert _plan(grammar, registry, "close the blinds") == [
        ("cover.living_room_blinds", "close", {})
    ]


def test_values_become_params(grammar: GrammarRecognizer, registry: DeviceRegistry) -> None:
    assert _plan(grammar, registry, "set the kitchen light to 40 percent") == [
        ("light.kitchen_ceiling", "set_brightness", {"brightness": 40})
    ]
    assert _plan(grammar, registry, "make the floor lamp green") == [
        ("light.living_room_lamp", "set_color", {"color": "green"})
    ]
    assert _plan(grammar, registry, "set the kitchen light to 3000 kelvin") == [
        ("light.kitchen_ceiling", "set_color_temp", {"kelvin": 3000})
    ]
    assert _plan(grammar, registry, "set the volume to 30") == [
        ("media_player.living_room_speaker", "set_volume", {"volume": 30})
    ]
    assert _plan(grammar, registry, "set the heating to 19 degrees") == [
        ("climate.living_room_thermostat", "set_temperature", {"temperature": 19})
    ]


def test_questions_and_timers_move_nothing(
    grammar: GrammarRecognizer, registry: DeviceRegistry
) -> None:
    for text in ("is the front door locked", "what time is it", "set a timer for 5 minutes"):
        result = grammar.recognize(text)
        assert result.understood
        assert plan(result, registry) == []


def test_plan_drops_what_a_faulty_recogniser_invents(registry: DeviceRegistry) -> None:
    invented = IntentResult(
        "x", "HassLightSet", {"color": "red"}, ("light.kitchen_counter", "light.nope")
    )
    assert plan(invented, registry) == []
    assert plan(IntentResult("x", None), registry) == []
    mixed = IntentResult("x", "HassTurnOn", {}, ("lock.front_door", "sensor.bedroom_temperature"))
    assert [(r.entity_id, r.action) for r in plan(mixed, registry)] == [
        ("lock.front_door", Action.LOCK)
    ]


class FakeClock:
    """An injectable clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 15, 5)

    def __call__(self) -> datetime:
        return self.now


def test_time_date_and_timers(grammar: GrammarRecognizer, registry: DeviceRegistry) -> None:
    clock = FakeClock()
    timers = TimerTable(clock)

    def say(text: str) -> str | None:
        return answer(grammar.recognize(text), registry, clock, timers)

    assert say("what time is it") == "It is 03:05 PM.".replace("03", "3")
    assert say("what's the date") == "Today is Monday, November 23, 2026."
    assert say("how much time is left on my timer") == "There is no timer running."
    assert say("set a timer for 1 hour and 30 minutes") == "Timer set for 1 hour and 30 minutes."
    clock.now += timedelta(minutes=20, seconds=15)
    assert say("timer status") == "Timer: 1 hour, 9 minutes and 45 seconds left."
    assert say("cancel the timer") == "Timer cancelled."
    assert say("cancel the timer") == "There is no timer running."
    say("set a 1 minute timer")
    clock.now += timedelta(minutes=2)
    assert timers.running() == []  # finished timers are no longer listed
    assert say("turn on the desk light") is None


class Home:
    """Sentences said to one timer table, from the living room unless told otherwise."""

    def __init__(self, grammar: GrammarRecognizer, registry: DeviceRegistry) -> None:
        self.grammar = grammar
        self.registry = registry
        self.clock = FakeClock()
        self.timers = TimerTable(self.clock)

    def say(self, text: str, area: str = "living_room") -> str | None:
        result = self.grammar.recognize(text)
        assert result.intent is not None, text
        return answer(
            result,
            self.registry,
            self.clock,
            self.timers,
            area=area,
            understands=lambda command: self.grammar.recognize(command).understood,
        )

    def wait(self, **delta: float) -> None:
        self.clock.now += timedelta(**delta)


@pytest.fixture
def house(grammar: GrammarRecognizer, registry: DeviceRegistry) -> Home:
    return Home(grammar, registry)


def test_named_timers_pause_resume_and_change(house: Home) -> None:
    assert house.say("set a timer named pizza for 5 minutes") == "Pizza timer set for 5 minutes."
    assert house.say("set a 10 minute timer called tea") == "Tea timer set for 10 minutes."
    house.wait(minutes=1)
    assert house.say("how much time is left on the pizza timer") == "Pizza timer: 4 minutes left."
    assert house.say("timer status") == "Pizza timer: 4 minutes left. Tea timer: 9 minutes left."
    # two timers and nothing said about which: ask, do not guess
    assert house.say("pause the timer") == "There are 2 timers; which one?"
    assert house.say("pause the pizza timer") == "Pizza timer paused."
    house.wait(minutes=30)  # a paused timer does not run down
    assert house.say("how much time is left on the pizza timer") == (
        "Pizza timer: paused, 4 minutes left."
    )
    assert house.say("pause the pizza timer") == "I couldn't find that timer."
    assert house.say("resume the tea timer") == "There is no paused timer."
    assert house.say("resume the pizza timer") == "Pizza timer resumed."
    assert house.say("add 5 minutes to the pizza timer") == "Added 5 minutes to the pizza timer."
    assert house.say("remove 1 minute from the pizza timer") == (
        "Removed 1 minute from the pizza timer."
    )
    assert house.say("how much time is left on the pizza timer") == "Pizza timer: 8 minutes left."
    assert house.say("cancel the pizza timer") == "Pizza timer cancelled."
    assert house.say("cancel the pizza timer") == "There is no timer running."  # tea ran out


def test_timers_by_duration_and_area(house: Home) -> None:
    house.say("set a timer for 5 minutes")
    house.say("set a timer for 10 minutes", area="kitchen")  # said to the kitchen satellite
    assert house.say("add 2 minutes to my 5 minute timer") == "Added 2 minutes to the timer."
    assert house.say("timer status") == "Timer: 7 minutes left. Kitchen timer: 10 minutes left."
    assert house.say("cancel the bedroom timer") == "I couldn't find that timer."
    assert house.say("cancel the kitchen timer") == "Kitchen timer cancelled."
    assert house.say("cancel the 5 minute timer") == "Timer cancelled."
    house.say("set a 30 second timer")
    house.say("set a timer for 1 and a half hours")
    assert house.say("cancel all the timers") == "2 timers cancelled."
    empty = IntentResult("set a timer", "HassStartTimer", {"minutes": 0})
    assert answer(empty, house.registry, house.clock, house.timers) == (
        "How long should the timer run?"
    )


def test_delayed_commands_are_timers(house: Home) -> None:
    assert house.say("turn off the lights in 5 minutes") == (
        "Okay, I will turn off the lights in 5 minutes."
    )
    house.say("set a timer named pizza for 10 minutes")
    house.wait(seconds=60)
    assert house.say("timer status") == (
        "Timer to turn off the lights: 4 minutes left. Pizza timer: 9 minutes left."
    )
    (job,) = [t for t, _ in house.timers.running() if t.command]
    assert (job.command, job.area, job.seconds) == ("turn off the lights", "living_room", 300)
    assert house.say("cancel the lights timer") == "Timer to turn off the lights cancelled."
    house.say("in 10 minutes turn off the coffee machine")
    assert house.say("how much time is left on the coffee machine timer") == (
        "Timer to turn off the coffee machine: 10 minutes left."
    )
    assert house.say("cancel all timers") == "2 timers cancelled."
    assert house.timers.running() == []


def test_a_delayed_command_not_understood_is_not_stored(house: Home) -> None:
    house.grammar.recognize("turn off the lights in 5 minutes")
    result = IntentResult(
        "frobnicate the moon in 5 minutes",
        "HassStartTimer",
        {"conversation_command": "frobnicate the moon", "minutes": 5},
    )
    spoken = answer(
        result,
        house.registry,
        house.clock,
        house.timers,
        understands=lambda command: house.grammar.recognize(command).understood,
    )
    assert spoken == "Sorry, I didn't understand what to do in 5 minutes."
    assert house.timers.running() == []


def test_state_answers(grammar: GrammarRecognizer, registry: DeviceRegistry) -> None:
    clock = FakeClock()
    result = grammar.recognize("what's the temperature in the bedroom")
    states = {"sensor.bedroom_temperature": "19.5"}
    assert answer(result, registry, clock, TimerTable(clock), states) == (
        "The bedroom temperature reads 19.5 degrees."
    )
    unknown = grammar.recognize("is the front door locked")
    assert "don't know" in str(answer(unknown, registry, clock, TimerTable(clock)))
    assert spoken_duration(61) == "1 minute and 1 second"


_HEAT = ("HassClimateSetTemperature", "temperature_step", "climate.living_room_thermostat")
_LIGHT = ("HassLightSet", "brightness_step", "light.desk_led")


@pytest.mark.parametrize(
    ("what", "step", "want"),
    [
        (_HEAT, "up", ("set_temperature", {"temperature": 22.0})),
        (_HEAT, -2, ("set_temperature", {"temperature": 19.0})),
        (_HEAT, 3, ("set_temperature", {"temperature": 24.0})),
        (_LIGHT, "down", ("set_brightness", {"brightness": 1})),
        (_LIGHT, 20, ("set_brightness", {"brightness": 41})),
        (_LIGHT, -30, ("set_brightness", {"brightness": 1})),
    ],
)
def test_a_step_from_the_level_the_device_last_reported(
    registry: DeviceRegistry,
    what: tuple[str, str, str],
    step: str | int,
    want: tuple[str, dict[str, object]],
) -> None:
    """ "up" / "down" is one step; a signed number is the step said ("down two degrees")."""
    intent, slot, target = what
    result = IntentResult("a step", intent, {slot: step}, (target,), 1.0, "model")
    requests = plan(result, registry, lambda _entity, _what: 21.0)
    assert [(r.action.value, dict(r.params)) for r in requests] == [want]
