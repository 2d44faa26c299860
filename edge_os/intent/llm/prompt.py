"""The few-shot chat prompt: intents, the home's devices, and worked examples from the registry.

The prompt is split in two: a fixed prefix (system text and examples) whose KV cache is
computed once at load, and a short per-command suffix, so each command only feeds its
own few tokens through the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge_os.devices.entity import Action, Capability, Domain, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.llm.outputs import UNKNOWN, WORDS, entity_label

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"


@dataclass(frozen=True)
class Example:
    """A worked example: a sentence pattern and its output, for the first entity that fits."""

    fits: Callable[[Entity], bool]
    sentence: str
    """Pattern with ``{name}`` (the entity's spoken name) and ``{area}`` (its area's name)."""
    output: str
    """Pattern with ``{id}``."""
    in_area: bool = False
    """Say the sentence as if heard by a satellite in the entity's area."""


def _can(action: Action) -> Callable[[Entity], bool]:
    return lambda entity: action in entity.actions


EXAMPLES: tuple[Example, ...] = (
    Example(
        lambda e: e.domain is Domain.LIGHT and Capability.BRIGHTNESS in e.capabilities,
        "put the {name} at half brightness",
        "{id}: brightness 50",
    ),
    Example(lambda e: e.domain is Domain.SWITCH, "switch the {name} on", "{id}: on"),
    Example(lambda e: e.domain is Domain.LIGHT, "we don't need any light here", "{id}: off", True),
    Example(_can(Action.SET_TEMPERATURE), "heat the {area} to 21 degrees", "{id}: temperature 21"),
    Example(_can(Action.PAUSE), "hold on, stop the song", "{id}: pause"),
    Example(_can(Action.CLOSE), "shut the {name}", "{id}: off"),
    Example(_can(Action.LOCK), "secure the {name}", "{id}: on"),
    Example(
        lambda e: e.domain is Domain.SENSOR and e.device_class == "temperature",
        "how warm is it in the {area}",
        "{id}: temperature?",
    ),
    Example(_can(Action.SET_VOLUME), "music quieter, about 20", "{id}: volume 20"),
)
UNKNOWN_EXAMPLE = ("what is the capital of France", UNKNOWN)


def _area_name(registry: DeviceRegistry, area_id: str | None) -> str | None:
    area = registry.area(area_id) if area_id else None
    return area.name.lower() if area else area_id


def user_message(text: str, area: str | None, registry: DeviceRegistry) -> str:
    """The user turn for ``text`` said in ``area`` (an area id)."""
    name = _area_name(registry, area)
    return f"(in the {name}) {text.strip()}" if name else text.strip()


def system_text(registry: DeviceRegistry) -> str:
    """Instructions, allowed intents and the device list."""
    lines = [
        "You control a smart home. Answer with one line: DEVICE: WORD or DEVICE: WORD VALUE, "
        f"or {UNKNOWN} when the request is not about a device.",
        f"Words: {WORDS}.",
    ]
    lines.append("Devices (name (area), other names):")
    for entity in registry:
        area = _area_name(registry, entity.area)
        names = ", ".join(entity.aliases)
        label = entity_label(entity, registry)
        lines.append(
            f"- {label}" + (f" ({area})" if area else "") + (f", also: {names}" if names else "")
        )
    return "\n".join(lines)


def examples(registry: DeviceRegistry) -> list[tuple[str, str]]:
    """(user message, answer) pairs built from the registry's own entities."""
    pairs = []
    for example in EXAMPLES:
        entity = next((e for e in registry if example.fits(e)), None)
        if entity is None:
            continue
        area = _area_name(registry, entity.area) or "house"
        sentence = example.sentence.format(name=entity.name.lower(), area=area)
        said_in = entity.area if example.in_area else None
        pairs.append(
            (
                user_message(sentence, said_in, registry),
                example.output.format(id=entity_label(entity, registry)),
            )
        )
    pairs.append(UNKNOWN_EXAMPLE)
    return pairs


def prompt_prefix(registry: DeviceRegistry) -> str:
    """Everything before the command's text: cached once per registry."""
    parts = [f"{IM_START}system\n{system_text(registry)}{IM_END}\n"]
    for question, answer in examples(registry):
        parts.append(f"{IM_START}user\n{question}{IM_END}\n{IM_START}assistant\n{answer}{IM_END}\n")
    parts.append(f"{IM_START}user\n")
    return "".join(parts)


def prompt_suffix(text: str, area: str | None, registry: DeviceRegistry) -> str:
    """The command's own part of the prompt, up to where the answer starts."""
    return f"{user_message(text, area, registry)}{IM_END}\n{IM_START}assistant\n"
