"""The output language of the intent LLM: every string it may produce, derived from the registry.

One output is ``<device>: <word>`` or ``<device>: <word> <value>`` (``desk light:
brightness 30``, the device by one of its spoken names), or ``unknown``. The device comes
first and by name because a small model copies names from the sentence far better than it
picks ids or abstract intent names. The set is finite and enumerated here from the
registry, so the constrained decoder can only ever produce an intent that applies to an
entity that exists, with a slot value of the right type and range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from edge_os.devices.entity import Action, Capability, Domain, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.stages.protocols import SlotValue

UNKNOWN = "unknown"
"""What the model says when the sentence is not a command for this home."""

PERCENT_VALUES = tuple(str(value) for value in range(101))
TEMPERATURE_VALUES = tuple(
    f"{half / 2:g}"
    for half in range(10, 71)  # 5 to 35 degrees in half steps
)
COLOR_VALUES = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "white")


@dataclass(frozen=True)
class SlotSpec:
    """A slot an intent takes, with every value it may have (as written in the output)."""

    name: str
    values: tuple[str, ...]
    numeric: bool = True

    def parse(self, text: str) -> SlotValue:
        """The typed value of ``text``: int or float for numbers, else the string."""
        if text not in self.values:
            raise ValueError(f"{text!r} is not a value of {self.name}")
        if not self.numeric:
            return text
        number = float(text)
        return int(number) if number.is_integer() else number


BRIGHTNESS = SlotSpec("brightness", PERCENT_VALUES)
COLOR = SlotSpec("color", COLOR_VALUES, numeric=False)
POSITION = SlotSpec("position", PERCENT_VALUES)
PERCENTAGE = SlotSpec("percentage", PERCENT_VALUES)
VOLUME = SlotSpec("volume_level", PERCENT_VALUES)
TEMPERATURE = SlotSpec("temperature", TEMPERATURE_VALUES)


def _has(*actions: Action) -> Callable[[Entity], bool]:
    return lambda entity: any(action in entity.actions for action in actions)


def _reads_temperature(entity: Entity) -> bool:
    if entity.domain is Domain.CLIMATE:
        return Capability.TEMPERATURE in entity.capabilities
    return entity.domain is Domain.SENSOR and entity.device_class == "temperature"


@dataclass(frozen=True)
class IntentRule:
    """An intent, its word in the output, the entities it applies to and its slot (if any)."""

    name: str
    """Home Assistant intent name."""
    word: str
    """How the output says it, after the device name (``on``, ``brightness``, ...)."""
    applies: Callable[[Entity], bool]
    slot: SlotSpec | None = None
    """The slot the word's value fills; None for intents without a value."""


def _light_with(capability: Capability) -> Callable[[Entity], bool]:
    return lambda entity: entity.domain is Domain.LIGHT and capability in entity.capabilities


RULES: tuple[IntentRule, ...] = (
    IntentRule("HassTurnOn", "on", _has(Action.TURN_ON, Action.OPEN, Action.LOCK)),
    IntentRule("HassTurnOff", "off", _has(Action.TURN_OFF, Action.CLOSE, Action.UNLOCK)),
    IntentRule("HassLightSet", "brightness", _light_with(Capability.BRIGHTNESS), BRIGHTNESS),
    IntentRule("HassLightSet", "color", _light_with(Capability.COLOR), COLOR),
    IntentRule(
        "HassClimateSetTemperature", "temperature", _has(Action.SET_TEMPERATURE), TEMPERATURE
    ),
    IntentRule("HassFanSetSpeed", "speed", _has(Action.SET_PERCENTAGE), PERCENTAGE),
    IntentRule("HassSetPosition", "position", _has(Action.SET_POSITION), POSITION),
    IntentRule("HassSetVolume", "volume", _has(Action.SET_VOLUME), VOLUME),
    IntentRule("HassMediaPause", "pause", _has(Action.PAUSE)),
    IntentRule("HassMediaUnpause", "resume", _has(Action.RESUME)),
    IntentRule("HassClimateGetTemperature", "temperature?", _reads_temperature),
    IntentRule("HassGetState", "state?", lambda entity: True),
)
WORDS = (
    "on (turn on, open, lock), off (turn off, close, unlock), brightness N (0-100), "
    "color NAME, temperature N (degrees), speed N (0-100), position N (0-100), "
    "volume N (0-100), pause, resume, temperature? (ask the temperature), state? (ask a state)"
)
"""The words, as explained to the model."""


@dataclass(frozen=True)
class ParsedOutput:
    """An output string taken apart: intent (None for unknown), one target, typed slots."""

    intent: str | None
    targets: tuple[str, ...] = ()
    slots: Mapping[str, SlotValue] = field(default_factory=dict)


def entity_label(entity: Entity, registry: DeviceRegistry) -> str:
    """The main name outputs use for an entity (its spoken name, or its id if shared)."""
    labels = entity_labels(registry).get(entity.id, ())
    return labels[0] if labels else entity.id


def entity_labels(registry: DeviceRegistry) -> dict[str, tuple[str, ...]]:
    """Names outputs may use per entity id: its name and aliases that no other entity uses.

    The model may copy whichever name the user said; a shared name is left out (the id
    stands in) so an output never names two devices.
    """
    owners: dict[str, set[str]] = {}
    for entity in registry:
        for name in (entity.name, *entity.aliases):
            owners.setdefault(name.lower().strip(), set()).add(entity.id)
    labels: dict[str, tuple[str, ...]] = {}
    for entity in registry:
        names = dict.fromkeys(name.lower().strip() for name in (entity.name, *entity.aliases))
        unique = [name for name in names if len(owners[name]) == 1 and name != UNKNOWN]
        labels[entity.id] = tuple(unique) or (entity.id,)
    return labels


def allowed_outputs(registry: DeviceRegistry) -> dict[str, ParsedOutput]:
    """Every string the model may produce for this registry, with what it means."""
    outputs = {UNKNOWN: ParsedOutput(None)}
    labels = entity_labels(registry)
    for entity in registry:
        for rule in RULES:
            if not rule.applies(entity):
                continue
            for label in labels[entity.id]:
                base = f"{label}: {rule.word}"
                if rule.slot is None:
                    outputs[base] = ParsedOutput(rule.name, (entity.id,))
                    continue
                for value in rule.slot.values:
                    slots = {rule.slot.name: rule.slot.parse(value)}
                    outputs[f"{base} {value}"] = ParsedOutput(rule.name, (entity.id,), slots)
    return dict(sorted(outputs.items()))
