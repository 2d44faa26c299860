"""``edge-os devices list``: what edge-os may act on, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.devices.entity import Domain, Entity
from edge_os.devices.registry import DeviceRegistry


def add_parser(commands: Any) -> None:
    """Register ``devices`` and its subcommands."""
    devices = commands.add_parser("devices", help="list the devices of the registry")
    sub = devices.add_subparsers(dest="devices_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", help="list declared entities")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--area", help="only entities in this area id")
    listing.add_argument("--domain", choices=[d.value for d in Domain], help="only this domain")
    listing.set_defaults(handler=_list)


def describe(entity: Entity) -> dict[str, Any]:
    """Plain-data view of an entity: declared fields plus derived domain, actions, sensitivity."""
    data = entity.model_dump(mode="json", exclude_none=True)
    data["domain"] = entity.domain.value
    data["actions"] = [action.value for action in entity.actions]
    data["sensitive"] = entity.is_sensitive
    data["transport"] = entity.transport
    return data


def _list(args: argparse.Namespace) -> int:
    registry = DeviceRegistry.from_config(load_config(discover_config_path(args.config)))
    entities = list(registry)
    if args.area:
        entities = [entity for entity in entities if entity.area == args.area]
    if args.domain:
        entities = [entity for entity in entities if entity.domain.value == args.domain]
    if args.json:
        print(json.dumps([describe(entity) for entity in entities], indent=2))
        return 0
    rows = [("ENTITY", "NAME", "AREA", "ACTIONS", "TRANSPORT")]
    for entity in entities:
        if entity.gpio is not None:
            where = f"gpio {entity.gpio.pin} ({entity.gpio.kind})"
        else:
            assert entity.mqtt is not None  # exactly one transport is validated at load
            where = f"mqtt {entity.mqtt.command_topic or entity.mqtt.state_topic}"
        sensitive = " (confirm)" if entity.is_sensitive else ""
        actions = ",".join(entity.actions) or "read-only"
        rows.append((entity.id, entity.name, entity.area or "-", actions + sensitive, where))
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[-1]
        )
    if not entities:
        print("(no entities: declare them under 'entities:' in the config file)")
    return 0
