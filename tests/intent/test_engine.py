"""The engine: grammar first, the fallback only when it does not match, the cache, confidence."""

from __future__ import annotations

from pathlib import Path

from edge_os.config.settings import IntentSettings
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.engine import IntentEngine
from edge_os.stages.protocols import IntentResult
from tests.conftest import REPO


class RecordingFallback:
    """An IntentRecognizer that answers one fixed result and records what it was asked."""

    def __init__(self, result: IntentResult) -> None:
        self.result = result
        self.asked: list[tuple[str, str | None]] = []

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        self.asked.append((text, area))
        return self.result


def test_fallback_only_when_grammar_fails(registry: DeviceRegistry) -> None:
    fallback = RecordingFallback(
        IntentResult("x", "HassTurnOn", {}, ("switch.coffee_machine",), 0.8, "llm")
    )
    engine = IntentEngine(registry, default_area="kitchen", fallback=fallback)
    assert engine.recognize("turn on the coffee machine").path == "grammar"
    assert fallback.asked == []
    result = engine.recognize("get the bean juice going")
    assert (result.path, result.intent) == ("llm", "HassTurnOn")
    assert fallback.asked == [("get the bean juice going", "kitchen")]


def test_cache_answers_repeats(registry: DeviceRegistry) -> None:
    engine = IntentEngine(registry, IntentSettings(cache_size=2), default_area="living_room")
    first = engine.recognize("Turn on the desk light")
    again = engine.recognize("turn on the desk light!")
    assert (first.path, again.path) == ("grammar", "cache")
    assert again.targets == first.targets
    assert engine.recognize("turn on the desk light", area="office").path == "grammar"
    engine.recognize("what time is it")
    engine.recognize("never mind")
    assert engine.recognize("Turn on the desk light").path == "grammar"  # evicted (LRU of 2)
    assert not engine.recognize("no such thing").understood
    assert engine.recognize("no such thing").path == "grammar"  # misses are not cached


def test_a_guess_is_never_served_from_the_cache(registry: DeviceRegistry) -> None:
    # a repeated LLM (or learned) reading must stay a guess: "cache" would skip the question
    fallback = RecordingFallback(
        IntentResult("x", "HassTurnOn", {}, ("switch.coffee_machine",), 0.6, "llm")
    )
    engine = IntentEngine(registry, IntentSettings(cache_size=8), fallback=fallback)
    assert engine.recognize("get the bean juice going").path == "llm"
    assert engine.recognize("get the bean juice going").path == "llm"
    assert len(fallback.asked) == 2


def test_low_confidence_counts_as_not_understood(registry: DeviceRegistry) -> None:
    fallback = RecordingFallback(IntentResult("x", "HassTurnOn", {}, ("light.desk_led",), 0.2))
    engine = IntentEngine(registry, IntentSettings(min_confidence=0.5), fallback=fallback)
    assert not engine.recognize("mumble mumble").understood


def test_a_request_said_with_its_reason_is_read_by_the_grammar(registry: DeviceRegistry) -> None:
    engine = IntentEngine(registry, default_area="living_room")
    result = engine.recognize("wake me up in twenty minutes i'm just having a nap")
    assert (result.path, result.intent, result.slots.get("minutes")) == (
        "grammar", "HassStartTimer", 20,
    )  # fmt: skip
    assert result.text == "wake me up in twenty minutes i'm just having a nap"
    # a reason that asks for something too is no reason: neither is read alone
    assert not engine.recognize("turn on the desk light, it's late so start the coffee").understood


def test_timers_said_plainly(registry: DeviceRegistry) -> None:
    engine = IntentEngine(registry, default_area="living_room")
    for text, slots in (
        ("timer three minutes", {"minutes": 3}),
        ("could you time ninety seconds for me", {"seconds": 90}),
        ("set a timer for twelve minutes for the pasta", {"minutes": 12, "name": "pasta"}),
        ("wake me in an hour and a half", {"hours": 1, "minutes": 30}),
        ("remind me in ten minutes to check the oven", {"minutes": 10, "name": "check the oven"}),
    ):
        result = engine.recognize(text)
        assert (result.intent, dict(result.slots)) == ("HassStartTimer", slots), text


def test_a_delayed_command_for_a_length_said_in_words(registry: DeviceRegistry) -> None:
    engine = IntentEngine(registry, default_area="living_room")
    for text, command, minutes in (
        ("turn off the lights in half an hour", "turn off the lights", 30),
        ("in half an hour turn off the heater", "turn off the heater", 30),
        ("switch the coffee machine off in a quarter of an hour",
         "switch the coffee machine off", 15),
    ):  # fmt: skip
        result = engine.recognize(text)
        assert (result.intent, dict(result.slots)) == (
            "HassStartTimer",
            {"conversation_command": command, "minutes": minutes},
        ), text


def _home(tmp_path: Path, yaml: str) -> DeviceRegistry:
    """A registry from a home written inline."""
    from edge_os.config.loader import parse_config

    return DeviceRegistry.from_config(parse_config(yaml, "home.yaml", tmp_path))


def test_the_lamp_of_a_room_is_the_light_called_lamp(tmp_path: Path) -> None:
    home = _home(
        tmp_path,
        """
areas: [{id: den, name: Den}, {id: hall, name: Hall}]
entities:
  - {id: light.den_ceiling, name: Ceiling light, area: den, gpio: {pin: 5, kind: LED}}
  - {id: light.den_lamp, name: Reading lamp, area: den, gpio: {pin: 6, kind: LED}}
  - {id: light.hall_a, name: Hall light, area: hall, gpio: {pin: 7, kind: LED}}
  - {id: light.hall_b, name: Hall spot, area: hall, gpio: {pin: 8, kind: LED}}
""",
    )
    engine = IntentEngine(home, default_area="den")
    # Home Assistant's grammar reads "lamp" as any light: both would go off
    lamp = engine.recognize("turn off the lamp")
    assert (lamp.intent, lamp.targets, lamp.slots) == (
        "HassTurnOff", ("light.den_lamp",), {"name": "Reading lamp"},
    )  # fmt: skip
    assert engine.recognize("turn off the lights").targets == (
        "light.den_ceiling", "light.den_lamp",
    )  # fmt: skip
    # where the home calls a light a lamp, a room without one has no "lamp": its ceiling
    # lights are not turned off for it
    assert not engine.recognize("turn off the lamp in the hall").understood
    # a home that calls no light a lamp keeps Home Assistant's reading: the room's lights
    no_lamps = _home(
        tmp_path,
        """
areas: [{id: hall, name: Hall}]
entities:
  - {id: light.hall_a, name: Hall light, area: hall, gpio: {pin: 7, kind: LED}}
  - {id: light.hall_b, name: Hall spot, area: hall, gpio: {pin: 8, kind: LED}}
""",
    )
    hall = IntentEngine(no_lamps)
    assert set(hall.recognize("turn off the lamp in the hall").targets) == {
        "light.hall_a", "light.hall_b",
    }  # fmt: skip


def test_the_room_a_reason_names_is_the_request_s(tmp_path: Path) -> None:
    home = _home(
        tmp_path,
        """
areas: [{id: den, name: Den}, {id: hall, name: Hall}, {id: loft, name: Loft}]
entities:
  - {id: light.den, name: Den light, area: den, gpio: {pin: 5, kind: LED}}
  - {id: light.hall, name: Hall light, area: hall, gpio: {pin: 7, kind: LED}}
""",
    )
    engine = IntentEngine(home, default_area="den")
    # the grammar reads the request alone; the room is the reason's, not the den it is said in
    result = engine.recognize("it's dark in the hall, turn on the lights")
    assert (result.intent, result.targets) == ("HassTurnOn", ("light.hall",)), result
    # two rooms in the reasons: which one is not guessed
    assert not engine.recognize("it's dark in the hall and the loft, turn on the lights").targets


def test_a_clause_that_starts_with_its_own_verb_borrows_none(tmp_path: Path) -> None:
    home = _home(
        tmp_path,
        """
areas: [{id: den, name: Den}, {id: hall, name: Hall}]
entities:
  - {id: light.den, name: Den light, area: den, gpio: {pin: 5, kind: LED}}
  - {id: lock.back_door, name: Back Door Lock, area: hall,
     mqtt: {command_topic: home/lock/set}}
""",
    )
    from edge_os.intent.compound import only_names
    from edge_os.intent.mentions import MentionFinder

    finder = MentionFinder(home)
    # "lock the back door" says only words of the lock's name ("Back Door Lock"): it had
    # borrowed "turn off" from "turn off the lights and ...", which unlocks the lock
    assert not only_names(["lock", "the", "back", "door"], finder)
    assert only_names(["the", "back", "door", "lock"], finder)


def test_a_repaired_name_keeps_its_numbers() -> None:
    from edge_os.config.loader import load_config

    home = REPO / "bench" / "data" / "natural" / "home.yaml"
    engine = IntentEngine(DeviceRegistry.from_config(load_config(home)), default_area="hallway")
    assert engine.recognize("start the bedroom one vacuum").targets == ("vacuum.bedroom1",)
    # a near spelling is repaired; another number is another device
    assert not engine.recognize("start the bedroom three vacuum").targets


def test_another_persons_name_is_no_mishearing_of_a_name_in_the_home(tmp_path: Path) -> None:
    home = _home(
        tmp_path,
        """
areas: [{id: den, name: Den}]
entities:
  - {id: light.janets_lamp, name: "Janet's lamp", area: den, gpio: {pin: 5, kind: LED}}
  - {id: light.den_kitchen, name: Kitchen light, area: den, gpio: {pin: 6, kind: LED}}
""",
    )
    engine = IntentEngine(home, default_area="den")
    assert engine.recognize("switch off janet's lamp").targets == ("light.janets_lamp",)
    assert not engine.recognize("switch off jane's lamp").understood  # Jane is someone else
    assert engine.recognize("turn on the kitchen lite").targets == ("light.den_kitchen",)


def test_all_the_lights_off_said_is_a_request_asked_is_a_question(
    registry: DeviceRegistry,
) -> None:
    # Home Assistant's "[are] all the lights off" makes the question word optional
    engine = IntentEngine(registry, IntentSettings(cache_size=0), default_area="living_room")
    lights = sorted(e.id for e in registry if e.id.startswith("light."))
    for said in ("all the lights off", "all lights off jarvis", "every light off"):
        result = engine.recognize(said)
        assert (result.intent, sorted(result.targets)) == ("HassTurnOff", lights), said
    for asked in ("all the lights off?", "are all the lights off"):
        result = engine.recognize(asked)
        assert (result.intent, result.slots.get("state")) == ("HassGetState", "off"), asked
    # a lock's state said is still a question: nothing is locked or unlocked on it
    assert engine.recognize("all the doors locked").intent == "HassGetState"


def test_the_big_light_is_the_rooms_main_light(registry: DeviceRegistry) -> None:
    engine = IntentEngine(registry, IntentSettings(cache_size=0), default_area="living_room")
    # the kitchen's "Kitchen light" is also called its ceiling light
    result = engine.recognize("turn off the big light in the kitchen")
    assert (result.intent, result.targets, result.text) == (
        "HassTurnOff",
        ("light.kitchen_ceiling",),
        "turn off the big light in the kitchen",
    )
    # a room with no light called ceiling: its light, as "the light" of a room reads
    result = engine.recognize("turn on the main light in the bedroom")
    assert (result.intent, result.targets) == ("HassTurnOn", ("light.bedroom_lamp",))
