"""Planning intents into declared actions, and the answers to questions and timers."""

from __future__ import annotations

from datetime import datetime, timedelta

from edge_os.devices.entity import Action
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.answer import TimerTable, answer, spoken_duration
from edge_os.intent.grammar import GrammarRecognizer
from edge_os.intent.plan import plan
from edge_os.pipeline.stages import IntentResult


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
    assert say("how much time is left") == "There is no timer running."
    assert say("set a timer for 1 hour and 30 minutes") == "Timer set for 1 hour and 30 minutes."
    clock.now += timedelta(minutes=20, seconds=15)
    assert say("how much time is left") == "Timer: 1 hour, 9 minutes and 45 seconds left."
    assert say("cancel the timer") == "Timer cancelled."
    assert say("cancel the timer") == "There is no timer running."
    say("set a 1 minute timer")
    clock.now += timedelta(minutes=2)
    assert timers.running() == []  # finished timers drop out
    assert say("turn on the desk light") is None


def test_state_answers(grammar: GrammarRecognizer, registry: DeviceRegistry) -> None:
    clock = FakeClock()
    result = grammar.recognize("what's the temperature in the bedroom")
    states = {"sensor.bedroom_temperature": "19.5"}
    assert answer(result, registry, clock, TimerTable(clock), states) == (
        "The bedroom temperature reads 19.5 degrees."
    )
    unknown = grammar.recognize("is the front door locked")
    assert "do not know" in str(answer(unknown, registry, clock, TimerTable(clock)))
    assert spoken_duration(61) == "1 minute and 1 second"
