"""The device registry: declared areas and entities, and the checks across them.

Rules that involve more than one entity (unique ids, known areas, one owner per GPIO pin)
live here; the loader reports their findings with file, line and key path like any other
config error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from edge_os.config.settings import Config
from edge_os.devices.entity import Area, Domain, Entity, entity_problems

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """A rule broken by the registry as a whole, at a key path of the config."""

    location: Location
    message: str


def normalize_name(text: str) -> str:
    """Lower case, punctuation and extra spaces removed: how spoken names are compared."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


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


@dataclass
class DeviceRegistry:
    """Declared areas and entities with lookups by id, spoken name, area and domain."""

    areas: Sequence[Area]
    entities: Sequence[Entity]
    _by_id: dict[str, Entity] = field(init=False, repr=False)
    _area_by_id: dict[str, Area] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {entity.id: entity for entity in self.entities}
        self._area_by_id = {area.id: area for area in self.areas}

    @classmethod
    def from_config(cls, config: Config) -> DeviceRegistry:
        """The registry declared in a loaded (already validated) config."""
        return cls(areas=tuple(config.areas), entities=tuple(config.entities))

    def __len__(self) -> int:
        return len(self.entities)

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._by_id

    def get(self, entity_id: str) -> Entity | None:
        """The entity with this id, or None: never a guess."""
        return self._by_id.get(entity_id)

    def area(self, area_id: str) -> Area | None:
        """The area with this id, or None."""
        return self._area_by_id.get(area_id)

    def in_area(self, area_id: str) -> list[Entity]:
        """Entities standing in an area."""
        return [entity for entity in self.entities if entity.area == area_id]

    def in_domain(self, domain: Domain) -> list[Entity]:
        """Entities of one domain."""
        return [entity for entity in self.entities if entity.domain is domain]

    def by_name(self, spoken: str) -> list[Entity]:
        """Entities whose name or an alias equals ``spoken`` after normalisation."""
        wanted = normalize_name(spoken)
        return [
            entity
            for entity in self.entities
            if wanted in {normalize_name(name) for name in (entity.name, *entity.aliases)}
        ]
