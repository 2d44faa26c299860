"""``edge-os apps list|test|enable|disable``: the apps of ``apps.paths`` and what they may do.

``list`` shows each app with its sentences, its permissions and, when it is off, why.
``test "SENTENCE"`` shows which app would answer it and the device actions it would take,
without taking them. ``enable``/``disable`` edit ``apps.disabled`` in the config file
(comments and order kept); the running service reads it at its next start.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.errors import ErrorCode, UsageError

if TYPE_CHECKING:
    from edge_os.apps.book import App, AppBook
    from edge_os.config.settings import Config


def add_parser(commands: Any) -> None:
    """Register ``apps`` and its subcommands."""
    parser = commands.add_parser("apps", help="list, try, enable or disable apps")
    sub = parser.add_subparsers(dest="apps_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", help="every app, its permissions, and why one is off")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)
    test = sub.add_parser("test", help="which app a sentence runs, and what it would do")
    test.add_argument("sentence")
    test.add_argument("--json", action="store_true", help="print JSON")
    test.set_defaults(handler=_test)
    for name, wanted in (("enable", True), ("disable", False)):
        command = sub.add_parser(name, help=f"{name} an app (in the config file)")
        command.add_argument("name")
        command.set_defaults(handler=_switch, enable=wanted)


def _book(config: Config) -> AppBook:
    from edge_os.action.discovery_import import registry_with_imports
    from edge_os.apps.book import AppBook
    from edge_os.intent.engine import build_engine

    registry = registry_with_imports(config)
    grammar = build_engine(registry, config.intent, config.site.area).grammar
    return AppBook.load(
        config.apps.paths,
        registry,
        disabled=config.apps.disabled,
        understands=lambda text: grammar.recognize(text).understood,
    )


def _describe(app: App) -> dict[str, Any]:
    spec = app.spec
    state = "on" if app.active else "off" if app.problem else "disabled"
    return {
        "name": app.name,
        "folder": str(app.folder.resolve()),
        "state": state,
        "problem": app.problem,
        "description": spec.description if spec else None,
        "sentences": list(spec.sentences) if spec else [],
        "permissions": [
            {"entities": p.entities, "actions": [a.value for a in p.actions]}
            for p in (spec.permissions if spec else [])
        ],
    }


def _list(args: argparse.Namespace) -> int:
    config = load_config(discover_config_path(args.config))
    if not config.apps.paths:
        print("no apps: set apps.paths (edge-os config set apps.paths '[/etc/edge-os/apps]')")
        return 0
    apps = [_describe(app) for app in _book(config).apps]
    if args.json:
        print(json.dumps({"apps": apps}))
        return 0
    for app in apps:
        print(f"{app['name']}  [{app['state']}]  {app['folder']}")
        if app["problem"]:
            print(f"  problem: {app['problem']}")
        for sentence in app["sentences"]:
            print(f'  says: "{sentence}"')
        for permission in app["permissions"]:
            actions, entities = ", ".join(permission["actions"]), ", ".join(permission["entities"])
            print(f"  may: {actions} on {entities}")
    return 0


def _test(args: argparse.Namespace) -> int:
    from edge_os.action.discovery_import import registry_with_imports

    config = load_config(discover_config_path(args.config))
    book = _book(config)
    result, requests = book.read(args.sentence, registry_with_imports(config))
    report = {
        "sentence": args.sentence,
        "app": result.slots.get("app"),
        "actions": [
            {"entity_id": r.entity_id, "action": r.action.value, "params": dict(r.params)}
            for r in requests
        ],
    }
    if args.json:
        print(json.dumps(report))
    elif report["app"] is None:
        print("no app says that")
    else:
        print(f"{report['app']}:")
        for action in report["actions"]:
            params = " ".join(f"{k}={v}" for k, v in action["params"].items())
            print(f"  -> {action['entity_id']} {action['action']} {params}".rstrip())
    return 0 if report["app"] is not None else 1


def _switch(args: argparse.Namespace) -> int:
    from edge_os.cli.config_cmd import print_apply_hint
    from edge_os.config.edit import ConfigDocument

    path = discover_config_path(args.config)
    if path is None:
        raise UsageError(ErrorCode.CONFIG_NOT_FOUND, "no config file: apps live in apps.paths")
    config = load_config(path)
    names = [app.name for app in _book(config).apps]
    if args.name not in names:
        known = ", ".join(names) or "none"
        raise UsageError(ErrorCode.CONFIG_INVALID, f"no app called {args.name!r} (apps: {known})")
    disabled = [name for name in config.apps.disabled if name != args.name]
    if not args.enable:
        disabled.append(args.name)
    doc = ConfigDocument.open(path, command=f"apps {'enable' if args.enable else 'disable'}")
    doc.set(("apps", "disabled"), disabled)
    print_apply_hint(doc.save())
    print(f"{path}: apps.disabled: {disabled}")
    return 0
