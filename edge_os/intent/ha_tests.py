"""Read Home Assistant's intent tests (OHF-Voice/intents ``tests/<lang>``) as gold sentences.

Two formats exist. The old one, ``<domain>_<Intent>.yaml``, gives each test as
``{sentences, intent: {name, slots, context}}`` and shares one home, the ``_fixtures.yaml``
beside it. The new one, ``<Intent>/<combo>.yaml``, brings its own home (``floors``,
``areas``, ``entities``) and gives each test as ``{sentences, slots, context}``; the intent
is the folder's name unless the test names one. Gold slot values stay as HA wrote them
(areas and floors by name): the scorer resolves them against the registry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from edge_os.errors import ErrorCode, UsageError
from edge_os.stages.protocols import SlotValue

GoldValue = SlotValue | tuple[SlotValue, ...]
"""A gold slot value; a tuple means any one of them is right (HA writes a list)."""

SHARED_HOME = "_fixtures.yaml"
"""The home the old-format files of a language share."""
HOME_KEYS = ("floors", "areas", "entities")
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class HaTest:
    """One sentence of an HA intent test, with what HA expects of it."""

    text: str
    intent: str
    """HA intent name (``HassTurnOn``)."""
    slots: Mapping[str, GoldValue]
    """Gold slots as HA wrote them (``area: Kitchen``, ``minutes: 5``)."""
    area: str | None
    """Area the sentence is said in (``context.area``, a name as HA wrote it), or None."""
    home: Path
    """File holding the home the test runs against (its own file, or ``_fixtures.yaml``)."""
    source: str
    """``file:tests[i]``, for reports."""
    response: str | None = None
    """The answer HA's test expects, kept for reports."""


@dataclass
class HaTestSet:
    """Tests read from files and folders, the homes they need, and what was left out."""

    tests: list[HaTest] = field(default_factory=list)
    homes: dict[Path, Any] = field(default_factory=dict)
    """Parsed YAML of each home file, by path."""
    skipped_intents: Counter[str] = field(default_factory=Counter)
    """Sentences per intent edge-os does not serve (not scored)."""


def is_ha_test_path(path: Path) -> bool:
    """Whether ``path`` is a folder or a YAML file (HA tests) rather than a JSONL file."""
    return path.is_dir() or path.suffix.lower() in SUFFIXES


def ha_test_files(path: Path) -> list[Path]:
    """``path`` itself, or the YAML test files under the folder (homes like ``_fixtures`` not)."""
    if not path.is_dir():
        return [path]
    files = sorted(
        file
        for file in path.rglob("*")
        if file.suffix.lower() in SUFFIXES and not file.name.startswith("_") and file.is_file()
    )
    if not files:
        raise UsageError(ErrorCode.CONFIG_NOT_FOUND, f"{path}: no HA test files (*.yaml)")
    return files


def load_ha_tests(paths: Iterable[Path], served: Collection[str] | None = None) -> HaTestSet:
    """Read the tests of ``paths`` (files or folders); intents not in ``served`` are skipped.

    ``served`` defaults to the intents edge-os's sentence library serves. Malformed files
    raise UsageError naming the file and the test.
    """
    if served is None:
        from edge_os.intent.sentences import SERVED_INTENTS

        served = SERVED_INTENTS
    found = HaTestSet()
    for path in paths:
        for file in ha_test_files(path):
            _read_file(file, found, served)
    return found


def _read_file(file: Path, found: HaTestSet, served: Collection[str]) -> None:
    data = _load_yaml(file)
    tests = data.get("tests")
    if not isinstance(tests, list):
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{file}: expected a 'tests' list")
    old_format = any(isinstance(t, Mapping) and isinstance(t.get("intent"), Mapping) for t in tests)
    if any(key in data for key in HOME_KEYS) or not old_format:
        home = file  # new format: the file's own home (maybe empty, as for timers)
        found.homes.setdefault(home, data)
    else:
        home = _shared_home(file)
        if home not in found.homes:
            found.homes[home] = _load_yaml(home)
    for index, test in enumerate(tests):
        where = f"{file}:tests[{index}]"
        if not isinstance(test, Mapping):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: expected a mapping")
        intent, slots, context = _gold(test, file, where)
        sentences = test.get("sentences")
        if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}.sentences: expected strings")
        if intent not in served:
            found.skipped_intents[intent] += len(sentences)
            continue
        area = context.get("area")
        response = test.get("response")
        found.tests.extend(
            HaTest(
                text=sentence,
                intent=intent,
                slots=slots,
                area=str(area) if area is not None else None,
                home=home,
                source=where,
                response=str(response).strip() if response is not None else None,
            )
            for sentence in sentences
        )


def _gold(
    test: Mapping[str, Any], file: Path, where: str
) -> tuple[str, dict[str, GoldValue], Mapping[str, Any]]:
    """Intent name, slots and context of one test, whichever format it uses."""
    declared = test.get("intent")
    holder: Mapping[str, Any] = declared if isinstance(declared, Mapping) else test
    if isinstance(declared, Mapping):
        name = declared.get("name")
    elif declared is not None:
        name = declared
    else:
        name = file.parent.name  # new format: the folder names the intent
    if not isinstance(name, str) or not name.startswith("Hass"):
        raise UsageError(
            ErrorCode.CONFIG_INVALID,
            f"{where}: no intent (expected intent.name or a folder named after the intent)",
        )
    raw_slots = holder.get("slots", test.get("slots")) or {}
    context = holder.get("context", test.get("context")) or {}
    if not isinstance(raw_slots, Mapping):
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}.slots: expected a mapping")
    if not isinstance(context, Mapping):
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}.context: expected a mapping")
    slots = {
        str(key): gold_value(value, f"{where}.slots.{key}") for key, value in raw_slots.items()
    }
    return name, slots, context


def gold_value(value: object, where: str) -> GoldValue:
    """A gold slot value as written (a list: any one of its items); others raise UsageError."""
    if isinstance(value, list) and value:
        return tuple(_scalar(item, where) for item in value)
    return _scalar(value, where)


def _scalar(value: object, where: str) -> SlotValue:
    if isinstance(value, bool):  # an unquoted YAML on/off
        return "on" if value else "off"
    if isinstance(value, str | int | float):
        return value
    raise UsageError(
        ErrorCode.CONFIG_INVALID, f"{where}: {value!r} is not a text, a number or a list of them"
    )


def _shared_home(file: Path) -> Path:
    for folder in (file.parent, file.parent.parent):
        if (folder / SHARED_HOME).is_file():
            return folder / SHARED_HOME
    raise UsageError(
        ErrorCode.CONFIG_NOT_FOUND,
        f"{file}: old-format tests need the {SHARED_HOME} of their language beside them",
    )


def _load_yaml(file: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise UsageError(ErrorCode.CONFIG_NOT_FOUND, f"{file}: cannot read: {reason}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise UsageError(
            ErrorCode.CONFIG_SYNTAX, f"{file}{line}: invalid YAML: {problem}"
        ) from None
    if not isinstance(data, Mapping):
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{file}: expected a mapping")
    return data
