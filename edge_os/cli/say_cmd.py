"""``edge-os say "TEXT"``: text -> intent -> planned actions -> dispatcher, as text or JSON.

``--dry-run`` stops after planning. Otherwise the actions go through the dispatcher (which
refuses anything the registry does not declare) over only the transports they need: an
embedded Mosquitto when ``mqtt.host`` is null, gpiozero's MockFactory off a Pi. Sensitive
devices (locks, garage doors) are held until ``--yes`` says the spoken "yes". MQTT goes
through :func:`~edge_os.action.mqtt.cli_session`: a client id and a queue of this process's
own, so ``say`` never knocks the running service off the broker; what the broker does not
confirm within ``mqtt.ack_timeout_seconds`` is reported as failed, since nothing will send
it later.

Timers and delayed commands ("turn off the lights in 5 minutes") go into the durable
timer table under ``state_dir``, the one the running service (``edge-os run``) fires:
a delayed sensitive action asks for its "yes" when it runs; ``--yes`` does not cover it.
``--dry-run`` uses a table in memory, so it changes nothing.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.errors import ErrorCode, UsageError

if TYPE_CHECKING:
    from edge_os.action.outcome import ActionOutcome, ActionRequest
    from edge_os.config.settings import Config
    from edge_os.devices.registry import DeviceRegistry


def add_parser(commands: Any) -> None:
    """Register ``say``."""
    parser = commands.add_parser("say", help="turn a text command into an intent and act on it")
    parser.add_argument("text", help="the command, e.g. 'turn on the kitchen light'")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--dry-run", action="store_true", help="show the intent and actions without executing"
    )
    parser.add_argument("--area", help="area id the command is said in (default: site.area)")
    parser.add_argument(
        "--yes", action="store_true", help="confirm sensitive devices (the spoken 'yes')"
    )
    parser.set_defaults(handler=_say)


def _say(args: argparse.Namespace) -> int:
    from edge_os.action.outcome import OutcomeStatus
    from edge_os.devices.registry import DeviceRegistry
    from edge_os.intent.answer import TimerTable, answer
    from edge_os.intent.engine import IntentEngine, load_fallback
    from edge_os.intent.plan import plan
    from edge_os.scheduler.timers import local_now

    config = load_config(discover_config_path(args.config))
    registry = DeviceRegistry.from_config(config)
    if args.area is not None and registry.area(args.area) is None:
        known = ", ".join(area.id for area in registry.areas) or "none declared"
        raise UsageError(
            ErrorCode.DEVICE_UNKNOWN, f"unknown area {args.area!r} (expected: {known})"
        )
    engine = IntentEngine(
        registry, config.intent, default_area=config.site.area, language=config.site.language
    )
    result = engine.recognize(args.text, area=args.area)
    if not result.understood:  # the LLM costs seconds to load: only when the grammar fails
        engine.fallback = load_fallback(registry, config.intent, config.state_dir)
        if engine.fallback is not None:
            result = engine.recognize(args.text, area=args.area)
    requests = plan(result, registry)
    outcomes = [] if args.dry_run else execute(config, registry, requests, confirmed=args.yes)
    report: dict[str, Any] = {
        "text": result.text,
        "intent": result.intent,
        "slots": dict(result.slots),
        "targets": list(result.targets),
        "confidence": result.confidence,
        "path": result.path,
        "latency_ms": round(result.latency_ms, 3),
        "actions": [
            {"entity_id": r.entity_id, "action": r.action.value, "params": dict(r.params)}
            for r in requests
        ],
        "outcomes": [
            {
                "entity_id": o.request.entity_id,
                "action": o.request.action.value,
                "status": o.status.value,
                "reason": o.reason,
            }
            for o in outcomes
        ],
        "answer": None,
        "executed": bool(outcomes),
    }
    timers = TimerTable(local_now) if args.dry_run else TimerTable.open(config.state_dir)
    try:
        report["answer"] = answer(
            result,
            registry,
            local_now,
            timers,
            area=args.area or config.site.area,
            understands=lambda text: engine.recognize(text, area=args.area).understood,
        )
    finally:
        timers.close()
    if args.json:
        print(json.dumps(report))
    else:
        _print_text(report)
    return 1 if any(o.status is OutcomeStatus.FAILED for o in outcomes) else 0


def execute(
    config: Config, registry: DeviceRegistry, requests: Sequence[ActionRequest], *, confirmed: bool
) -> list[ActionOutcome]:
    """Send ``requests`` through the dispatcher, starting only the transports they need."""
    if not requests:
        return []
    from edge_os.action.dispatcher import Dispatcher
    from edge_os.action.gpio import GpioDriver, make_pin_factory
    from edge_os.action.mqtt import cli_session, open_mqtt

    dispatcher = Dispatcher(registry, confirm_sensitive=config.intent.confirm_sensitive)
    entities = [e for e in map(registry.get, (r.entity_id for r in requests)) if e is not None]
    with ExitStack() as stack:
        wired = [e for e in entities if e.transport == "gpio"]
        if wired:
            gpio = GpioDriver(wired, make_pin_factory(config.gpio.pin_factory))
            stack.callback(gpio.close)
            dispatcher.drivers["gpio"] = gpio
        over_mqtt = [e for e in entities if e.transport == "mqtt"]
        if over_mqtt:  # its own client id and queue: the running service is not disturbed
            own = stack.enter_context(cli_session(config))
            dispatcher.drivers["mqtt"] = stack.enter_context(open_mqtt(own, over_mqtt))
        return [dispatcher.execute(request, confirmed=confirmed) for request in requests]


def _print_text(report: dict[str, Any]) -> None:
    if report["intent"] is None:
        print(f"not understood ({report['path']}, {report['latency_ms']} ms)")
        return
    slots = " ".join(f"{key}={value}" for key, value in report["slots"].items())
    print(
        f"{report['intent']} {slots}".rstrip()
        + f"  ({report['path']}, confidence {report['confidence']}, {report['latency_ms']} ms)"
    )
    statuses = {(o["entity_id"], o["action"]): o for o in report["outcomes"]}
    for action in report["actions"]:
        params = " ".join(f"{key}={value}" for key, value in action["params"].items())
        line = f"  -> {action['entity_id']} {action['action']} {params}".rstrip()
        outcome = statuses.get((action["entity_id"], action["action"]))
        if outcome is not None:
            line += f": {outcome['status']}" + (
                f" ({outcome['reason']})" if outcome["reason"] else ""
            )
        print(line)
    if report["answer"]:
        print(report["answer"])
