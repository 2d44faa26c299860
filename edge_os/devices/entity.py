"""Entities and areas of the device registry, named the Home Assistant way.

An entity declares its domain (from its id), its capabilities and exactly one transport.
The actions it accepts follow from domain and capabilities, and nothing else can be sent
to it: this is the "system call table" the intent engine is confined to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from edge_os.schema import GpioPin, Section

SLUG_PATTERN = re.compile(r"^[a-z0-9_]+$")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]*)\s*\}\}")


class Domain(StrEnum):
    """Entity domains edge-os can act on or read (Home Assistant's names)."""

    LIGHT = "light"
    SWITCH = "switch"
    FAN = "fan"
    COVER = "cover"
    CLIMATE = "climate"
    LOCK = "lock"
    MEDIA_PLAYER = "media_player"
    SENSOR = "sensor"
    BINARY_SENSOR = "binary_sensor"
    SCENE = "scene"
    SCRIPT = "script"
    VACUUM = "vacuum"
    VALVE = "valve"


class Capability(StrEnum):
    """Optional features an entity may declare on top of its domain's basics."""

    BRIGHTNESS = "brightness"
    COLOR = "color"
    COLOR_TEMP = "color_temp"
    PERCENTAGE = "percentage"
    POSITION = "position"
    TEMPERATURE = "temperature"
    VOLUME = "volume"
    PAUSE = "pause"
    TRACKS = "tracks"
    MUTE = "mute"


class Action(StrEnum):
    """Everything edge-os can ever ask a device to do."""

    TURN_ON = "turn_on"
    TURN_OFF = "turn_off"
    SET_BRIGHTNESS = "set_brightness"
    SET_COLOR = "set_color"
    SET_COLOR_TEMP = "set_color_temp"
    SET_PERCENTAGE = "set_percentage"
    OPEN = "open"
    CLOSE = "close"
    STOP = "stop"
    SET_POSITION = "set_position"
    SET_TEMPERATURE = "set_temperature"
    LOCK = "lock"
    UNLOCK = "unlock"
    PAUSE = "pause"
    RESUME = "resume"
    SET_VOLUME = "set_volume"
    VOLUME_UP = "volume_up"
    VOLUME_DOWN = "volume_down"
    NEXT = "next"
    PREVIOUS = "previous"
    MUTE = "mute"
    UNMUTE = "unmute"
    TOGGLE = "toggle"
    START = "start"
    RETURN_TO_BASE = "return_to_base"


DOMAIN_CAPABILITIES: dict[Domain, frozenset[Capability]] = {
    Domain.LIGHT: frozenset({Capability.BRIGHTNESS, Capability.COLOR, Capability.COLOR_TEMP}),
    Domain.SWITCH: frozenset(),
    Domain.FAN: frozenset({Capability.PERCENTAGE}),
    Domain.COVER: frozenset({Capability.POSITION}),
    Domain.CLIMATE: frozenset({Capability.TEMPERATURE}),
    Domain.LOCK: frozenset(),
    Domain.MEDIA_PLAYER: frozenset(
        {Capability.VOLUME, Capability.PAUSE, Capability.TRACKS, Capability.MUTE}
    ),
    Domain.SENSOR: frozenset(),
    Domain.BINARY_SENSOR: frozenset(),
    Domain.SCENE: frozenset(),
    Domain.SCRIPT: frozenset(),
    Domain.VACUUM: frozenset(),
    Domain.VALVE: frozenset({Capability.POSITION}),
}

DOMAIN_ACTIONS: dict[Domain, tuple[Action, ...]] = {
    Domain.LIGHT: (Action.TURN_ON, Action.TURN_OFF, Action.TOGGLE),
    Domain.SWITCH: (Action.TURN_ON, Action.TURN_OFF, Action.TOGGLE),
    Domain.FAN: (Action.TURN_ON, Action.TURN_OFF, Action.TOGGLE),
    Domain.COVER: (Action.OPEN, Action.CLOSE, Action.STOP),
    Domain.CLIMATE: (Action.TURN_ON, Action.TURN_OFF),
    Domain.LOCK: (Action.LOCK, Action.UNLOCK),
    Domain.MEDIA_PLAYER: (Action.TURN_ON, Action.TURN_OFF),
    Domain.SENSOR: (),
    Domain.BINARY_SENSOR: (),
    Domain.SCENE: (Action.TURN_ON,),
    Domain.SCRIPT: (Action.TURN_ON, Action.TURN_OFF),
    Domain.VACUUM: (Action.START, Action.STOP, Action.RETURN_TO_BASE),
    Domain.VALVE: (Action.OPEN, Action.CLOSE),
}

CAPABILITY_ACTIONS: dict[Capability, tuple[Action, ...]] = {
    Capability.BRIGHTNESS: (Action.SET_BRIGHTNESS,),
    Capability.COLOR: (Action.SET_COLOR,),
    Capability.COLOR_TEMP: (Action.SET_COLOR_TEMP,),
    Capability.PERCENTAGE: (Action.SET_PERCENTAGE,),
    Capability.POSITION: (Action.SET_POSITION,),
    Capability.TEMPERATURE: (Action.SET_TEMPERATURE,),
    Capability.VOLUME: (Action.SET_VOLUME, Action.VOLUME_UP, Action.VOLUME_DOWN),
    Capability.PAUSE: (Action.PAUSE, Action.RESUME),
    Capability.TRACKS: (Action.NEXT, Action.PREVIOUS),
    Capability.MUTE: (Action.MUTE, Action.UNMUTE),
}

ACTION_VARIABLES: dict[Action, frozenset[str]] = {
    Action.SET_BRIGHTNESS: frozenset({"brightness", "brightness_254", "brightness_255"}),
    Action.SET_COLOR: frozenset({"color", "hex", "r", "g", "b"}),
    Action.SET_COLOR_TEMP: frozenset({"kelvin", "mireds"}),
    Action.SET_PERCENTAGE: frozenset({"percentage"}),
    Action.SET_POSITION: frozenset({"position"}),
    Action.SET_TEMPERATURE: frozenset({"temperature"}),
    Action.SET_VOLUME: frozenset({"volume"}),
    Action.VOLUME_UP: frozenset({"step"}),
    Action.VOLUME_DOWN: frozenset({"step"}),
}
"""Placeholders a payload template of each action may use, besides ``entity_id``."""

DEFAULT_PAYLOADS: dict[Action, str] = {
    Action.TURN_ON: "ON",
    Action.TURN_OFF: "OFF",
    Action.OPEN: "OPEN",
    Action.CLOSE: "CLOSE",
    Action.STOP: "STOP",
    Action.LOCK: "LOCK",
    Action.UNLOCK: "UNLOCK",
    Action.PAUSE: "PAUSE",
    Action.RESUME: "PLAY",
    Action.SET_BRIGHTNESS: "{{ brightness }}",
    Action.SET_COLOR: "{{ hex }}",
    Action.SET_COLOR_TEMP: "{{ kelvin }}",
    Action.SET_PERCENTAGE: "{{ percentage }}",
    Action.SET_POSITION: "{{ position }}",
    Action.SET_TEMPERATURE: "{{ temperature }}",
    Action.SET_VOLUME: "{{ volume }}",
    Action.VOLUME_UP: "VOLUME_UP",
    Action.VOLUME_DOWN: "VOLUME_DOWN",
    Action.NEXT: "NEXT",
    Action.PREVIOUS: "PREVIOUS",
    Action.MUTE: "MUTE",
    Action.UNMUTE: "UNMUTE",
    Action.TOGGLE: "TOGGLE",
    Action.START: "START",
    Action.RETURN_TO_BASE: "RETURN_TO_BASE",
}
"""Payloads sent when an entity's MQTT block does not give its own (Home Assistant's)."""

CommandSource = Literal["voice", "satellite", "mqtt", "schedule", "text", "wyoming"]
"""Where a command came in (see the pipeline's command path); ``satellite``: spoken in a
room whose satellite streamed it to this hub."""
LOCAL_SOURCES: tuple[CommandSource, ...] = ("voice", "satellite", "schedule", "text")
"""Sources allowed to ask for sensitive actions by default: not the network (MQTT and
Wyoming, which has no authentication at all). A satellite's audio crosses the broker: give
each satellite a login of its own there (README, "Securing the broker")."""
SENSITIVE_COVER_CLASSES = frozenset({"garage", "gate", "door"})
GPIO_DOMAINS = frozenset({Domain.LIGHT, Domain.SWITCH, Domain.FAN})
PWM_KINDS = frozenset({"PWMLED", "PWMOutputDevice"})


def template_placeholders(template: str) -> set[str]:
    """Names used as ``{{ name }}`` in a payload template."""
    return set(PLACEHOLDER.findall(template))


def render_template(template: str, values: dict[str, str | int | float]) -> str:
    """Fill ``{{ name }}`` placeholders; plain substitution, nothing is evaluated."""

    def fill(match: re.Match[str]) -> str:
        return str(values[match.group(1)])

    return PLACEHOLDER.sub(fill, template)


def _slug(value: str, what: str) -> str:
    if not SLUG_PATTERN.match(value):
        raise PydanticCustomError(
            "slug",
            "{value} is not a valid {what} id (lower case letters, digits and '_')",
            {"value": repr(value), "what": what},
        )
    return value


def _spoken(value: str) -> str:
    """A name someone can say: not blank, no control or text-direction characters.

    A NUL byte cuts the name short in C libraries and logs; a right-to-left override
    makes the name read differently on screen than it is matched.
    """
    name = value.strip()
    if not name:
        raise PydanticCustomError("name", "a name must not be blank", {})
    for char in name:
        category = unicodedata.category(char)
        if category == "Cc" or (category == "Cf" and char not in "\u200c\u200d"):
            kind = "a control character" if category == "Cc" else "a text-direction or format mark"
            raise PydanticCustomError(
                "name",
                "{value} contains {kind} ({code}); names are spoken, not formatted",
                {"value": repr(name), "kind": kind, "code": f"U+{ord(char):04X}"},
            )
    return name


def _spoken_names(value: str | list[str]) -> str | list[str]:
    if isinstance(value, list):
        return [_spoken(item) for item in value]
    return _spoken(value)


class Floor(Section):
    """A floor (level) of the home, for "turn off the upstairs lights"."""

    id: str
    """Slug that areas' `floor` may name (e.g. `first_floor`)."""
    name: str = Field(min_length=1)
    """Spoken name ("First floor")."""
    aliases: list[str] = Field(default_factory=list)
    """Other spoken names ("upstairs")."""

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "floor")

    _names = field_validator("name", "aliases")(_spoken_names)


class Area(Section):
    """A room or zone of the home."""

    id: str
    """Slug used in entities' `area` (e.g. `kitchen`)."""
    name: str = Field(min_length=1)
    """Spoken name ("Kitchen")."""
    aliases: list[str] = Field(default_factory=list)
    """Other spoken names ("cooking area")."""
    floor: str | None = None
    """Floor id (from `floors`) or a floor's name, for "turn off the upstairs lights"."""

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "area")

    _names = field_validator("name", "aliases")(_spoken_names)


class MqttBinding(Section):
    """An entity reached over MQTT."""

    command_topic: str | None = None
    """Topic commands are published to (QoS 1); required when the entity has actions."""
    state_topic: str | None = None
    """Topic the device reports its state on; subscribed so state questions get real answers."""
    state_key: str | None = None
    """Key of the state inside a JSON state payload (e.g. `state` for Zigbee2MQTT); null: raw."""
    payloads: dict[Action, str] = Field(default_factory=dict)
    """Payload template per action, with `{{ name }}` placeholders; missing ones use defaults."""
    topics: dict[Action, str] = Field(default_factory=dict)
    """Per-action topic overrides (e.g. a separate brightness topic)."""
    retain: bool = False
    """Publish commands retained."""

    @field_validator("command_topic", "state_topic")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        if value is not None and (not value or "+" in value or "#" in value):
            raise PydanticCustomError(
                "topic",
                "{value} is not a topic to publish or read (no wildcards, not empty)",
                {"value": repr(value)},
            )
        return value


class GpioBinding(Section):
    """An entity wired to a GPIO pin, driven by a gpiozero output device."""

    pin: GpioPin
    """BCM pin number (0-27)."""
    kind: Literal["LED", "PWMLED", "OutputDevice", "DigitalOutputDevice", "PWMOutputDevice"] = (
        "DigitalOutputDevice"
    )
    """gpiozero class; PWMLED / PWMOutputDevice for dimmable lights and fan speed."""
    active_high: bool = True
    """False when the relay board switches on a low level."""
    initial_value: bool = False
    """State the pin is set to when edge-os starts."""


_ALARM_WORDS = frozenset({"alarm", "security", "siren"})


class Entity(Section):
    """A device edge-os may act on or read."""

    id: str
    """Entity id `<domain>.<object_id>` (e.g. `light.kitchen_ceiling`)."""
    name: str = Field(min_length=1)
    """Friendly, spoken name ("Kitchen ceiling light")."""
    aliases: list[str] = Field(default_factory=list)
    """Other spoken names."""
    area: str | None = None
    """Area id the entity stands in."""
    device_class: str | None = None
    """Home Assistant device class (e.g. `garage` for a cover, `temperature` for a sensor)."""
    capabilities: list[Capability] = Field(default_factory=list)
    """Features beyond on/off: brightness, color, color_temp, percentage, position, ..."""
    sensitive: bool | None = None
    """Needs spoken confirmation; null: locks, valves, garage/gate/door covers and switches
    named alarm, security or siren are sensitive."""
    sensitive_sources: list[CommandSource] = Field(default_factory=lambda: list(LOCAL_SOURCES))
    """Where a sensitive action may be asked from: `voice`, `satellite` (spoken in a room
    whose satellite streams to this hub; give each satellite its own broker login),
    `schedule` (a delayed spoken command), `text` (`edge-os say` on the device), `mqtt`
    (control topic and Hermes: off by default, anyone on the broker could send it),
    `wyoming` (`edge-os wyoming`: off by default, Wyoming has no authentication)."""
    confirm_pin: SecretStr | None = None
    """A PIN the "yes" must carry when the request came over the network (`mqtt`,
    `wyoming`): "yes 4711". A wrong or missing PIN confirms nothing. Spoken and local
    requests need only the yes."""
    mqtt: MqttBinding | None = None
    """MQTT transport."""
    gpio: GpioBinding | None = None
    """GPIO transport."""

    @field_validator("confirm_pin")
    @classmethod
    def _pin_is_digits(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not (
            value.get_secret_value().isdigit() and 4 <= len(value.get_secret_value()) <= 12
        ):
            raise PydanticCustomError("confirm_pin", "a PIN is 4 to 12 digits")
        return value

    _names = field_validator("name", "aliases")(_spoken_names)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        domain, dot, object_id = value.partition(".")
        if (
            domain not in Domain.__members__.values()
            or not dot
            or not SLUG_PATTERN.match(object_id)
        ):
            raise PydanticCustomError(
                "entity_id",
                "{value} is not an entity id (expected <domain>.<object_id> with domain one "
                "of: {domains})",
                {"value": repr(value), "domains": ", ".join(Domain)},
            )
        return value

    @property
    def domain(self) -> Domain:
        """Domain taken from the entity id."""
        return Domain(self.id.partition(".")[0])

    @property
    def actions(self) -> tuple[Action, ...]:
        """Actions this entity accepts; the intent engine can target nothing else."""
        actions = list(DOMAIN_ACTIONS[self.domain])
        for capability in self.capabilities:
            actions.extend(CAPABILITY_ACTIONS[capability])
        return tuple(actions)

    @property
    def is_sensitive(self) -> bool:
        """Whether acting on this entity needs confirmation."""
        if self.sensitive is not None:
            return self.sensitive
        if self.domain in {Domain.LOCK, Domain.VALVE}:
            return True
        if self.domain is Domain.SWITCH and _ALARM_WORDS & set(
            re.split(r"[\W_]+", f"{self.id} {self.name}".casefold())
        ):
            return True  # a switch that arms an alarm: turning it off disarms the house
        return self.domain is Domain.COVER and self.device_class in SENSITIVE_COVER_CLASSES

    @property
    def transport(self) -> Literal["mqtt", "gpio"]:
        """Which transport drives this entity."""
        return "gpio" if self.gpio is not None else "mqtt"

    def payload_template(self, action: Action) -> str:
        """The MQTT payload template for ``action`` (declared or the default)."""
        if self.mqtt is None:
            raise ValueError(f"{self.id} is not an MQTT entity")
        return self.mqtt.payloads.get(action, DEFAULT_PAYLOADS[action])


Location = tuple[str | int, ...]


def validated_entity(fields: Mapping[str, Any]) -> Entity:
    """An entity from plain data made by edge-os (discovery, a Zigbee2MQTT list), checked as
    one in the config file is; ValueError says the first problem, with its key."""
    try:
        entity = Entity.model_validate(fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}: {first['msg']}") from None
    problems = entity_problems(entity)
    if problems:
        raise ValueError("; ".join(message for _, message in problems))
    return entity


def entity_problems(entity: Entity) -> list[tuple[Location, str]]:
    """Rules between an entity's fields, each with the key path (relative to the entity).

    Kept outside the model so every problem points at the exact key that is wrong.
    """
    problems: list[tuple[Location, str]] = []
    allowed = DOMAIN_CAPABILITIES[entity.domain]
    for index, capability in enumerate(entity.capabilities):
        if capability not in allowed:
            problems.append(
                (
                    ("capabilities", index),
                    f"{capability.value!r} does not apply to {entity.domain} entities "
                    f"(expected: {', '.join(sorted(allowed)) or 'none'})",
                )
            )
    if (entity.mqtt is None) == (entity.gpio is None):
        problems.append(
            ((), f"{entity.id} needs exactly one transport: an 'mqtt' or a 'gpio' block")
        )
    if problems:
        return problems
    if entity.mqtt is not None:
        problems.extend(_mqtt_problems(entity, entity.mqtt))
    if entity.gpio is not None:
        problems.extend(_gpio_problems(entity, entity.gpio))
    return problems


def _mqtt_problems(entity: Entity, mqtt: MqttBinding) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    actions = entity.actions
    if actions and mqtt.command_topic is None:
        problems.append(
            (
                ("mqtt",),
                f"{entity.id} accepts actions ({', '.join(actions)}) but has no command_topic",
            )
        )
    if not actions and mqtt.state_topic is None:
        problems.append((("mqtt",), f"{entity.id} is read-only and needs a state_topic"))
    for table in ("payloads", "topics"):
        for action in getattr(mqtt, table):
            if action not in actions:
                problems.append(
                    (
                        ("mqtt", table, action.value),
                        f"{entity.id} does not accept {action.value!r} "
                        f"(its actions: {', '.join(actions) or 'none'})",
                    )
                )
    for action, template in mqtt.payloads.items():
        known = ACTION_VARIABLES.get(action, frozenset()) | {"entity_id"}
        for name in sorted(template_placeholders(template) - known):
            problems.append(
                (
                    ("mqtt", "payloads", action.value),
                    f"unknown placeholder '{{{{ {name} }}}}' "
                    f"(expected: {', '.join(sorted(known))})",
                )
            )
    return problems


def _gpio_problems(entity: Entity, gpio: GpioBinding) -> list[tuple[Location, str]]:
    if entity.domain not in GPIO_DOMAINS:
        return [
            (
                ("gpio",),
                f"{entity.domain} entities cannot be driven by a GPIO pin "
                f"(expected: {', '.join(sorted(GPIO_DOMAINS))})",
            )
        ]
    dims = sorted({Capability.BRIGHTNESS, Capability.PERCENTAGE} & set(entity.capabilities))
    if dims and gpio.kind not in PWM_KINDS:
        return [
            (
                ("gpio", "kind"),
                f"{gpio.kind} cannot dim but {entity.id} declares {dims[0].value} "
                "(expected PWMLED or PWMOutputDevice)",
            )
        ]
    return []
