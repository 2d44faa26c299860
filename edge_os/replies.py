"""Every sentence edge-os speaks, in one place: values in, text out.

The style is Home Assistant's English assist responses: short, plain, contractions ("I
couldn't reach the kitchen light."), and built from what truly happened, never from what
was asked: an action's outcome picks its sentence, so a queued, failed or unconfirmed
action is never reported as done, and a device that has not reported is said to be
unknown, never guessed. The decisions stay where they are made (the pipeline, the timer
table, the apps); what is said about them is here. Sections: understanding, actions,
questions back, time and date, timers, states, apps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from edge_os.devices.entity import Action, Domain, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.devices.states import ha_state, spoken_state
from edge_os.stages.outcome import ActionOutcome, OutcomeStatus, ParamValue
from edge_os.stages.protocols import IntentResult

# --- understanding -----------------------------------------------------------------------

NOT_UNDERSTOOD = "Sorry, I didn't understand."
NOTHING_TO_DO = "Sorry, I couldn't find a device for that."


# --- actions ---------------------------------------------------------------------------

_VERBS: dict[Action, tuple[str, str]] = {
    Action.TURN_ON: ("turn on {target}", "Turned on {target}"),
    Action.TURN_OFF: ("turn off {target}", "Turned off {target}"),
    Action.OPEN: ("open {target}", "Opened {target}"),
    Action.CLOSE: ("close {target}", "Closed {target}"),
    Action.STOP: ("stop {target}", "Stopped {target}"),
    Action.LOCK: ("lock {target}", "Locked {target}"),
    Action.UNLOCK: ("unlock {target}", "Unlocked {target}"),
    Action.PAUSE: ("pause {target}", "Paused {target}"),
    Action.RESUME: ("resume {target}", "Resumed {target}"),
    Action.SET_BRIGHTNESS: ("set {target} to {value}", "Set {target} to {value}"),
    Action.SET_COLOR: ("set {target} to {value}", "Set {target} to {value}"),
    Action.SET_COLOR_TEMP: ("set {target} to {value}", "Set {target} to {value}"),
    Action.SET_PERCENTAGE: ("set {target} to {value}", "Set {target} to {value}"),
    Action.SET_POSITION: ("set {target} to {value}", "Set {target} to {value}"),
    Action.SET_TEMPERATURE: ("set {target} to {value}", "Set {target} to {value}"),
    Action.SET_VOLUME: (
        "set the volume of {target} to {value}",
        "Set the volume of {target} to {value}",
    ),
    Action.VOLUME_UP: ("turn up {target}", "Turned up {target}"),
    Action.VOLUME_DOWN: ("turn down {target}", "Turned down {target}"),
    Action.NEXT: ("skip to the next track on {target}", "Skipped to the next track on {target}"),
    Action.PREVIOUS: ("go back a track on {target}", "Went back a track on {target}"),
    Action.MUTE: ("mute {target}", "Muted {target}"),
    Action.UNMUTE: ("unmute {target}", "Unmuted {target}"),
    Action.TOGGLE: ("toggle {target}", "Toggled {target}"),
    Action.START: ("start {target}", "Started {target}"),
    Action.RETURN_TO_BASE: ("send {target} back to its dock", "Sent {target} back to its dock"),
}
"""Per action: (infinitive after "I'll" / "to", past tense opening a sentence)."""

_VALUES: dict[Action, tuple[str, str]] = {
    Action.SET_BRIGHTNESS: ("brightness", "{} percent"),
    Action.SET_COLOR: ("color", "{}"),
    Action.SET_COLOR_TEMP: ("kelvin", "{} kelvin"),
    Action.SET_PERCENTAGE: ("percentage", "{} percent"),
    Action.SET_POSITION: ("position", "{} percent"),
    Action.SET_TEMPERATURE: ("temperature", "{} degrees"),
    Action.SET_VOLUME: ("volume", "{} percent"),
}
"""Per setting action: the parameter spoken and how."""

_PLURALS: dict[Domain, str] = {
    Domain.LIGHT: "lights",
    Domain.SWITCH: "switches",
    Domain.FAN: "fans",
    Domain.COVER: "covers",
    Domain.CLIMATE: "thermostats",
    Domain.LOCK: "locks",
    Domain.MEDIA_PLAYER: "media players",
    Domain.SENSOR: "sensors",
    Domain.BINARY_SENSOR: "sensors",
    Domain.SCENE: "scenes",
    Domain.SCRIPT: "scripts",
    Domain.VACUUM: "vacuums",
    Domain.VALVE: "valves",
}
_LISTED_MAX = 2
"""Up to this many targets are named; more are counted ("3 lights in the kitchen")."""
_ORDER = (
    OutcomeStatus.DONE,
    OutcomeStatus.QUEUED,
    OutcomeStatus.FAILED,
    OutcomeStatus.NEEDS_CONFIRMATION,
)


def answer(
    result: IntentResult, outcomes: Sequence[ActionOutcome], registry: DeviceRegistry
) -> str:
    """The reply to one command: "not understood", or :func:`reply` on its outcomes."""
    if not result.understood:
        return NOT_UNDERSTOOD
    return reply(outcomes, registry)


def reply(outcomes: Sequence[ActionOutcome], registry: DeviceRegistry) -> str:
    """One short spoken answer for ``outcomes``: done first, the question (if any) last."""
    if not outcomes:
        return NOTHING_TO_DO
    groups: dict[tuple[OutcomeStatus, Action, str, str], list[ActionOutcome]] = {}
    for outcome in outcomes:
        request = outcome.request
        key = (
            outcome.status,
            request.action,
            _value(request.action, request.params),
            _reason(outcome.reason) if outcome.status is OutcomeStatus.FAILED else "",
        )
        groups.setdefault(key, []).append(outcome)
    sentences: list[str] = []
    questions: list[str] = []
    for (status, action, value, reason), members in sorted(
        groups.items(), key=lambda item: _ORDER.index(item[0][0])
    ):
        target = _targets([m.request.entity_id for m in members], registry)
        infinitive, past = _VERBS[action]
        if status is OutcomeStatus.DONE:
            sentences.append(past.format(target=target, value=value) + ".")
        elif status is OutcomeStatus.QUEUED:
            todo = infinitive.format(target=target, value=value)
            sentences.append(f"I'll {todo} as soon as it can be reached.")
        elif status is OutcomeStatus.FAILED:
            sentences.append(
                f"I couldn't reach {target}: {reason}." if reason else f"I couldn't reach {target}."
            )
        else:
            questions.append(infinitive.format(target=target, value=value))
    if questions:
        sentences.append(f"Do you want me to {_join(questions)}?")
    return " ".join(_capitalize(sentence) for sentence in sentences)


def spoken_name(name: str) -> str:
    """A friendly name as said mid-sentence: "Kitchen light" -> "the kitchen light"."""
    words = [
        word if any(ch.isupper() for ch in word[1:]) else word.lower() for word in name.split()
    ]
    if words and words[0] in ("the", "my", "our"):
        return " ".join(words)
    return " ".join(["the", *words])


def _targets(entity_ids: list[str], registry: DeviceRegistry) -> str:
    entities = [registry.get(entity_id) for entity_id in entity_ids]
    names = [
        spoken_name(entity.name if entity else entity_id.partition(".")[2].replace("_", " "))
        for entity, entity_id in zip(entities, entity_ids, strict=True)
    ]
    if len(names) <= _LISTED_MAX:
        return _join(names)
    domains = {entity_id.partition(".")[0] for entity_id in entity_ids}
    noun = _PLURALS[Domain(domains.pop())] if len(domains) == 1 else "devices"
    areas = {entity.area if entity else None for entity in entities}
    area_id = areas.pop() if len(areas) == 1 else None
    area = registry.area(area_id) if area_id else None
    where = f" in {spoken_name(area.name)}" if area else ""
    return f"{len(names)} {noun}{where}"


def _value(action: Action, params: Mapping[str, ParamValue]) -> str:
    spec = _VALUES.get(action)
    if spec is None:
        return ""
    key, pattern = spec
    raw = params.get(key)
    if raw is None:
        return "the value asked for"
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return pattern.format(raw)


def _reason(reason: str | None) -> str:
    return (reason or "").strip().rstrip(".!").strip()


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _capitalize(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


# --- questions back ----------------------------------------------------------------------


def which_one(names: Sequence[str]) -> str:
    """Two or more devices fit: "Do you mean the kitchen light or the counter lights?"."""
    return f"Do you mean {', '.join(names[:-1])} or {names[-1]}?"


def level_unknown(names: Sequence[str]) -> str:
    """A relative change with no known starting level."""
    return f"I don't know what {' and '.join(names)} is set to yet."


# --- time and date -----------------------------------------------------------------------


def time_now(now: datetime) -> str:
    """ "It is 7:05 PM."."""
    return f"It is {now.strftime('%I:%M %p').lstrip('0')}."


def date_today(now: datetime) -> str:
    """ "Today is Sunday, November 29, 2026."."""
    return f"Today is {now.strftime('%A, %B')} {now.day}, {now.year}."


# --- timers ------------------------------------------------------------------------------

NO_TIMER = "There is no timer running."
NO_PAUSED_TIMER = "There is no paused timer."
TIMER_NOT_FOUND = "I couldn't find that timer."
HOW_LONG = "How long should the timer run?"
BY_HOW_MUCH = "By how much?"


def spoken_duration(seconds: float) -> str:
    """``5400`` -> "1 hour and 30 minutes"."""
    seconds = max(0, round(seconds))
    parts = []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    if not parts:
        return "0 seconds"
    return _join(parts)


def timer_label(command: str | None, name: str | None, area: str | None) -> str:
    """ "timer to turn off the lights", "pizza timer", "kitchen timer" or "timer"."""
    if command:
        return f"timer to {command}"
    if name:
        return f"{name} timer"
    return f"{area.lower()} timer" if area else "timer"


def timer_done(label: str) -> str:
    """A plain timer rang: "The pizza timer is done."."""
    return f"The {label} is done."


def timer_set(label: str, duration: str) -> str:
    """ "Pizza timer set for 10 minutes."."""
    return f"{_capitalize(label)} set for {duration}."


def delayed_command_set(command: str, duration: str) -> str:
    """ "Okay, I will turn off the lights in 10 minutes."."""
    return f"Okay, I will {command} in {duration}."


def delayed_command_not_understood(duration: str) -> str:
    """A delayed command that would not be understood is not stored."""
    return f"Sorry, I didn't understand what to do in {duration}."


def timers_cancelled(count: int) -> str:
    """ "3 timers cancelled.", "Timer cancelled." or that there was none."""
    if count > 1:
        return f"{count} timers cancelled."
    return "Timer cancelled." if count else NO_TIMER


def timer_changed(label: str, change: str) -> str:
    """ "Pizza timer cancelled.", "... paused.", "... resumed."."""
    return f"{_capitalize(label)} {change}."


def timer_adjusted(label: str, duration: str, *, added: bool) -> str:
    """ "Added 5 minutes to the pizza timer." / "Removed 5 minutes from the pizza timer."."""
    return f"Added {duration} to the {label}." if added else f"Removed {duration} from the {label}."


def timer_left(label: str, left: str, *, paused: bool) -> str:
    """ "Pizza timer: 4 minutes left." (or paused)."""
    return (
        f"{_capitalize(label)}: paused, {left} left."
        if paused
        else f"{_capitalize(label)}: {left} left."
    )


def which_timer(count: int) -> str:
    """Several timers fit the request."""
    return f"There are {count} timers; which one?"


# --- states ------------------------------------------------------------------------------

_NAMES_READ = 4
"""Up to this many names are read out; more are counted ("... and 3 more")."""


def _names(entities: Sequence[Entity]) -> str:
    names = sorted(e.name for e in entities)
    if len(names) > _NAMES_READ:
        return f"{', '.join(names[:3])} and {len(names) - 3} more"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def state_answer(
    result: IntentResult, registry: DeviceRegistry, reported: Mapping[str, str]
) -> str:
    """The spoken answer to a HassGetState / HassClimateGetTemperature question."""
    entities = [e for e in map(registry.get, result.targets) if e is not None]
    if not entities:
        return "I couldn't find that device."
    states = {e.id: ha_state(e, reported.get(e.id)) for e in entities}
    if result.intent == "HassClimateGetTemperature":
        return " ".join(
            f"The {e.name.lower()} reads {states[e.id]} degrees."
            if states[e.id] is not None
            else f"I don't know the temperature of the {e.name.lower()} yet."
            for e in entities
        )
    unknown = [e for e in entities if states[e.id] is None]
    wanted = result.slots.get("state")
    kind = result.response or ("one_yesno" if wanted is not None else "one")
    if wanted is None or kind == "one":
        return " ".join(
            f"The {e.name.lower()} is {spoken_state(e, states[e.id] or '')}."
            if states[e.id] is not None
            else f"I don't know the state of the {e.name.lower()} yet."
            for e in entities
        )
    known = [e for e in entities if states[e.id] is not None]
    matched = [e for e in known if states[e.id] == str(wanted)]
    unmatched = [e for e in known if states[e.id] != str(wanted)]
    said = spoken_state(entities[0], str(wanted))
    if not known:
        return f"I don't know the state of {_names(unknown)} yet."
    note = f" I don't know about {_names(unknown)} yet." if unknown else ""
    if kind == "how_many":
        return f"{len(matched)}.{note}"
    if kind == "which":
        return (f"{_names(matched)}." if matched else "Not any.") + note
    if kind == "any":
        return (f"Yes, {_names(matched)}." if matched else "No.") + note
    if kind == "all":
        if not unmatched:
            return "Yes." + note
        verb = "are" if len(unmatched) > 1 else "is"
        return f"No, {_names(unmatched)} {verb} not {said}.{note}"
    # one_yesno: one device (or several sharing a name)
    if len(known) == 1 and not unknown:
        entity = known[0]
        return "Yes." if matched else f"No, it is {spoken_state(entity, states[entity.id] or '')}."
    return (f"Yes, {_names(matched)}." if matched else "No.") + note


# --- apps --------------------------------------------------------------------------------


def app_failed(name: str) -> str:
    """An app whose step raised is turned off."""
    return f"Sorry, {name.replace('_', ' ')} failed, so I turned it off."
