"""Home Assistant's sentence library for a language, filtered to what edge-os can carry out.

The templates are ``home-assistant-intents`` (CC BY 4.0, the Open Home Foundation's
``intents`` repository) parsed by ``hassil``: the same sentences Home Assistant's Assist
understands, none written here. A small overlay in the same format (``overlay/<lang>.yaml``)
adds intents edge-os serves that the library leaves to other layers (``HassToggle``).
The compiled automaton is built once per language and process.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from edge_os.errors import ErrorCode, MissingDependencyError, UsageError
from edge_os.intent.compiled import Automaton, words
from edge_os.intent.plan import TIMER_INTENTS

SERVED_INTENTS = (
    "HassTurnOn",
    "HassTurnOff",
    "HassToggle",
    "HassLightSet",
    "HassSetPosition",
    "HassClimateSetTemperature",
    "HassClimateGetTemperature",
    "HassFanSetSpeed",
    "HassGetState",
    "HassGetCurrentTime",
    "HassGetCurrentDate",
    "HassNevermind",
    "HassMediaPause",
    "HassMediaUnpause",
    "HassMediaNext",
    "HassMediaPrevious",
    "HassSetVolume",
    "HassSetVolumeRelative",
    "HassMediaPlayerMute",
    "HassMediaPlayerUnmute",
    "HassVacuumStart",
    "HassVacuumReturnToBase",
    *sorted(TIMER_INTENTS),
)
"""Home Assistant intents that edge-os can carry out or answer; other templates are left out."""


@dataclass(frozen=True)
class Library:
    """One language's templates, lists and skip words, compiled."""

    language: str
    intents: Any
    """hassil ``Intents``."""
    automaton: Automaton
    skip_words: tuple[tuple[str, ...], ...]
    """Phrases hassil drops anywhere in a sentence ("please", "can you"), longest first."""
    version: str


def available_languages() -> list[str]:
    """Languages ``home-assistant-intents`` ships templates for."""
    intents = _package()
    return sorted(intents.get_languages())


def _package() -> Any:
    try:
        import home_assistant_intents
    except ImportError as err:
        raise MissingDependencyError(
            ErrorCode.MISSING_DEPENDENCY,
            "the intent grammar needs home-assistant-intents and hassil: "
            "pip install 'edge-os[intent]'",
        ) from err
    return home_assistant_intents


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """hassil's own merge rule: intents' data blocks append, other mappings update."""
    for key, value in extra.items():
        if key == "intents" and isinstance(value, Mapping):
            intents = base.setdefault("intents", {})
            for name, body in value.items():
                intents.setdefault(name, {"data": []})["data"].extend(body.get("data", []))
        elif isinstance(value, Mapping) and isinstance(base.get(key), dict):
            base[key].update(value)
        else:
            base[key] = value


def _overlay(language: str) -> Mapping[str, Any]:
    path = resources.files("edge_os.intent").joinpath("overlay", f"{language}.yaml")
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, Mapping) else {}


@functools.lru_cache(maxsize=4)
def load_library(language: str) -> Library:
    """The compiled library for ``language`` (cached: compiled once per process)."""
    package = _package()
    from hassil import Intents

    data = package.get_intents(language)
    if data is None:
        raise UsageError(
            ErrorCode.CONFIG_INVALID,
            f"no Home Assistant sentence templates for language {language!r} "
            f"(available: {', '.join(available_languages())})",
        )
    data = dict(data)
    data["intents"] = {
        name: {"data": list(body.get("data", []))}
        for name, body in data.get("intents", {}).items()
        if name in SERVED_INTENTS
    }
    _merge(data, _overlay(language))
    intents = Intents.from_dict(data)
    skip = sorted(
        {tuple(words(phrase)) for phrase in intents.skip_words if words(phrase)},
        key=len,
        reverse=True,
    )
    from importlib.metadata import version

    return Library(
        language,
        intents,
        Automaton(intents, SERVED_INTENTS),
        tuple(skip),
        version("home-assistant-intents"),
    )
