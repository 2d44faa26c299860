"""Intent to device actions: only actions the targeted entities declare, nothing else."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from edge_os.devices.entity import Action, Domain, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.stages.outcome import ActionRequest
from edge_os.stages.protocols import IntentResult, SlotValue

_LOGGER = logging.getLogger(__name__)

TIMER_INTENTS = frozenset(
    {
        "HassStartTimer",
        "HassCancelTimer",
        "HassCancelAllTimers",
        "HassIncreaseTimer",
        "HassDecreaseTimer",
        "HassPauseTimer",
        "HassUnpauseTimer",
        "HassTimerStatus",
    }
)
"""The timer family: answered from the timer table (a delayed command runs later)."""
QUERY_INTENTS = TIMER_INTENTS | {
    "HassGetState",
    "HassClimateGetTemperature",
    "HassGetCurrentTime",
    "HassGetCurrentDate",
    "HassNevermind",
}
"""Intents answered in words; they never move a device."""

_SIMPLE: dict[str, Action] = {
    "HassMediaPause": Action.PAUSE,
    "HassMediaUnpause": Action.RESUME,
    "HassMediaNext": Action.NEXT,
    "HassMediaPrevious": Action.PREVIOUS,
    "HassMediaPlayerMute": Action.MUTE,
    "HassMediaPlayerUnmute": Action.UNMUTE,
    "HassToggle": Action.TOGGLE,
    "HassVacuumStart": Action.START,
    "HassVacuumReturnToBase": Action.RETURN_TO_BASE,
}
_VALUE: dict[str, tuple[str, Action, str]] = {
    "HassSetPosition": ("position", Action.SET_POSITION, "position"),
    "HassClimateSetTemperature": ("temperature", Action.SET_TEMPERATURE, "temperature"),
    "HassFanSetSpeed": ("percentage", Action.SET_PERCENTAGE, "percentage"),
    "HassSetVolume": ("volume_level", Action.SET_VOLUME, "volume"),
}
"""intent -> (slot, action, action parameter)."""
SAFE_SETPOINT_CELSIUS = (5.0, 35.0)
"""Thermostat set-points outside this range are refused (a misheard "90" is not a wish)."""
BRIGHTNESS_STEP = 20
"""Percent of brightness one "brighter" or "dimmer" moves a light."""
TEMPERATURE_STEP = 1.0
"""Degrees one "warmer", "cooler" or "I'm cold" moves a thermostat's set point."""
UNKNOWN_BRIGHTNESS = 50.0
"""Brightness assumed for a light that is on but has not said how bright (HA's middle)."""

Levels = Callable[[str, str], float | None]
"""``(entity_id, "brightness" | "temperature")`` -> the level it last reported or was set to."""


def _no_levels(_entity_id: str, _what: str) -> float | None:
    return None


def _nominal_levels(_entity_id: str, what: str) -> float | None:
    """Levels for checking what an entity can do (not what it will be set to)."""
    return 21.0 if what == "temperature" else UNKNOWN_BRIGHTNESS


def on_off_action(entity: Entity, on: bool) -> Action:
    """HassTurnOn/Off for this entity: lock/unlock for locks, open/close for covers."""
    if entity.domain is Domain.LOCK:
        return Action.LOCK if on else Action.UNLOCK
    if entity.domain in {Domain.COVER, Domain.VALVE}:
        return Action.OPEN if on else Action.CLOSE
    if entity.domain is Domain.VACUUM:
        return Action.START if on else Action.RETURN_TO_BASE
    return Action.TURN_ON if on else Action.TURN_OFF


def _wanted(
    intent: str, entity: Entity, slots: Mapping[str, SlotValue], levels: Levels = _no_levels
) -> list[ActionRequest]:
    if intent in {"HassTurnOn", "HassTurnOff"}:
        return [ActionRequest(entity.id, on_off_action(entity, intent == "HassTurnOn"))]
    if intent in _SIMPLE:
        return [ActionRequest(entity.id, _SIMPLE[intent])]
    if intent == "HassSetVolumeRelative":
        return _volume_step(entity, slots.get("volume_step"))
    if intent == "HassClimateSetTemperature" and "temperature_step" in slots:
        return _temperature_step(entity, slots["temperature_step"], levels)
    if intent in _VALUE:
        slot, action, param = _VALUE[intent]
        value = _number(slots.get(slot))
        if value is None:
            return []
        if action is Action.SET_TEMPERATURE and not (
            SAFE_SETPOINT_CELSIUS[0] <= value <= SAFE_SETPOINT_CELSIUS[1]
        ):
            return []
        return [ActionRequest(entity.id, action, {param: value})]
    if intent == "HassLightSet":
        requests = _brightness_step(entity, slots.get("brightness_step"), levels)
        if (brightness := _number(slots.get("brightness"))) is not None:
            requests.append(
                ActionRequest(entity.id, Action.SET_BRIGHTNESS, {"brightness": brightness})
            )
        if isinstance(color := slots.get("color"), str):
            requests.append(ActionRequest(entity.id, Action.SET_COLOR, {"color": color}))
        if (kelvin := _number(slots.get("temperature"))) is not None:
            requests.append(ActionRequest(entity.id, Action.SET_COLOR_TEMP, {"kelvin": kelvin}))
        return requests
    return []


def _brightness_step(entity: Entity, step: object, levels: Levels) -> list[ActionRequest]:
    """ "brighter" / "dimmer": a step from the light's known brightness (off counts as 0);
    a signed number is the step in percent ("up by twenty percent": 20)."""
    amount = _number(step)
    if step not in {"up", "down"} and not amount:
        return []
    level = levels(entity.id, "brightness")
    current = UNKNOWN_BRIGHTNESS if level is None else level
    change = amount or (BRIGHTNESS_STEP if step == "up" else -BRIGHTNESS_STEP)
    target = min(100, max(1, round(current + change)))
    return [ActionRequest(entity.id, Action.SET_BRIGHTNESS, {"brightness": target})]


def _temperature_step(entity: Entity, step: object, levels: Levels) -> list[ActionRequest]:
    """ "warmer" / "I'm cold": one step from the set point the thermostat last reported or
    was given, or the degrees said ("down two degrees": -2); nothing when the set point is
    unknown (it is never guessed)."""
    current = levels(entity.id, "temperature")
    amount = _number(step)  # "down two degrees": -2
    if (step not in {"up", "down"} and not amount) or current is None:
        return []
    change = amount or (TEMPERATURE_STEP if step == "up" else -TEMPERATURE_STEP)
    low, high = SAFE_SETPOINT_CELSIUS
    target = min(high, max(low, current + change))
    return [ActionRequest(entity.id, Action.SET_TEMPERATURE, {"temperature": target})]


def _volume_step(entity: Entity, step: object) -> list[ActionRequest]:
    """ "volume up" / "down" (a step of 10), or a signed number of percent."""
    if step == "up":
        return [ActionRequest(entity.id, Action.VOLUME_UP, {"step": 10})]
    if step == "down":
        return [ActionRequest(entity.id, Action.VOLUME_DOWN, {"step": 10})]
    amount = _number(step)
    if amount is None or amount == 0:
        return []
    action = Action.VOLUME_UP if amount > 0 else Action.VOLUME_DOWN
    return [ActionRequest(entity.id, action, {"step": abs(amount)})]


def _number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def carries(intent: str, entity: Entity, slots: Mapping[str, SlotValue]) -> bool:
    """Whether ``entity`` declares every action ``intent`` would send it (and there is one)."""
    wanted = _wanted(intent, entity, slots, _nominal_levels)
    return bool(wanted) and all(request.action in entity.actions for request in wanted)


def plan(
    result: IntentResult, registry: DeviceRegistry, levels: Levels | None = None
) -> list[ActionRequest]:
    """The device actions ``result`` asks for; questions, timers and not-understood give none.

    ``levels`` gives the brightness or set point a relative change ("brighter") starts from.

    Every request names an entity of ``registry`` and an action that entity declares;
    anything else (possible only from a faulty recogniser) is dropped and logged.
    """
    if result.intent is None or result.intent in QUERY_INTENTS:
        return []
    slots = result.slots
    requests: list[ActionRequest] = []
    for entity_id in dict.fromkeys(result.targets):
        entity = registry.get(entity_id)
        if entity is None:
            _LOGGER.warning("intent names unknown entity %s; dropped", entity_id)
            continue
        for request in _wanted(result.intent, entity, slots, levels or _no_levels):
            if request.action in entity.actions:
                requests.append(request)
            else:
                _LOGGER.warning("%s does not declare %s; dropped", entity_id, request.action)
    return requests
