"""``edge-os devices list``: what edge-os may act on, as a table or JSON.

With ``mqtt.discovery.import_entities`` the list includes what the running service imported
via Home Assistant MQTT discovery, marked ``imported`` (``"imported": true`` in JSON).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.devices.entity import Action, Domain, Entity
from edge_os.errors import ErrorCode, UsageError


def add_parser(commands: Any) -> None:
    """Register ``devices`` and its subcommands."""
    devices = commands.add_parser("devices", help="list the devices of the registry")
    sub = devices.add_subparsers(dest="devices_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", help="list declared (and imported) entities")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--area", help="only entities in this area id")
    listing.add_argument("--domain", choices=[d.value for d in Domain], help="only this domain")
    listing.set_defaults(handler=_list)
    test = sub.add_parser("test", help="send one action through the dispatcher, print the outcome")
    test.add_argument("entity", metavar="ENTITY", help="entity id, e.g. light.kitchen_ceiling")
    test.add_argument(
        "--action",
        choices=[a.value for a in Action],
        help="action to send (default: turn_on, open or lock, whichever the entity has)",
    )
    test.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="action parameter, e.g. brightness=50 (repeatable)",
    )
    test.add_argument("--yes", action="store_true", help="confirm a sensitive device")
    test.add_argument("--json", action="store_true", help="print the outcome as JSON")
    test.set_defaults(handler=_test)


def describe(entity: Entity, *, imported: bool = False) -> dict[str, Any]:
    """Plain-data view of an entity: its fields plus derived domain, actions, sensitivity."""
    data = entity.model_dump(mode="json", exclude_none=True)
    data["domain"] = entity.domain.value
    data["actions"] = [action.value for action in entity.actions]
    data["sensitive"] = entity.is_sensitive
    data["transport"] = entity.transport
    data["imported"] = imported
    return data


def _list(args: argparse.Namespace) -> int:
    from edge_os.action.discovery_import import registry_with_imports

    registry = registry_with_imports(load_config(discover_config_path(args.config)))
    entities = list(registry)
    if args.area:
        entities = [entity for entity in entities if entity.area == args.area]
    if args.domain:
        entities = [entity for entity in entities if entity.domain.value == args.domain]
    if args.json:
        listed = [describe(e, imported=e.id in registry.imported) for e in entities]
        print(json.dumps(listed, indent=2))
        return 0
    rows = [("ENTITY", "NAME", "AREA", "ACTIONS", "TRANSPORT")]
    for entity in entities:
        if entity.gpio is not None:
            where = f"gpio {entity.gpio.pin} ({entity.gpio.kind})"
        else:
            assert entity.mqtt is not None  # exactly one transport is validated at load
            where = f"mqtt {entity.mqtt.command_topic or entity.mqtt.state_topic}"
        if entity.id in registry.imported:
            where += " (imported)"
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


def _params(pairs: list[str]) -> dict[str, str | int | float]:
    params: dict[str, str | int | float] = {}
    for pair in pairs:
        key, eq, text = pair.partition("=")
        if not eq or not key:
            raise UsageError(ErrorCode.ACTION_FAILED, f"--param {pair!r}: expected KEY=VALUE")
        value: str | int | float = text
        for kind in (int, float):
            try:
                value = kind(text)
                break
            except ValueError:
                continue
        params[key.strip()] = value
    return params


def _test(args: argparse.Namespace) -> int:
    from edge_os.action.mqtt import cli_session
    from edge_os.action.probe import send_one

    config = load_config(discover_config_path(args.config))
    action = Action(args.action) if args.action else None
    with cli_session(config) as own:  # never the service's client id or queue
        outcome, latency_ms, refused = send_one(
            own, args.entity, action, _params(args.param), confirmed=args.yes
        )
    status = outcome.status.value
    if args.json:
        print(
            json.dumps(
                {
                    "entity_id": outcome.request.entity_id,
                    "action": outcome.request.action.value,
                    "params": dict(outcome.request.params),
                    "status": status,
                    "reason": outcome.reason,
                    "latency_ms": round(latency_ms, 2),
                }
            )
        )
    else:
        reason = f" ({outcome.reason})" if outcome.reason else ""
        print(f"{outcome.request.entity_id} {outcome.request.action.value}: {status}{reason}")
    if refused:
        return 2  # an entity or action the registry does not have: fix the command line
    return {"done": 0, "queued": 0, "needs-confirmation": 2}.get(status, 1)
