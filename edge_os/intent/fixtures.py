"""Convert a Home Assistant intents test fixture (``tests/<lang>/_fixtures.yaml``) to a registry.

HA's fixtures list ``floors``, ``areas`` (name, id, floor) and ``entities`` (name, id, area,
state, attributes such as ``device_class``). edge-os's registry expresses the same names,
aliases, areas and domains, plus what HA keeps elsewhere: capabilities and a transport.
The conversion keeps the domains edge-os drives, gives each entity its domain's usual
capabilities and a placeholder MQTT binding, so HA's test sentences can run against it.
"""

from __future__ import annotations

import re
from typing import Any

from edge_os.devices.entity import DOMAIN_ACTIONS, Domain

TYPICAL_CAPABILITIES: dict[Domain, list[str]] = {
    Domain.LIGHT: ["brightness", "color", "color_temp"],
    Domain.FAN: ["percentage"],
    Domain.COVER: ["position"],
    Domain.CLIMATE: ["temperature"],
    Domain.MEDIA_PLAYER: ["volume", "pause"],
}
"""What a fixture entity of each domain is assumed to support (HA's fixtures do not say)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_")


def convert_ha_fixture(data: dict[str, Any]) -> dict[str, Any]:
    """The edge-os config mapping (``areas``, ``entities``) for an HA fixture mapping."""
    floors = {floor["id"]: floor["name"] for floor in data.get("floors", [])}
    areas = []
    for area in data.get("areas", []):
        entry: dict[str, Any] = {"id": _slug(area["id"]), "name": area["name"]}
        if area.get("floor") in floors:
            entry["floor"] = floors[area["floor"]]
        areas.append(entry)
    domains = {domain.value: domain for domain in Domain}
    entities = []
    seen: set[str] = set()
    for item in data.get("entities", []):
        domain_name, _, object_id = str(item["id"]).partition(".")
        domain = domains.get(domain_name)
        entity_id = f"{domain_name}.{_slug(object_id)}"
        if domain is None or entity_id in seen or item.get("is_exposed") is False:
            continue
        seen.add(entity_id)
        attributes = item.get("attributes") or {}
        entity: dict[str, Any] = {"id": entity_id, "name": item["name"]}
        if item.get("aliases"):
            entity["aliases"] = list(item["aliases"])
        if item.get("area"):
            entity["area"] = _slug(item["area"])
        if attributes.get("device_class"):
            entity["device_class"] = str(attributes["device_class"])
        elif domain is Domain.SENSOR and attributes.get("unit_of_measurement") in {"°C", "°F"}:
            entity["device_class"] = "temperature"  # HA infers it from the unit
        if capabilities := TYPICAL_CAPABILITIES.get(domain):
            entity["capabilities"] = capabilities
        topic = f"ha-fixture/{entity_id}"
        entity["mqtt"] = (
            {"command_topic": f"{topic}/set", "state_topic": topic}
            if DOMAIN_ACTIONS[domain]
            else {"state_topic": topic}
        )
        entities.append(entity)
    return {"areas": areas, "entities": entities}
