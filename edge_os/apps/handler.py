"""An app's Python handler: imported once at load, called with a time limit."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge_os.apps.sdk import HANDLER_TIMEOUT_SECONDS, AppReply, AppRequest
from edge_os.apps.spec import AppSpec
from edge_os.devices.entity import Action

Handle = Callable[[AppRequest], AppReply]


def load_handler(folder: Path, spec: AppSpec) -> Handle:
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


def declared(spec: AppSpec, read: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """``read`` limited to the entities the app declared."""

    def state(entity_id: str) -> str | None:
        declared = any(spec.permits(entity_id, action) for action in Action)
        return read(entity_id) if declared else None

    return state


def call(handle: Handle, name: str, request: AppRequest) -> AppReply:
    """The handler's reply, within :data:`HANDLER_TIMEOUT_SECONDS` (else ValueError)."""
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["reply"] = handle(request)
        except Exception as err:  # the app's bug, reported; edge-os runs on
            box["error"] = err

    worker = threading.Thread(target=call, name=f"edge-os-app-{name}", daemon=True)
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
