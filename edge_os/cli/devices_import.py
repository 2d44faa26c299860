"""``edge-os devices import``: declare in the config file the devices others announce.

- ``--z2m FILE``: a Zigbee2MQTT ``bridge/devices`` list (``mosquitto_sub -t
  zigbee2mqtt/bridge/devices -C 1 > devices.json``), read by
  :mod:`edge_os.drivers.discovery.zigbee2mqtt`;
- ``--discovery``: the Home Assistant MQTT discovery configs retained on the configured
  broker (Zigbee2MQTT, Tasmota, ESPHome and others announce there), read for
  ``--seconds`` and mapped as the running service maps them.

Each entity is validated like one written by hand; one whose id is already in the file is
left alone. ``--dry-run`` prints what would be added. The file keeps its comments and order.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.errors import ErrorCode, UsageError

if TYPE_CHECKING:
    from edge_os.config.edit import ConfigDocument
    from edge_os.config.settings import Config
    from edge_os.devices.entity import Entity

MAX_DUMP_BYTES = 8 * 1024 * 1024


def add_parser(sub: Any) -> None:
    """Register ``devices import``."""
    parser = sub.add_parser("import", help="add the devices Zigbee2MQTT or HA discovery announce")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--z2m", type=Path, metavar="FILE", help="a bridge/devices JSON dump")
    source.add_argument(
        "--discovery", action="store_true", help="read HA discovery configs on the broker"
    )
    parser.add_argument("--base-topic", default="zigbee2mqtt", help="Zigbee2MQTT's base topic")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to read discovery")
    parser.add_argument("--area", help="area id to put the new devices in")
    parser.add_argument("--dry-run", action="store_true", help="print, change nothing")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=_import)


def _from_z2m(path: Path, base_topic: str, area: str | None) -> tuple[list[Entity], list[Any]]:
    from edge_os.drivers.discovery.zigbee2mqtt import entities_from_bridge_devices

    try:
        data = path.read_bytes()
    except OSError as err:
        raise UsageError(ErrorCode.CONFIG_UNREADABLE, f"{path}: {err.strerror or err}") from None
    if len(data) > MAX_DUMP_BYTES:
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{path}: over {MAX_DUMP_BYTES >> 20} MiB")
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise UsageError(ErrorCode.CONFIG_SYNTAX, f"{path}: not JSON ({err})") from None
    found = entities_from_bridge_devices(parsed, base_topic=base_topic, area=area)
    return found.entities, found.skipped


def _from_discovery(config: Config, seconds: float) -> tuple[list[Entity], list[Any]]:
    """The retained discovery configs on the broker, mapped (edge-os's own left out)."""
    from edge_os.devices.registry import DeviceRegistry
    from edge_os.drivers.discovery.components import RejectedDiscoveryError
    from edge_os.drivers.discovery.mapping import entity_from_discovery
    from edge_os.drivers.discovery.publish import node_id

    prefix = config.mqtt.discovery.prefix
    configs = _retained_configs(config, seconds)
    areas = DeviceRegistry.from_config(config)
    own = node_id(config)
    entities: list[Entity] = []
    skipped: list[Any] = []
    for topic, payload in sorted(configs.items()):
        parts = topic[len(prefix) + 1 :].split("/")
        component, object_id = parts[0], parts[-2]
        if len(parts) == 4 and parts[1] == own:
            continue  # edge-os's own entities
        if not payload:
            continue  # a removed device
        try:
            entities.append(entity_from_discovery(component, object_id, payload, areas).entity)
        except RejectedDiscoveryError as err:
            skipped.append((topic, str(err)))
    return entities, skipped


def _retained_configs(config: Config, seconds: float) -> dict[str, bytes]:
    """Topic -> payload of the discovery configs the broker holds, read for ``seconds``."""
    from edge_os.drivers.mqtt.connection import tool_client

    settings = config.mqtt
    if settings.host is None:
        raise UsageError(
            ErrorCode.MQTT_FAILED,
            "mqtt.host is null: on edge-os's own broker nothing announces devices; set "
            "mqtt.host to the broker Zigbee2MQTT or Home Assistant use",
        )
    prefix = settings.discovery.prefix
    configs: dict[str, bytes] = {}
    lock = threading.Lock()
    connected = threading.Event()
    client = tool_client(settings, f"edge-os-{config.site.id}-import")

    def on_connect(c: Any, userdata: Any, flags: Any, reason: Any, props: Any = None) -> None:
        if not getattr(reason, "is_failure", False):
            c.subscribe(f"{prefix}/#", qos=1)
            connected.set()

    def on_message(c: Any, userdata: Any, message: Any) -> None:
        if message.topic.endswith("/config") and len(message.payload) <= 64 * 1024:
            with lock:
                configs[message.topic] = bytes(message.payload)

    client.on_connect = on_connect
    client.on_message = on_message
    try:
        client.connect(settings.host, settings.port, keepalive=10)
    except OSError as err:
        raise UsageError(
            ErrorCode.MQTT_FAILED, f"cannot reach {settings.host}:{settings.port}: {err}"
        ) from None
    client.loop_start()
    try:
        if not connected.wait(5):
            raise UsageError(
                ErrorCode.MQTT_FAILED, f"{settings.host}:{settings.port} refused the login"
            )
        time.sleep(seconds)
    finally:
        client.disconnect()
        client.loop_stop()
    with lock:
        return dict(configs)


def _added(doc: ConfigDocument, entities: list[Entity]) -> tuple[list[Entity], list[str]]:
    """Append to ``doc`` the entities whose id it lacks: (those added, ids already there)."""
    from edge_os.config.edit import yaml_node

    present = {
        str(item.get("id")) for item in doc.data.get("entities") or [] if isinstance(item, dict)
    }
    new = [entity for entity in entities if entity.id not in present]
    for entity in new:
        doc.append(
            ("entities",),
            yaml_node(entity.model_dump(mode="json", exclude_defaults=True, exclude_none=True)),
        )
    return new, sorted(entity.id for entity in entities if entity.id in present)


def import_into(path: Path, config: Config, seconds: float = 3.0) -> tuple[list[str], list[Any]]:
    """Add the devices announced on ``config``'s broker to the file at ``path`` (setup)."""
    from edge_os.config.edit import ConfigDocument

    entities, skipped = _from_discovery(config, seconds)
    doc = ConfigDocument.open(path, command="setup")
    new, _ = _added(doc, entities)
    if new:
        doc.save()
    return [entity.id for entity in new], skipped


def _import(args: argparse.Namespace) -> int:
    from edge_os.config.edit import ConfigDocument, default_path

    path = discover_config_path(args.config)
    config = load_config(path)
    if args.area is not None and args.area not in {area.id for area in config.areas}:
        known = ", ".join(area.id for area in config.areas) or "none declared"
        raise UsageError(ErrorCode.DEVICE_UNKNOWN, f"unknown area {args.area!r} ({known})")
    if args.z2m is not None:
        entities, skipped = _from_z2m(args.z2m, args.base_topic, args.area)
    else:
        entities, skipped = _from_discovery(config, args.seconds)
        if args.area is not None:
            entities = [e if e.area else e.model_copy(update={"area": args.area}) for e in entities]
    doc = ConfigDocument.open(path or default_path(), command="devices import")
    new, already = _added(doc, entities)
    if new and not args.dry_run:
        doc.save()
    report = {
        "file": str(doc.path),
        "added": [entity.id for entity in new],
        "already_there": already,
        "skipped": [{"device": device, "why": why} for device, why in skipped],
        "dry_run": args.dry_run,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    verb = "would add" if args.dry_run else "added"
    for entity in new:
        print(f"{verb} {entity.id} ({entity.name!r})")
    for entity_id in report["already_there"]:
        print(f"already there: {entity_id}")
    for device, why in skipped:
        print(f"skipped {device}: {why}")
    if args.dry_run and new:
        from edge_os.config.loader import to_yaml

        dumped = [e.model_dump(mode="json", exclude_defaults=True, exclude_none=True) for e in new]
        print(to_yaml({"entities": dumped}), end="")
    elif new:
        from edge_os.cli.config_cmd import print_apply_hint

        print_apply_hint(doc.validate(doc.text))
    return 0
