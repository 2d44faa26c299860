"""What an app's ``app.yaml`` holds, read and checked: sentences, permissions, steps.

See :mod:`edge_os.apps.book` for what apps are and how edge-os keeps them to their word.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
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

from edge_os.apps.sdk import Act
from edge_os.devices.entity import Action, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.payloads import action_values
from edge_os.errors import DeviceError
from edge_os.stages.outcome import ActionRequest

_LOGGER = logging.getLogger(__name__)

APP_FILE = "app.yaml"
MAX_APP_BYTES = 64 * 1024
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Permission(_Strict):
    """Entities (ids, or ``domain.*``) and the actions the app may take on them."""

    entities: list[str] = Field(min_length=1)
    actions: list[Action] = Field(min_length=1)


MAX_WAIT_SECONDS = 24 * 3600


class Step(_Strict):
    """One step: a device action (on one entity, or on every declared entity of a domain),
    a sentence to say, or a wait before the steps after it."""

    action: Action | None = None
    entity: str | None = None
    domain: str | None = None
    area: str | None = None
    """With ``domain``: only that area's entities."""
    params: dict[str, float | int | str] = Field(default_factory=dict)
    say: str | None = Field(None, min_length=1, max_length=500)
    """Said with the answer."""
    wait: float | None = Field(None, ge=1, le=MAX_WAIT_SECONDS)
    """Seconds before the next steps run (in the durable schedule: a restart keeps it)."""

    @model_validator(mode="after")
    def _one_thing(self) -> Step:
        if sum(x is not None for x in (self.action, self.say, self.wait)) != 1:
            raise ValueError("a step is one of: an action, a say, a wait")
        return self


@dataclass(frozen=True)
class Segment:
    """The steps up to the next wait: their requests, what they say, and what comes next."""

    requests: list[ActionRequest]
    says: list[str]
    wait: float | None = None
    """Seconds before the next segment (None: this was the last)."""
    next_step: int | None = None
    """The 1-based step the next segment starts at."""


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


def requests(spec: AppSpec, registry: DeviceRegistry) -> list[ActionRequest]:
    """Every action step as device requests over ``registry``; ValueError says what is wrong."""
    out: list[ActionRequest] = []
    first: int | None = 1
    while first is not None:
        part = segment(spec, registry, first)
        out += part.requests
        first = part.next_step
    return out


def segment(spec: AppSpec, registry: DeviceRegistry, first: int = 1) -> Segment:
    """The steps from the 1-based ``first`` up to the next wait; ValueError if one is bad."""
    out: list[ActionRequest] = []
    says: list[str] = []
    for number, step in enumerate(spec.steps, start=1):
        if number < first:
            continue
        if step.wait is not None:
            has_more = number < len(spec.steps)
            return Segment(out, says, step.wait if has_more else None,
                           number + 1 if has_more else None)  # fmt: skip
        if step.say is not None:
            says.append(step.say)
            continue
        assert step.action is not None
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
        action = step.action
        out.extend(_checked(e, ActionRequest(e.id, action, dict(step.params))) for e in chosen)
    return Segment(out, says)


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


def _checked(entity: Entity, request: ActionRequest) -> ActionRequest:
    """``request``, once its parameters are what its action takes (else ValueError)."""
    try:
        action_values(entity, request)
    except DeviceError as err:
        raise ValueError(f"{request.action.value} on {entity.id}: {err.message}") from None
    return request


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
