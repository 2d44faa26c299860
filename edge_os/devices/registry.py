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
from edge_os.devices.entity import Area, Domain, Entity, Floor, entity_problems

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


def _floor_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "floor"


def all_floors(declared: Sequence[Floor], areas: Sequence[Area]) -> tuple[Floor, ...]:
    """Declared floors plus one per floor name that areas use without declaring it."""
    floors = list(declared)
    known = {f.id for f in floors} | {normalize_name(f.name) for f in floors}
    for area in areas:
        if area.floor is None or area.floor in known or normalize_name(area.floor) in known:
            continue
        floors.append(Floor(id=_floor_slug(area.floor), name=area.floor))
        known |= {floors[-1].id, normalize_name(area.floor)}
    return tuple(floors)


@dataclass
class DeviceRegistry:
    """Declared floors, areas and entities with lookups by id, spoken name, area and domain."""

    areas: Sequence[Area]
    entities: Sequence[Entity]
    floors: Sequence[Floor] = ()
    imported: frozenset[str] = frozenset()
    """Ids of the entities imported via MQTT discovery (the others are declared)."""
    _by_id: dict[str, Entity] = field(init=False, repr=False)
    _area_by_id: dict[str, Area] = field(init=False, repr=False)
    _area_floor: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.floors = all_floors(self.floors, self.areas)
        self._by_id = {entity.id: entity for entity in self.entities}
        self._area_by_id = {area.id: area for area in self.areas}
        by_name = {normalize_name(f.name): f.id for f in self.floors}
        ids = {f.id for f in self.floors}
        self._area_floor = {}
        for area in self.areas:
            if area.floor is not None:
                floor_id = (
                    area.floor if area.floor in ids else by_name.get(normalize_name(area.floor))
                )
                if floor_id is not None:
                    self._area_floor[area.id] = floor_id

    @classmethod
    def from_config(cls, config: Config) -> DeviceRegistry:
        """The registry declared in a loaded (already validated) config."""
        return cls(
            areas=tuple(config.areas), entities=tuple(config.entities), floors=tuple(config.floors)
        )

    def floor_of(self, area_id: str | None) -> str | None:
        """The floor id an area stands on, or None."""
        return self._area_floor.get(area_id) if area_id is not None else None

    def areas_on(self, floor_id: str) -> list[str]:
        """Ids of the areas on a floor."""
        return [area for area, floor in self._area_floor.items() if floor == floor_id]

    def __len__(self) -> int:
        return len(self.entities)

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._by_id

    def __getitem__(self, entity_id: str) -> Entity:
        return self._by_id[entity_id]

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
