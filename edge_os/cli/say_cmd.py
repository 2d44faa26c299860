"""``edge-os say "TEXT"``: text -> intent -> planned actions -> dispatcher, as text or JSON.

``--dry-run`` stops after planning. Otherwise, when ``edge-os run`` is running with the
same ``state_dir``, the text is handed to it over its local socket
(:mod:`edge_os.service.local`): the service carries it out in turn with what it hears,
with its own connection, queue, follow-up context and pending confirmation, so a later
``say yes`` confirms what an earlier ``say`` held. With no service running, ``say``
carries it out in this process through the same command path: the dispatcher (which
refuses anything the registry does not declare) over only the transports it needs, an
embedded Mosquitto when ``mqtt.host`` is null, gpiozero's MockFactory off a Pi; MQTT then
goes through :func:`~edge_os.drivers.mqtt.driver.cli_session` (a client id and a queue of this
process's own), and what the broker does not confirm within ``mqtt.ack_timeout_seconds``
is reported as failed, since nothing will send it later. Sensitive devices (locks, garage
doors) are held until ``--yes`` says the spoken "yes". The report's ``handled_by`` says
which: ``service`` or ``this process``.

Timers and delayed commands ("turn off the lights in 5 minutes") go into the durable
timer table under ``state_dir``, the one the running service (``edge-os run``) fires:
a delayed sensitive action asks for its "yes" when it runs; ``--yes`` does not cover it.
``--dry-run`` uses a table in memory, so it changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.errors import EdgeOSError, ErrorCode, UsageError

if TYPE_CHECKING:
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
    from edge_os.drivers.discovery.importer import registry_with_imports
    from edge_os.stages.outcome import OutcomeStatus

    config = load_config(discover_config_path(args.config))
    registry = registry_with_imports(config)
    if args.area is not None and registry.area(args.area) is None:
        known = ", ".join(area.id for area in registry.areas) or "none declared"
        raise UsageError(
            ErrorCode.DEVICE_UNKNOWN, f"unknown area {args.area!r} (expected: {known})"
        )
    if args.dry_run:
        report = _dry_run(config, registry, args)
    else:
        report = _by_service(config, args) or _carry_out(config, args)
    if args.json:
        print(json.dumps(report))
    else:
        _print_text(report)
    failed = OutcomeStatus.FAILED.value
    return 1 if any(o["status"] == failed for o in report["outcomes"]) else 0


def _dry_run(config: Config, registry: DeviceRegistry, args: argparse.Namespace) -> dict[str, Any]:
    """Recognise and plan, as the service would, without acting or storing anything."""
    from edge_os.intent.answer import TimerTable, answer
    from edge_os.intent.engine import load_fallback
    from edge_os.intent.plan import plan
    from edge_os.pipeline.assistant import intent_engine
    from edge_os.pipeline.text import report
    from edge_os.scheduler.timers import local_now

    engine = intent_engine(config, registry, llm=False)
    results = engine.recognize_all(args.text, area=args.area)
    if not any(r.understood for r in results):  # the LLM costs seconds to load: only now
        engine.fallback = load_fallback(registry, config.intent, config.state_dir)
        if engine.fallback is not None:
            results = engine.recognize_all(args.text, area=args.area)
    requests = [request for result in results for request in plan(result, registry)]
    said = [
        answer(
            result,
            registry,
            local_now,
            TimerTable(local_now),
            area=args.area or config.site.area,
            understands=lambda text: engine.recognize(text, area=args.area).understood,
        )
        for result in results
    ]
    return report(results[0], requests, [], " ".join(s for s in said if s) or None)


def _by_service(config: Config, args: argparse.Namespace) -> dict[str, Any] | None:
    """The running service's report for the text, or None when no service answers."""
    from edge_os.service.local import LocalRequest, NoServiceError, ask, socket_path

    path = socket_path(config.state_dir)
    request = LocalRequest(args.text.strip(), args.area, args.yes)
    wait = config.intent.command_timeout_seconds + config.intent.confirm_timeout_seconds + 5
    try:
        answer = ask(path, request, wait)
    except NoServiceError:
        return None
    except PermissionError:
        print(
            f"edge-os: {path} belongs to the service's user; carrying the command out in "
            "this process (run as that user to hand it to the service)",
            file=sys.stderr,
        )
        return None
    except TimeoutError:
        raise EdgeOSError(
            ErrorCode.INTENT_FAILED,
            f"the running service did not answer within {wait:g} s; it may still carry "
            "the command out",
        ) from None
    except OSError as err:
        raise EdgeOSError(
            ErrorCode.INTENT_FAILED, f"cannot hand the command to the running service: {err}"
        ) from None
    if "error" in answer:
        error = EdgeOSError(_code(answer.get("code")), f"the service: {answer['error']}")
        error.exit_code = 2 if answer.get("exit") == 2 else 1
        raise error
    return {**answer["report"], "handled_by": "service"}


def _code(value: Any) -> ErrorCode:
    try:
        return ErrorCode(value)
    except ValueError:
        return ErrorCode.INTENT_FAILED


def _carry_out(config: Config, args: argparse.Namespace) -> dict[str, Any]:
    """The text through the service's own command path (confirmation, the hold on what
    only a model understood, timers, answers), in this process, as source ``text``."""
    from edge_os.drivers.mqtt.driver import cli_session
    from edge_os.pipeline.assistant import open_assistant
    from edge_os.pipeline.text import run_text
    from edge_os.stages.events import Event

    events: list[Event] = []
    with cli_session(config) as own, open_assistant(own, listen=False, speak=False) as assistant:
        report = run_text(assistant.command, args.text, events.append, area=args.area, yes=args.yes)
    return {**report, "handled_by": "this process"}


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
