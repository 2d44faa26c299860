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
      - {say: Locking up in a minute.}
      - {wait: 60}                   # the rest goes to the durable schedule
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

import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from edge_os.apps.handler import Handle, call, declared, load_handler
from edge_os.apps.sdk import AppRequest
from edge_os.apps.spec import (
    APP_FILE,
    AppSpec,
    acts_to_requests,
    read_spec,
    requests,
    segment,
)
from edge_os.devices.registry import DeviceRegistry
from edge_os.replies import app_failed
from edge_os.stages.outcome import ActionRequest
from edge_os.stages.protocols import IntentResult

_LOGGER = logging.getLogger(__name__)

INTENT_PREFIX = "app."
"""An app's reading is the intent ``app.<name>``."""
_PUNCTUATION = re.compile(r"[^\w\s']")


@dataclass
class App:
    """One app as loaded: its spec, where it is, and why it is off (if it is)."""

    folder: Path
    spec: AppSpec | None = None
    problem: str | None = None
    enabled: bool = True
    handle: Handle | None = None
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
    later: tuple[float, str] | None = None
    """After a wait step: (seconds, the command that runs the steps after it), for the
    durable schedule."""


def continuation(name: str, step: int) -> str:
    """The scheduled command that runs app ``name``'s steps from ``step`` (1-based)."""
    return f"continue {name.replace('_', ' ')} from step {step}"


_CONTINUATION = re.compile(r"^continue ([a-z0-9 ]+) from step (\d+)$")


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
                app.spec = read_spec(app_folder)
                if app.spec.name in seen:
                    raise ValueError(f"another app is already called {app.spec.name}")
                requests(app.spec, registry)
                _check_sentences(app.spec, understands)
                if app.spec.handler is not None:
                    app.handle = load_handler(app_folder, app.spec)
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
        first, found = 1, self._recognize(text)
        resumed = _CONTINUATION.match(normalize(text))
        if resumed is not None:
            first, found = int(resumed.group(2)), (resumed.group(1).replace(" ", "_"), {})
        app = self.get(found[0]) if found is not None else None
        if app is None or not app.active or app.spec is None or found is None:
            return AppReading(IntentResult(text=text, intent=None))
        spec = app.spec
        later: tuple[float, str] | None = None
        try:
            part = segment(spec, registry, first)
            planned = part.requests
            said = [*part.says, *([] if part.next_step else [spec.response or ""])]
            say = " ".join(x for x in said if x) or None
            if part.wait is not None and part.next_step is not None:
                later = (part.wait, continuation(spec.name, part.next_step))
            if app.handle is not None and first == 1:
                request = AppRequest(
                    text, dict(found[1]), now or datetime.now().astimezone(), area,
                    declared(spec, state or (lambda _entity_id: None)),
                )  # fmt: skip
                reply = call(app.handle, app.name, request)
                planned += acts_to_requests(spec, reply.acts, registry)
                say = reply.say or say
        except ValueError as err:
            _LOGGER.error("app %s is turned off: %s", app.name, err)
            app.problem = str(err)
            self._compile()
            planned, say = [], app_failed(spec.name)
            later = None
        result = IntentResult(
            text=text,
            intent=INTENT_PREFIX + app.name,
            slots={"app": app.name, **found[1]},
            targets=tuple(dict.fromkeys(r.entity_id for r in planned)),
            confidence=1.0,
            path="app",
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        return AppReading(result, planned, say, later)

    def _recognize(self, text: str) -> tuple[str, dict[str, str]] | None:
        if self._intents is None:
            return None
        from hassil import recognize

        found = recognize(normalize(text), self._intents)
        if found is None:
            return None
        slots = {name: str(entity.value) for name, entity in found.entities.items()}
        return found.intent.name, slots


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
