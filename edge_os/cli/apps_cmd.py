"""``edge-os apps list|test|install|remove|enable|disable``: apps and what they may do.

``list`` shows each app (of ``apps.paths`` and of pip packages) with its sentences, its
permissions and, when it is off, why. ``test "SENTENCE"`` shows which app would answer it
and the device actions it would take, without taking them. ``install FOLDER`` shows the
app's permissions, asks, and copies it into the first of ``apps.paths``; ``remove NAME``
deletes it from there. ``enable``/``disable`` edit ``apps.disabled`` in the config file
(comments and order kept). The running service reads apps at its next start.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
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
    install = sub.add_parser("install", help="show an app's permissions, ask, and install it")
    install.add_argument("folder", type=Path, help="a folder with an app.yaml")
    install.add_argument("--yes", action="store_true", help="accept its permissions")
    install.set_defaults(handler=_install)
    remove = sub.add_parser("remove", help="delete an installed app")
    remove.add_argument("name")
    remove.add_argument("--yes", action="store_true", help="do not ask")
    remove.set_defaults(handler=_remove)
    for name, wanted in (("enable", True), ("disable", False)):
        command = sub.add_parser(name, help=f"{name} an app (in the config file)")
        command.add_argument("name")
        command.set_defaults(handler=_switch, enable=wanted)


def _book(config: Config) -> AppBook:
    from edge_os.apps.book import AppBook
    from edge_os.drivers.discovery.importer import registry_with_imports
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
    from edge_os.drivers.discovery.importer import registry_with_imports

    config = load_config(discover_config_path(args.config))
    book = _book(config)
    reading = book.read(args.sentence, registry_with_imports(config), area=config.site.area)
    result, requests = reading.result, reading.requests
    report = {
        "sentence": args.sentence,
        "app": result.slots.get("app"),
        "actions": [
            {"entity_id": r.entity_id, "action": r.action.value, "params": dict(r.params)}
            for r in requests
        ],
        "say": reading.say,
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


def _ask(question: str, yes: bool) -> None:
    """Go on only with ``--yes`` or a typed yes; exit 2 otherwise."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(ErrorCode.NOT_AVAILABLE, f"{question} Run again with --yes to agree.")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in {"y", "yes"}:
        raise UsageError(ErrorCode.NOT_AVAILABLE, "nothing changed")


def _install(args: argparse.Namespace) -> int:
    from edge_os.apps.spec import read_spec

    config = load_config(discover_config_path(args.config))
    if not config.apps.paths:
        raise UsageError(
            ErrorCode.CONFIG_INVALID,
            "no apps.paths to install into: edge-os config set apps.paths '[/etc/edge-os/apps]'",
        )
    source: Path = args.folder
    try:
        spec = read_spec(source)
    except ValueError as err:
        raise UsageError(ErrorCode.CONFIG_INVALID, str(err)) from None
    target = config.apps.paths[0] / source.resolve().name
    if target.exists() or spec.name in [app.name for app in _book(config).apps]:
        raise UsageError(ErrorCode.CONFIG_INVALID, f"an app called {spec.name} is installed")
    print(f"{spec.name}: {spec.description}".rstrip(": "))
    for sentence in spec.sentences:
        print(f'  says: "{sentence}"')
    for permission in spec.permissions:
        actions = ", ".join(action.value for action in permission.actions)
        print(f"  may: {actions} on {', '.join(permission.entities)}")
    if spec.handler:
        print(f"  runs Python: {spec.handler} (its actions are held to the permissions above)")
    _ask(f"Install {spec.name} with these permissions?", args.yes)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target)
    app = _book(config).get(spec.name)
    if app is None or app.problem is not None:
        shutil.rmtree(target, ignore_errors=True)
        why = app.problem if app is not None else "it did not load"
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{spec.name} not installed: {why}")
    print(f"installed {spec.name} in {target}; restart edge-os to use it")
    return 0


def _remove(args: argparse.Namespace) -> int:
    config = load_config(discover_config_path(args.config))
    app = _book(config).get(args.name)
    folders = [path.resolve() for path in config.apps.paths]
    if app is None or app.folder.resolve().parent not in folders:
        raise UsageError(
            ErrorCode.CONFIG_INVALID,
            f"no app called {args.name!r} in {', '.join(map(str, folders))}",
        )
    _ask(f"Delete {app.folder}?", args.yes)
    shutil.rmtree(app.folder)
    print(f"removed {args.name}; restart edge-os to forget it")
    return 0
