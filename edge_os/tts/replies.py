"""What edge-os says after acting: built from what truly happened, never from what was asked.

:func:`reply` is pure: outcomes in, one short answer out, in the style of Home Assistant's
assist ("Turned on the kitchen light."). Each outcome's status picks the sentence, so a
queued, failed or unconfirmed action is never reported as done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from edge_os.devices.entity import Action, Domain
from edge_os.devices.registry import DeviceRegistry
from edge_os.stages.outcome import ActionOutcome, OutcomeStatus, ParamValue
from edge_os.stages.protocols import IntentResult

NOT_UNDERSTOOD = "Sorry, I didn't understand."
NOTHING_TO_DO = "Sorry, I couldn't find a device for that."

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
