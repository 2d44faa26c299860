"""Convert a Home Assistant intent-test home to an edge-os registry.

HA's intent tests describe homes in two shapes: the shared ``tests/<lang>/_fixtures.yaml``
(floors and areas with ids, entities with ids, areas named by id) and the per-file homes of
``tests/<lang>/<Intent>/<combo>.yaml`` (areas and floors by name only, entities with a
``domain`` instead of an id and an area named by its name). edge-os's registry expresses
the same names, areas and domains, plus what HA keeps elsewhere: capabilities and a
transport. The conversion keeps the domains edge-os knows, gives each entity all of its
domain's capabilities and a placeholder MQTT binding, and hands the entities' HA states
and attributes back separately so an evaluation can judge state questions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from edge_os.config.loader import parse_config
from edge_os.devices.entity import DOMAIN_ACTIONS, DOMAIN_CAPABILITIES, Domain
from edge_os.devices.registry import DeviceRegistry, normalize_name
from edge_os.errors import ErrorCode, UsageError

HA_ONLY_ENTITY_KEYS = frozenset({"state", "attributes", "domain", "is_exposed"})
"""Entity keys HA's test homes use and edge-os configs never do."""
HA_ONLY_TOP_KEYS = frozenset({"language", "tests", "timers", "media", "completed_items"})
"""Top-level keys of HA test files that an edge-os config never has."""
TEMPERATURE_UNITS = frozenset({"°C", "°F"})


@dataclass(frozen=True)
class EntityState:
    """What an HA test home says an entity reads."""

    state: str | None
    """HA's state value (``on``, ``open``, ``locked``, ``42``), None when not given."""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    """HA's attributes (``device_class``, ``unit_of_measurement``, ``current_temperature``)."""


@dataclass(frozen=True)
class ConvertedHome:
    """An HA test home as an edge-os config mapping, plus what the registry has no place for."""

    config: dict[str, Any]
    """``floors``, ``areas`` and ``entities`` in edge-os's config format."""
    states: dict[str, EntityState]
    """HA state and attributes by edge-os entity id."""
    dropped: tuple[str, ...] = ()
    """What was not carried over, and why (``Main Valve: domain 'valve' not known``)."""


def slug(text: str, fallback: str = "item") -> str:
    """``"Living Room"`` -> ``living_room``: the id edge-os gives a name."""
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or fallback


def convert_ha_fixture(data: Mapping[str, Any]) -> dict[str, Any]:
    """The edge-os config mapping (``floors``, ``areas``, ``entities``) for an HA home."""
    return convert_ha_home(data).config


def convert_ha_home(data: Mapping[str, Any], source: str = "fixture") -> ConvertedHome:
    """Convert an HA test home of either shape; malformed entries raise UsageError.

    ``source`` names the file in error messages. Floors and areas without an id get the
    slug of their name; an area's floor and an entity's area may name an id or a name.
    """
    dropped: list[str] = []
    floors: list[dict[str, Any]] = []
    floor_ids: dict[str, str] = {}
    for _, item in _items(data, "floors", source):
        floor_id = _unique(slug(str(item.get("id") or item["name"]), "floor"), floor_ids.values())
        floors.append({"id": floor_id, "name": str(item["name"]), **_aliases(item)})
        floor_ids.update(_keys(item, floor_id))
    areas: list[dict[str, Any]] = []
    area_ids: dict[str, str] = {}
    for _, item in _items(data, "areas", source):
        area_id = _unique(slug(str(item.get("id") or item["name"]), "area"), area_ids.values())
        area: dict[str, Any] = {"id": area_id, "name": str(item["name"]), **_aliases(item)}
        if item.get("floor") is not None:
            floor = str(item["floor"])
            # an unknown floor name still works: the registry declares a floor by name
            area["floor"] = floor_ids.get(floor) or floor_ids.get(normalize_name(floor), floor)
        areas.append(area)
        area_ids.update(_keys(item, area_id))
    entities: list[dict[str, Any]] = []
    states: dict[str, EntityState] = {}
    for where, item in _items(data, "entities", source):
        name = str(item["name"])
        if item.get("is_exposed") is False:
            dropped.append(f"{name}: not exposed")
            continue
        domain_name, object_id = _domain_and_object(item, f"{source}: {where}")
        if domain_name not in Domain.__members__.values():
            dropped.append(f"{name}: domain {domain_name!r} not known to edge-os")
            continue
        entity_id = _unique(f"{domain_name}.{slug(object_id, 'entity')}", states)
        entity = _entity(entity_id, Domain(domain_name), item)
        if item.get("area") is not None:
            spoken = str(item["area"])
            found = area_ids.get(spoken) or area_ids.get(normalize_name(spoken))
            if found is None:
                dropped.append(f"{name}: area {spoken!r} not in the home")
            else:
                entity["area"] = found
        entities.append(entity)
        states[entity_id] = EntityState(_state(item.get("state")), dict(_attributes(item)))
    config = {"floors": floors, "areas": areas, "entities": entities}
    return ConvertedHome(config, states, tuple(dropped))


def looks_like_ha_home(data: object) -> bool:
    """Whether a YAML mapping is an HA test home or test file rather than an edge-os config."""
    if not isinstance(data, Mapping):
        return False
    if HA_ONLY_TOP_KEYS & set(data):
        return True
    entities = data.get("entities")
    if isinstance(entities, list) and entities:
        for entity in entities:
            if not isinstance(entity, Mapping):
                return False
            if HA_ONLY_ENTITY_KEYS & set(entity) or not {"mqtt", "gpio"} & set(entity):
                return True
    areas = data.get("areas")
    return isinstance(areas, list) and any(
        isinstance(area, Mapping) and "id" not in area for area in areas
    )


def read_ha_home(path: Path) -> ConvertedHome | None:
    """The HA home in ``path``, or None when the file is not one (an edge-os config, say).

    A file that cannot be read or parsed is also None: loading it as a config reports why.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return convert_ha_home(data, str(path)) if looks_like_ha_home(data) else None


def home_registry(home: ConvertedHome, source: str) -> DeviceRegistry:
    """The validated registry of a converted home (problems name ``source``)."""
    text = yaml.safe_dump(home.config, sort_keys=False, allow_unicode=True)
    config = parse_config(text, f"{source} (converted)", base_dir=Path.cwd())
    return DeviceRegistry.from_config(config)


def _entity(entity_id: str, domain: Domain, item: Mapping[str, Any]) -> dict[str, Any]:
    entity: dict[str, Any] = {"id": entity_id, "name": str(item["name"]), **_aliases(item)}
    attributes = _attributes(item)
    if attributes.get("device_class"):
        entity["device_class"] = str(attributes["device_class"])
    elif domain is Domain.SENSOR and attributes.get("unit_of_measurement") in TEMPERATURE_UNITS:
        entity["device_class"] = "temperature"  # HA infers it from the unit
    capabilities = sorted(c.value for c in DOMAIN_CAPABILITIES.get(domain, ()))
    if capabilities:  # HA's homes do not say; assume the domain's full feature set
        entity["capabilities"] = capabilities
    topic = f"ha-fixture/{entity_id}"
    entity["mqtt"] = (
        {"command_topic": f"{topic}/set", "state_topic": topic}
        if DOMAIN_ACTIONS.get(domain) or capabilities
        else {"state_topic": topic}
    )
    return entity


def _items(data: Mapping[str, Any], key: str, source: str) -> list[tuple[str, Mapping[str, Any]]]:
    if not isinstance(data, Mapping):
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{source}: expected a mapping")
    value = data.get(key) or []
    if not isinstance(value, list):
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{source}: {key}: expected a list")
    items = []
    for index, item in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(item, Mapping) or not str(item.get("name") or "").strip():
            raise UsageError(
                ErrorCode.CONFIG_INVALID, f"{source}: {where}: expected a mapping with a name"
            )
        items.append((where, item))
    return items


def _keys(item: Mapping[str, Any], new_id: str) -> dict[str, str]:
    """How entries elsewhere may refer to a floor or an area: its HA id or its name."""
    keys = {normalize_name(str(item["name"])): new_id}
    if item.get("id") is not None:
        keys[str(item["id"])] = new_id
    return keys


def _unique(wanted: str, taken: Any) -> str:
    used = set(taken)
    candidate, number = wanted, 2
    while candidate in used:
        candidate = f"{wanted}_{number}"
        number += 1
    return candidate


def _aliases(item: Mapping[str, Any]) -> dict[str, list[str]]:
    aliases = item.get("aliases")
    return {"aliases": [str(a) for a in aliases]} if isinstance(aliases, list) and aliases else {}


def _attributes(item: Mapping[str, Any]) -> Mapping[str, Any]:
    attributes = item.get("attributes")
    return attributes if isinstance(attributes, Mapping) else {}


def _domain_and_object(item: Mapping[str, Any], where: str) -> tuple[str, str]:
    if item.get("id"):
        domain, dot, object_id = str(item["id"]).partition(".")
        if dot and domain and object_id:
            return domain, object_id
        raise UsageError(
            ErrorCode.CONFIG_INVALID,
            f"{where}.id: {item['id']!r} is not an entity id (<domain>.<object_id>)",
        )
    if item.get("domain"):
        return str(item["domain"]), str(item["name"])
    raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: needs an id or a domain")


def _state(raw: object) -> str | None:
    """HA's state value; ``{in: spoken, out: value}`` (binary sensors) gives the value."""
    if isinstance(raw, Mapping):
        raw = raw.get("out", raw.get("in"))
    if raw is None:
        return None
    if isinstance(raw, bool):  # an unquoted YAML on/off
        return "on" if raw else "off"
    return str(raw)
