"""The device registry: declared (and imported) areas, floors and entities, looked up by id,
name and area. The rules across entities of a config file are in :mod:`edge_os.config.checks`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from edge_os.devices.entity import Area, Entity, Floor


class Declared(Protocol):
    """What a registry is built from: a loaded config's areas, entities and floors."""

    @property
    def areas(self) -> Sequence[Area]:
        """Declared areas."""
        ...

    @property
    def entities(self) -> Sequence[Entity]:
        """Declared entities."""
        ...

    @property
    def floors(self) -> Sequence[Floor]:
        """Declared floors."""
        ...


def normalize_name(text: str) -> str:
    """Lower case, punctuation and extra spaces removed: how spoken names are compared."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


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
    def from_config(cls, config: Declared) -> DeviceRegistry:
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

    def by_name(self, spoken: str) -> list[Entity]:
        """Entities whose name or an alias equals ``spoken`` after normalisation."""
        wanted = normalize_name(spoken)
        return [
            entity
            for entity in self.entities
            if wanted in {normalize_name(name) for name in (entity.name, *entity.aliases)}
        ]
