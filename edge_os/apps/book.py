"""Apps: what Home Assistant calls custom sentences with an intent script, and Alexa a
routine ("good night" turns off the lights, locks up and lowers the heating).

An app is a folder with an ``app.yaml``::

    name: good_night
    description: Lights off, front door locked, heating down.
    sentences: ["good night", "(I'm | I am) going to bed [now]"]   # HA template syntax
    permissions:                     # what it may ever touch: entity ids or "domain.*"
      - {entities: ["light.*"], actions: [turn_off]}
      - {entities: [lock.front_door], actions: [lock]}
    steps:                           # done in order, through the dispatcher
      - {action: turn_off, domain: light}
      - {action: lock, entity: lock.front_door}
    response: Good night.            # said when every step is done

The OS is the app's access manager:

- a step that would touch an entity or action the app did not declare, or one the entity
  does not have, keeps the app from loading (reported, never half-run); a step over a
  whole domain takes only the declared entities of it;
- the steps go through the same command path as anything said: a sensitive device still
  waits for a spoken "yes" from where the sentence came from;
- a sentence that the built-in grammar already understands is a clash: the app is not
  loaded, so an app never takes over "turn off the lights";
- a broken app (bad YAML, unknown entity, clash) is reported by ``edge-os apps list`` and
  in the log, and the others and the service run on.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from edge_os.action.payloads import action_values
from edge_os.apps.sdk import HANDLER_TIMEOUT_SECONDS, Act, AppReply, AppRequest
from edge_os.devices.entity import Action, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import DeviceError
from edge_os.stages.outcome import ActionRequest
from edge_os.stages.protocols import IntentResult

_LOGGER = logging.getLogger(__name__)

APP_FILE = "app.yaml"
INTENT_PREFIX = "app."
"""An app's reading is the intent ``app.<name>``."""
MAX_APP_BYTES = 64 * 1024
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PUNCTUATION = re.compile(r"[^\w\s']")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Permission(_Strict):
    """Entities (ids, or ``domain.*``) and the actions the app may take on them."""

    entities: list[str] = Field(min_length=1)
    actions: list[Action] = Field(min_length=1)


class Step(_Strict):
    """One device action: on one entity, or on every declared entity of a domain."""

    action: Action
    entity: str | None = None
    domain: str | None = None
    area: str | None = None
    """With ``domain``: only that area's entities."""
    params: dict[str, float | int | str] = Field(default_factory=dict)


class AppSpec(_Strict):
    """What ``app.yaml`` holds."""

    name: str
    description: str = ""
    sentences: list[str] = Field(min_length=1)
    lists: dict[str, list[str]] = Field(default_factory=dict)
    """Values of the sentences' ``{slot}`` lists, passed to the handler."""
    permissions: list[Permission] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    handler: str | None = None
    """A Python file in the app's folder with ``handle(AppRequest) -> AppReply``."""
    response: str | None = None

    @model_validator(mode="after")
    def _something_to_do(self) -> AppSpec:
        if not self.steps and self.handler is None:
            raise ValueError("an app needs steps or a handler")
        return self

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("a name is lower case letters, digits and '_', starting a letter")
        return value

    def permits(self, entity_id: str, action: Action) -> bool:
        """Whether the app declared ``action`` on ``entity_id``."""
        return any(
            action in permission.actions
            and any(fnmatch.fnmatchcase(entity_id, pattern) for pattern in permission.entities)
            for permission in self.permissions
        )


@dataclass
class App:
    """One app as loaded: its spec, where it is, and why it is off (if it is)."""

    folder: Path
    spec: AppSpec | None = None
    problem: str | None = None
    enabled: bool = True
    handle: Callable[[AppRequest], AppReply] | None = None
    """The handler's ``handle``, when the app has one."""

    @property
    def name(self) -> str:
        return self.spec.name if self.spec is not None else self.folder.name

    @property
    def active(self) -> bool:
        """Loaded, enabled and without a problem."""
        return self.spec is not None and self.problem is None and self.enabled


@dataclass(frozen=True)
class AppReading:
    """An app's reading of a sentence: the result, the device requests, what to say."""

    result: IntentResult
    requests: list[ActionRequest] = field(default_factory=list)
    say: str | None = None


def requests(spec: AppSpec, registry: DeviceRegistry) -> list[ActionRequest]:
    """The app's steps as device requests over ``registry``; ValueError says what is wrong."""
    out: list[ActionRequest] = []
    for number, step in enumerate(spec.steps, start=1):
        where = f"step {number} ({step.action.value})"
        if (step.entity is None) == (step.domain is None):
            raise ValueError(f"{where}: give either an entity or a domain")
        if step.entity is not None:
            entity = registry.get(step.entity)
            if entity is None:
                raise ValueError(f"{where}: there is no entity {step.entity}")
            if not spec.permits(entity.id, step.action):
                raise ValueError(
                    f"{where}: {step.action.value} on {entity.id} is not in the app's permissions"
                )
            if step.action not in entity.actions:
                raise ValueError(f"{where}: {entity.id} cannot {step.action.value}")
            out.append(_checked(entity, ActionRequest(entity.id, step.action, dict(step.params))))
            continue
        chosen = [
            entity
            for entity in registry
            if entity.domain == step.domain
            and (step.area is None or entity.area == step.area)
            and step.action in entity.actions
            and spec.permits(entity.id, step.action)
        ]
        if not chosen:
            raise ValueError(
                f"{where}: no {step.domain} entity"
                + (f" in {step.area}" if step.area else "")
                + " that the app may use for it"
            )
        out.extend(_checked(e, ActionRequest(e.id, step.action, dict(step.params))) for e in chosen)
    return out


def acts_to_requests(
    spec: AppSpec, acts: Sequence[Act], registry: DeviceRegistry
) -> list[ActionRequest]:
    """A handler's acts as requests, each checked as a step is; ValueError for the first bad."""
    out: list[ActionRequest] = []
    for act in acts:
        try:
            action = Action(act.action)
        except ValueError:
            raise ValueError(f"{act.action!r} is not an action") from None
        entity = registry.get(act.entity)
        if entity is None:
            raise ValueError(f"there is no entity {act.entity}")
        if not spec.permits(entity.id, action):
            raise ValueError(f"{action.value} on {entity.id} is not in the app's permissions")
        if action not in entity.actions:
            raise ValueError(f"{entity.id} cannot {action.value}")
        out.append(_checked(entity, ActionRequest(entity.id, action, dict(act.params))))
    return out


def _load_handler(folder: Path, spec: AppSpec) -> Callable[[AppRequest], AppReply]:
    """The handler file's ``handle`` (imported once, at load); ValueError if it cannot be."""
    assert spec.handler is not None
    path = (folder / spec.handler).resolve()
    if folder.resolve() not in path.parents or path.suffix != ".py" or not path.is_file():
        raise ValueError(f"handler {spec.handler!r} is not a .py file in the app's folder")
    module_spec = importlib.util.spec_from_file_location(f"edge_os_app_{spec.name}", path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"cannot import {path}")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as err:  # whatever the app's code raises, the app is off, not edge-os
        raise ValueError(f"its handler failed to import: {type(err).__name__}: {err}") from None
    handle = getattr(module, "handle", None)
    if not callable(handle):
        raise ValueError(f"{path.name} has no handle(request) function")
    return handle  # type: ignore[no-any-return]


def _checked(entity: Entity, request: ActionRequest) -> ActionRequest:
    """``request``, once its parameters are what its action takes (else ValueError)."""
    try:
        action_values(entity, request)
    except DeviceError as err:
        raise ValueError(f"{request.action.value} on {entity.id}: {err.message}") from None
    return request


ENTRY_POINTS = "edge_os.apps"
"""The entry point group of apps installed with pip: each names a package whose folder
holds an ``app.yaml``."""


def packaged_apps() -> list[Path]:
    """The folders of apps installed as Python packages (entry point group ``edge_os.apps``)."""
    from importlib.metadata import entry_points

    folders: list[Path] = []
    for entry in entry_points(group=ENTRY_POINTS):
        try:
            module = entry.load()
        except Exception as err:  # a broken package must not stop the others
            _LOGGER.warning("app package %s cannot be loaded: %s", entry.value, err)
            continue
        location = getattr(module, "__file__", None)
        if location is not None and (Path(location).parent / APP_FILE).is_file():
            folders.append(Path(location).parent)
        else:
            _LOGGER.warning("app package %s has no %s beside it", entry.value, APP_FILE)
    return folders


def read_spec(folder: Path) -> AppSpec:
    """The ``app.yaml`` in ``folder``, validated; ValueError says what is wrong."""
    return _read(folder)


def _read(folder: Path) -> AppSpec:
    path = folder / APP_FILE
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror or err}") from None
    if len(data) > MAX_APP_BYTES:
        raise ValueError(f"{path} is over {MAX_APP_BYTES // 1024} KiB")
    try:
        loaded = yaml.load(data, Loader=_NoAliases)  # a SafeLoader that refuses aliases
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{path}{at}: invalid YAML ({getattr(err, 'problem', err)})") from None
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping")
    try:
        return AppSpec.model_validate(loaded)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top)"
        raise ValueError(f"{path}: {key}: {first['msg']}") from None


class _NoAliases(yaml.SafeLoader):
    """A safe loader that refuses anchors and aliases (no alias bombs in an app)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            raise yaml.YAMLError("aliases are not allowed in an app")
        return super().compose_node(parent, index)


def normalize(text: str) -> str:
    """Lower case, punctuation and the wake phrase ("hey jarvis") gone, spaces single."""
    from edge_os.intent.grammar import strip_wake_phrase

    return " ".join(strip_wake_phrase(_PUNCTUATION.sub(" ", text.lower()).split()))


Understands = Callable[[str], bool]
"""Whether the built-in grammar understands a sentence (for the clash check)."""


@dataclass
class AppBook:
    """The apps of the configured folders, matched before the built-in grammar."""

    apps: list[App] = field(default_factory=list)
    _intents: Any = None

    @classmethod
    def load(
        cls,
        folders: Iterable[Path],
        registry: DeviceRegistry,
        *,
        disabled: Sequence[str] = (),
        understands: Understands | None = None,
    ) -> AppBook:
        """Every app under ``folders``; one with a problem is kept, off, with the reason."""
        book = cls()
        seen: set[str] = set()
        app_folders: list[Path] = []
        for folder in folders:
            if not folder.is_dir():
                _LOGGER.warning("apps folder %s does not exist", folder)
                continue
            app_folders += sorted(p for p in folder.iterdir() if (p / APP_FILE).is_file())
        app_folders += packaged_apps()
        for app_folder in app_folders:
            app = App(app_folder)
            try:
                app.spec = _read(app_folder)
                if app.spec.name in seen:
                    raise ValueError(f"another app is already called {app.spec.name}")
                requests(app.spec, registry)
                _check_sentences(app.spec, understands)
                if app.spec.handler is not None:
                    app.handle = _load_handler(app_folder, app.spec)
            except ValueError as err:
                app.problem = str(err)
                _LOGGER.warning("app %s is off: %s", app.name, app.problem)
            app.enabled = app.name not in disabled
            seen.add(app.name)
            book.apps.append(app)
        book._compile()
        return book

    def _compile(self) -> None:
        from hassil import Intents

        active = [app for app in self.apps if app.active]
        if not active:
            self._intents = None
            return
        self._intents = Intents.from_dict(_intents_dict([a.spec for a in active if a.spec]))

    def get(self, name: str) -> App | None:
        """The app called ``name``."""
        return next((app for app in self.apps if app.name == name), None)

    def match(self, text: str) -> App | None:
        """The active app one of whose sentences ``text`` is, or None."""
        found = self._recognize(text)
        return self.get(found[0]) if found is not None else None

    def read(
        self,
        text: str,
        registry: DeviceRegistry,
        *,
        now: datetime | None = None,
        area: str | None = None,
        state: Callable[[str], str | None] | None = None,
    ) -> AppReading:
        """An app's reading of ``text``: not understood when no app says it.

        The steps are made again over ``registry`` (devices may have come and gone): an app
        whose steps no longer fit is not run at all. A handler is called (``now``, ``area``
        and ``state`` are what it sees); one that fails turns its app off.
        """
        started = time.perf_counter()
        found = self._recognize(text)
        app = self.get(found[0]) if found is not None else None
        if app is None or app.spec is None or found is None:
            return AppReading(IntentResult(text=text, intent=None))
        spec = app.spec
        say = spec.response
        try:
            planned = requests(spec, registry)
            if app.handle is not None:
                request = AppRequest(
                    text, dict(found[1]), now or datetime.now().astimezone(), area,
                    _declared(spec, state or (lambda _entity_id: None)),
                )  # fmt: skip
                reply = _call(app, request)
                planned += acts_to_requests(spec, reply.acts, registry)
                say = reply.say or say
        except ValueError as err:
            _LOGGER.error("app %s is turned off: %s", app.name, err)
            app.problem = str(err)
            self._compile()
            planned, say = [], f"Sorry, {spec.name.replace('_', ' ')} failed, so I turned it off."
        result = IntentResult(
            text=text,
            intent=INTENT_PREFIX + app.name,
            slots={"app": app.name, **found[1]},
            targets=tuple(dict.fromkeys(r.entity_id for r in planned)),
            confidence=1.0,
            path="app",
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        return AppReading(result, planned, say)

    def _recognize(self, text: str) -> tuple[str, dict[str, str]] | None:
        if self._intents is None:
            return None
        from hassil import recognize

        found = recognize(normalize(text), self._intents)
        if found is None:
            return None
        slots = {name: str(entity.value) for name, entity in found.entities.items()}
        return found.intent.name, slots


def _declared(spec: AppSpec, read: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """``read`` limited to the entities the app declared."""

    def state(entity_id: str) -> str | None:
        declared = any(spec.permits(entity_id, action) for action in Action)
        return read(entity_id) if declared else None

    return state


def _call(app: App, request: AppRequest) -> AppReply:
    """The handler's reply, within :data:`HANDLER_TIMEOUT_SECONDS` (else ValueError)."""
    assert app.handle is not None and app.spec is not None
    handle = app.handle
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["reply"] = handle(request)
        except Exception as err:  # the app's bug, reported; edge-os runs on
            box["error"] = err

    worker = threading.Thread(target=call, name=f"edge-os-app-{app.name}", daemon=True)
    worker.start()
    worker.join(HANDLER_TIMEOUT_SECONDS)
    if worker.is_alive():
        raise ValueError(f"its handler took longer than {HANDLER_TIMEOUT_SECONDS:g} s")
    if "error" in box:
        error = box["error"]
        raise ValueError(f"its handler raised {type(error).__name__}: {error}")
    reply = box.get("reply")
    if not isinstance(reply, AppReply):
        raise ValueError(f"its handler returned {type(reply).__name__}, not an AppReply")
    return reply


def _intents_dict(specs: Sequence[AppSpec]) -> dict[str, Any]:
    lists: dict[str, Any] = {}
    for spec in specs:
        for name, values in spec.lists.items():
            lists[name] = {"values": list(values)}
    return {
        "language": "en",
        "intents": {spec.name: {"data": [{"sentences": list(spec.sentences)}]} for spec in specs},
        "lists": lists,
    }


def _check_sentences(spec: AppSpec, understands: Understands | None) -> None:
    from hassil import Intents
    from hassil.errors import HassilError
    from hassil.sample import sample_intents

    try:
        intents = Intents.from_dict(_intents_dict([spec]))
        samples = [text for _, text in sample_intents(intents, max_sentences_per_intent=50)]
    except (HassilError, ValueError, KeyError) as err:
        raise ValueError(f"a sentence is not a template hassil can read: {err}") from None
    if understands is None:
        return
    for text in samples:
        if understands(text):
            raise ValueError(f'"{text.strip()}" is already a built-in sentence (a clash)')
