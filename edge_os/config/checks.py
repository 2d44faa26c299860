"""Rules of a config file that involve more than one entry: unique ids, known areas, one
owner per GPIO pin. The loader reports their findings with file, line and key path like
any other config error."""

from __future__ import annotations

from dataclasses import dataclass

from edge_os.config.settings import Config
from edge_os.devices.entity import entity_problems

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """A rule broken by the registry as a whole, at a key path of the config."""

    location: Location
    message: str


def check_config(config: Config) -> list[Finding]:
    """Cross-entity rules: unique ids, known areas, GPIO pins used once."""
    findings: list[Finding] = []
    area_ids: dict[str, int] = {}
    for index, area in enumerate(config.areas):
        if area.id in area_ids:
            findings.append(
                Finding(
                    ("areas", index, "id"),
                    f"duplicate area id {area.id!r} (first at areas[{area_ids[area.id]}])",
                )
            )
        else:
            area_ids[area.id] = index
    known = ", ".join(area_ids) or "no areas declared"
    if config.site.area is not None and config.site.area not in area_ids:
        findings.append(
            Finding(("site", "area"), f"unknown area {config.site.area!r} (expected: {known})")
        )

    pins: dict[int, str] = {}
    for name in ("push_to_talk_pin", "mute_pin"):
        pin = getattr(config.gpio, name)
        if pin is not None:
            if pin in pins:
                findings.append(
                    Finding(("gpio", name), f"pin {pin} is already used by {pins[pin]}")
                )
            pins.setdefault(pin, f"gpio.{name}")

    entity_ids: dict[str, int] = {}
    for index, entity in enumerate(config.entities):
        if entity.id in entity_ids:
            findings.append(
                Finding(
                    ("entities", index, "id"),
                    f"duplicate entity id {entity.id!r} "
                    f"(first at entities[{entity_ids[entity.id]}])",
                )
            )
        else:
            entity_ids[entity.id] = index
        for location, message in entity_problems(entity):
            findings.append(Finding(("entities", index, *location), message))
        if entity.area is not None and entity.area not in area_ids:
            findings.append(
                Finding(
                    ("entities", index, "area"),
                    f"unknown area {entity.area!r} (expected: {known})",
                )
            )
        if entity.gpio is not None:
            pin = entity.gpio.pin
            if pin in pins:
                findings.append(
                    Finding(
                        ("entities", index, "gpio", "pin"),
                        f"pin {pin} is already used by {pins[pin]}",
                    )
                )
            else:
                pins[pin] = entity.id
    return findings
