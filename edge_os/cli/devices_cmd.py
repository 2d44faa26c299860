"""``edge-os devices list|test|add|remove|rename|alias``: the registry, shown and changed.

Changes go through the config file like ``edge-os config set`` (comments kept, validated
by the loader before writing, atomic; :mod:`edge_os.config.edit`).

With ``mqtt.discovery.import_entities`` the list includes what the running service imported
via Home Assistant MQTT discovery, marked ``imported`` (``"imported": true`` in JSON).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import typing
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from edge_os.config.edit import ConfigDocument, default_path, parse_value
from edge_os.config.loader import discover_config_path, load_config
from edge_os.devices.entity import Action, Domain, Entity, GpioBinding
from edge_os.errors import ConfigError, ConfigIssue, ErrorCode, UsageError

START_HINT = (
    "no devices yet: add one with `edge-os devices add light.desk --name 'Desk lamp' "
    "--mqtt-command-topic cmnd/desk/POWER` (or --gpio-pin 17), or import what Home Assistant "
    "announces with `edge-os config set mqtt.discovery.import_entities true`"
)
"""Printed on stderr by ``devices list`` when the registry is empty."""
GPIO_KINDS: list[str] = list(typing.get_args(GpioBinding.model_fields["kind"].annotation))


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
    _add_edit_parsers(sub)


def _add_edit_parsers(sub: Any) -> None:
    add = sub.add_parser("add", help="declare a device (MQTT or GPIO) in the config file")
    add.add_argument("entity", metavar="ENTITY_ID", help="e.g. light.desk_lamp")
    add.add_argument("--name", required=True, help="spoken name, e.g. 'Desk lamp'")
    add.add_argument("--area", help="area id (from `areas:`)")
    transport = add.add_mutually_exclusive_group(required=True)
    transport.add_argument("--mqtt-command-topic", metavar="TOPIC", help="topic commands go to")
    transport.add_argument("--gpio-pin", type=int, metavar="N", help="BCM pin number (0-27)")
    add.add_argument("--mqtt-state-topic", metavar="TOPIC", help="topic the device reports on")
    add.add_argument("--gpio-kind", choices=GPIO_KINDS, help="gpiozero class (default: LED)")
    add.set_defaults(handler=_add)
    remove = sub.add_parser("remove", help="remove a device from the config file")
    remove.add_argument("entity", metavar="ENTITY_ID")
    remove.set_defaults(handler=_remove)
    rename = sub.add_parser("rename", help="change a device's spoken name")
    rename.add_argument("entity", metavar="ENTITY_ID")
    rename.add_argument("name", metavar="NAME")
    rename.set_defaults(handler=_rename)
    alias = sub.add_parser("alias", help="add (or --remove) another spoken name of a device")
    alias.add_argument("entity", metavar="ENTITY_ID")
    alias.add_argument("alias", metavar="ALIAS")
    alias.add_argument("--remove", action="store_true", help="remove this alias instead")
    alias.set_defaults(handler=_alias)
    from edge_os.cli import devices_import

    devices_import.add_parser(sub)


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
    from edge_os.drivers.discovery.importer import registry_with_imports

    registry = registry_with_imports(load_config(discover_config_path(args.config)))
    entities = list(registry)
    if not entities:
        print(f"edge-os: {START_HINT}", file=sys.stderr)
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
    from edge_os.drivers.mqtt.driver import cli_session
    from edge_os.drivers.probe import send_one

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


def _open(args: argparse.Namespace, command: str, *, create: bool = False) -> ConfigDocument:
    path = discover_config_path(args.config)
    if path is None and not create:
        raise UsageError(
            ErrorCode.DEVICE_UNKNOWN, "no config file, so no devices: add one with `devices add`"
        )
    return ConfigDocument.open(path or default_path(), command=command)


def _index(doc: ConfigDocument, entity_id: str) -> int:
    """Where ``entity_id`` is in the file's ``entities``; exit 2 naming the closest ids."""
    entities = doc.data.get("entities") or []
    ids = [str(item.get("id")) for item in entities if isinstance(item, dict)]
    for index, item in enumerate(entities):
        if isinstance(item, dict) and item.get("id") == entity_id:
            return index
    near = difflib.get_close_matches(entity_id, ids, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise UsageError(ErrorCode.DEVICE_UNKNOWN, f"{entity_id}: no such entity in {doc.path}{hint}")


def _save(doc: ConfigDocument, entity_id: str, index: int | None) -> None:
    """Validate and write; the loader's errors are re-told with the entity they concern."""
    try:
        doc.save()
    except ConfigError as err:
        prefix = f"entities[{index}]" if index is not None else "\0"
        issues = [
            ConfigIssue(
                issue.file, issue.key_path, f"{issue.message} (entity {entity_id})", issue.line
            )
            if issue.key_path.startswith(prefix)
            else issue
            for issue in err.issues
        ]
        raise ConfigError(err.code, issues) from None


def _add(args: argparse.Namespace) -> int:
    if args.gpio_pin is None and (args.gpio_kind is not None):
        raise UsageError(ErrorCode.CONFIG_INVALID, "--gpio-kind goes with --gpio-pin")
    if args.mqtt_command_topic is None and args.mqtt_state_topic is not None:
        raise UsageError(
            ErrorCode.CONFIG_INVALID, "--mqtt-state-topic goes with --mqtt-command-topic"
        )
    doc = _open(args, "devices add", create=True)
    entities = doc.data.get("entities") or []
    if any(isinstance(item, dict) and item.get("id") == args.entity for item in entities):
        raise UsageError(
            ErrorCode.CONFIG_INVALID,
            f"{args.entity}: already in {doc.path} (rename it, or remove it first)",
        )
    item = CommentedMap(
        [("id", parse_value(json.dumps(args.entity))), ("name", parse_value(json.dumps(args.name)))]
    )
    if args.area:
        item["area"] = parse_value(json.dumps(args.area))
    if args.gpio_pin is not None:
        item["gpio"] = CommentedMap([("pin", args.gpio_pin), ("kind", args.gpio_kind or "LED")])
    else:
        mqtt = CommentedMap([("command_topic", parse_value(json.dumps(args.mqtt_command_topic)))])
        if args.mqtt_state_topic:
            mqtt["state_topic"] = parse_value(json.dumps(args.mqtt_state_topic))
        item["mqtt"] = mqtt
    doc.append(("entities",), item)
    _save(doc, args.entity, len(entities))
    print(f"{doc.path}: added {args.entity} ({args.name!r})")
    return _restart_hint(doc)


def _remove(args: argparse.Namespace) -> int:
    doc = _open(args, "devices remove")
    index = _index(doc, args.entity)
    doc.unset(("entities", index))
    _save(doc, args.entity, None)
    print(f"{doc.path}: removed {args.entity}")
    return _restart_hint(doc)


def _rename(args: argparse.Namespace) -> int:
    doc = _open(args, "devices rename")
    index = _index(doc, args.entity)
    old = doc.data["entities"][index].get("name")
    doc.set(("entities", index, "name"), parse_value(json.dumps(args.name)))
    _save(doc, args.entity, index)
    print(f"{doc.path}: {args.entity}: name {old!r} -> {args.name!r}")
    return _restart_hint(doc)


def _alias(args: argparse.Namespace) -> int:
    doc = _open(args, "devices alias")
    index = _index(doc, args.entity)
    current = doc.data["entities"][index].get("aliases") or []
    aliases = [str(alias) for alias in current]
    if args.remove:
        if args.alias not in aliases:
            raise UsageError(
                ErrorCode.CONFIG_INVALID, f"{args.entity}: has no alias {args.alias!r}"
            )
        aliases.remove(args.alias)
    elif args.alias in aliases:
        print(f"{doc.path}: {args.entity} already has the alias {args.alias!r}")
        return 0
    else:
        aliases.append(args.alias)
    flow = not isinstance(current, CommentedSeq) or bool(current.fa.flow_style())
    value = (
        parse_value(json.dumps(aliases)) if flow else CommentedSeq(parse_value(json.dumps(aliases)))
    )
    if not aliases:
        doc.unset(("entities", index, "aliases"))
    else:
        doc.set(("entities", index, "aliases"), value)
    _save(doc, args.entity, index)
    print(f"{doc.path}: {args.entity}: aliases {aliases}")
    return _restart_hint(doc)


def _restart_hint(doc: ConfigDocument) -> int:
    from edge_os.cli.config_cmd import print_apply_hint

    print_apply_hint(doc.validate(doc.text))
    return 0
