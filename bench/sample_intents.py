"""Sample gold sentences from Home Assistant's templates for two homes, each checked by hassil.

For every intent edge-os serves and every template data block of it, sentences are drawn
at random from the block's templates (one alternative, optionals in or out, permutations
in any order) with list values taken from the home: names and aliases of the entities
whose domain and device class fit the block's context, area and floor names, HA's own
lists (colours, states, device classes), numbers from its ranges, short words for
wildcards ("pizza"). The gold is what was chosen, in edge-os's conventions (area and floor
ids, an entity's registry name), plus the block's fixed slots and the satellite's area
where the block takes it from context. Gold targets are ``edge_os.intent.targets.resolve``
of those slots with the capability filter: what a user expects to move (or be asked
about); a device command nothing in the home can carry out is not sampled.

hassil itself reads every sentence against the same home (names with their domain and
device class as context, areas, floors, the satellite's area as intent context); a
sentence is kept only when hassil's best reading has the same intent and the same slots
and no other reading ties with it (hassil would then pick by intent name). Seeded: the same
library versions give the same files. Lines the grammar still misreads are marked by the
``XFAIL`` rules below.

Run: ``.venv/bin/python bench/sample_intents.py [--out-dir DIR] [--seed N] [--per-intent N]``
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_os.config.loader import load_config, parse_config  # noqa: E402
from edge_os.devices.entity import Area, Entity, Floor  # noqa: E402
from edge_os.devices.registry import DeviceRegistry  # noqa: E402
from edge_os.intent.fixtures import convert_ha_fixture  # noqa: E402
from edge_os.intent.plan import QUERY_INTENTS, carries  # noqa: E402
from edge_os.intent.sentences import SERVED_INTENTS, Library, load_library  # noqa: E402
from edge_os.intent.targets import reads_temperature, resolve  # noqa: E402

EXAMPLE_HOME = REPO / "devices" / "example-home.yaml"
HA_FIXTURE = REPO / "bench" / "data" / "ha-intents-tests" / "en" / "_fixtures.yaml"
OUT_DIR = REPO / "tests" / "intent" / "data"
SEED = 20261129
PER_INTENT = 15
"""Sentences wanted per intent and home (more where an intent has more blocks than this)."""
ATTEMPTS_PER_BLOCK = 8
"""Draws tried for a block before giving up on it."""
OWN_SATELLITE = 0.6
"""Share of sentences said in the home's own satellite area (the rest: a random area)."""
WORDS_SHARE = 0.25
"""Share of whole numbers said as words ("twenty-one") rather than digits."""

NUMBERS: dict[str, Sequence[float]] = {
    "brightness": [*range(5, 101, 5), 1, 33, 42, 67, 99],
    "position": [*range(0, 101, 10), 25, 75, 15, 35],
    "volume": [*range(5, 101, 5), 33, 42],
    "fan_speed": [*range(10, 101, 10), 25, 33, 66, 75],
    "temperature": [*range(16, 27), 18.5, 19.5, 20.5, 21.5, 22.5],
    "color_temperature": [2000, 2200, 2700, 3000, 3500, 4000, 5000, 6500],
    "timer_hours": [1, 1, 2, 3, 4],
    "timer_minutes": [1, 2, 3, 5, 7, 10, 12, 15, 20, 25, 30, 40, 45, 90],
    "timer_seconds": [5, 10, 15, 20, 30, 40, 45, 50],
    "volume_step_up": [5, 10, 15, 20, 25, 30],
    "volume_step_down": [5, 10, 15, 20, 25, 30],
}
"""Numbers people say for each of HA's range lists (set-points inside plan's safe range)."""
TIMER_NAMES = ("pizza", "pasta", "eggs", "laundry", "tea", "bread", "cookies", "rice", "oven")
CONTEXT_KEYS = frozenset({"domain", "device_class"})

XFAIL: tuple[tuple[re.Pattern[str], str], ...] = ()
"""Sentences the grammar still misreads (hassil reads them), marked ``xfail`` in the files.

The test requires a marked line to fail: when the grammar is fixed, delete the rule here
and regenerate.
"""
_WORDS_START, _WORDS_END = "\x01", "\x02"


@dataclass(frozen=True)
class Home:
    """A registry, the satellite's own area in it and the file its sentences go to."""

    key: str
    registry: DeviceRegistry
    here: str
    file: str


def load_homes() -> list[Home]:
    """The example home and Home Assistant's intent-test fixture home."""
    config = load_config(EXAMPLE_HOME)
    example = DeviceRegistry.from_config(config)
    here = config.site.area or "living_room"
    data = yaml.safe_load(HA_FIXTURE.read_text(encoding="utf-8"))
    text = yaml.safe_dump(convert_ha_fixture(data), sort_keys=False, allow_unicode=True)
    fixture = DeviceRegistry.from_config(parse_config(text, str(HA_FIXTURE), REPO))
    return [
        Home("example_home", example, here, "sampled_example_home.jsonl"),
        Home("ha_fixture", fixture, "living_room_id", "sampled_ha_fixture.jsonl"),
    ]


def value_fits(actual: object, wanted: object) -> bool:
    """HA's context rule for one key: ``wanted`` is a value, a list of values or any (None)."""
    if isinstance(wanted, Mapping):
        wanted = wanted.get("value")
    if wanted is None:
        return actual is not None
    if isinstance(wanted, str):
        return actual == wanted
    if isinstance(wanted, Sequence):
        return actual in wanted
    return actual == wanted


def entity_fits(entity: Entity, requires: Mapping[str, Any], excludes: Mapping[str, Any]) -> bool:
    """Whether a spoken entity satisfies a block's domain and device-class context."""
    own = {"domain": entity.domain.value, "device_class": entity.device_class}
    for key in CONTEXT_KEYS & set(requires):
        if not value_fits(own[key], requires[key]):
            return False
    return not any(
        own[key] is not None and value_fits(own[key], excludes[key])
        for key in CONTEXT_KEYS & set(excludes)
    )


def gold_targets(
    registry: DeviceRegistry, intent: str, slots: Mapping[str, Any], named: list[str], here: str
) -> tuple[str, ...]:
    """What the sentence acts on or asks about: resolved, then what can carry it out."""
    found = resolve(registry, slots, named, here)
    if intent == "HassClimateGetTemperature":
        return tuple(t for t in found if reads_temperature(registry[t]))
    if intent in QUERY_INTENTS:
        about_devices = named or "domain" in slots or "device_class" in slots
        return found if about_devices else ()
    return tuple(t for t in found if carries(intent, registry[t], slots))


def hassil_lists(registry: DeviceRegistry) -> dict[str, Any]:
    """The home as hassil's lists: names (with domain and device class), areas, floors."""
    from hassil import TextSlotList

    names: list[tuple[str, str, dict[str, str]]] = []
    for entity in registry:
        context = {"domain": entity.domain.value}
        if entity.device_class:
            context["device_class"] = entity.device_class
        names.extend((spoken, entity.name, context) for spoken in (entity.name, *entity.aliases))
    areas = [(spoken, a.name) for a in registry.areas for spoken in (a.name, *a.aliases)]
    floors = [(spoken, f.name) for f in registry.floors for spoken in (f.name, *f.aliases)]
    return {
        "name": TextSlotList.from_tuples(names, allow_template=False),
        "area": TextSlotList.from_tuples(areas, allow_template=False),
        "floor": TextSlotList.from_tuples(floors, allow_template=False),
    }


def same_value(gold: object, got: object) -> bool:
    """Numbers within 0.01, anything else as case-insensitive text."""
    numbers = (int, float)
    if isinstance(gold, numbers) and isinstance(got, numbers):
        return abs(float(gold) - float(got)) <= 0.01
    return str(gold).strip().casefold() == str(got).strip().casefold()


@dataclass
class Draft:
    """One sentence being drawn: the values chosen for its slots, both ways of writing them."""

    here: Area
    entity: Entity | None = None
    spoken_name: str | None = None
    area: Area | None = None
    floor: Floor | None = None
    edge: dict[str, Any] = field(default_factory=dict)
    """Slot values in edge-os's conventions (area and floor ids)."""
    hassil: dict[str, Any] = field(default_factory=dict)
    """The same slots as hassil reports them (area and floor names)."""


@dataclass
class Outcome:
    """What sampling one home gave."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    kept: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    """Sentences hassil read otherwise, per intent."""
    ambiguous: Counter[str] = field(default_factory=Counter)
    """Sentences hassil read as drawn but tied with another reading, per intent."""
    untargeted: Counter[str] = field(default_factory=Counter)
    """Device commands that nothing in the home could carry out (drawn again)."""
    examples: list[str] = field(default_factory=list)


class Sampler:
    """Draws verified sentences for one home."""

    def __init__(self, home: Home, library: Library, rng: random.Random) -> None:
        self.home = home
        self.registry = home.registry
        self.library = library
        self.rng = rng
        self.lists = {**library.intents.slot_lists, **hassil_lists(home.registry)}
        self.floors = {f.id: f for f in home.registry.floors}
        self.seen: set[str] = set()
        self.outcome = Outcome()
        from hassil.numbers import get_rbnf_engine

        self.spell = get_rbnf_engine("en")

    # --- which templates a home can say ------------------------------------------------
    def usable(self, data: Any, sentence: Any, rules: Mapping[str, Any]) -> bool:
        """Whether the home can fill every list of a template under its block's context."""
        from hassil import WildcardSlotList

        requires = data.requires_context or {}
        excludes = data.excludes_context or {}
        refs = {ref.list_name for ref in list_refs(sentence.expression, rules)}
        if set(requires) - CONTEXT_KEYS - {"area"} or set(excludes) - CONTEXT_KEYS:
            return False
        if CONTEXT_KEYS & set(requires) and "name" not in refs:
            return False
        domain = data.slots.get("domain")
        if domain is not None and not any(e.domain.value == domain for e in self.registry):
            return False
        wildcards = {n for n, s in self.lists.items() if isinstance(s, WildcardSlotList)}
        if refs & wildcards - {"timer_name", "timer_command"}:
            return False
        if "floor" in refs and not self.floors:
            return False
        return "name" not in refs or bool(self.speakable(data, refs))

    def speakable(self, data: Any, refs: set[str]) -> list[Entity]:
        """Entities a template's ``{name}`` may be (placed, when it also says area or floor)."""
        found = [
            e
            for e in self.registry
            if entity_fits(e, data.requires_context or {}, data.excludes_context or {})
        ]
        if "area" in refs:
            found = [e for e in found if e.area is not None]
        if "floor" in refs:
            found = [e for e in found if self.registry.floor_of(e.area) is not None]
        return found

    # --- drawing -------------------------------------------------------------------------
    def draft(self, data: Any, refs: set[str]) -> Draft:
        """Satellite area, entity, area and floor for one sentence, chosen together."""
        rng = self.rng
        areas = list(self.registry.areas)
        own = self.registry.area(self.home.here)
        here = own if own is not None and rng.random() < OWN_SATELLITE else rng.choice(areas)
        draft = Draft(here)
        if "name" in refs:
            draft.entity = rng.choice(self.speakable(data, refs))
            draft.spoken_name = rng.choice([draft.entity.name, *draft.entity.aliases])
            if draft.entity.area is not None:
                draft.area = self.registry.area(draft.entity.area)
                floor = self.registry.floor_of(draft.entity.area)
                draft.floor = self.floors.get(floor) if floor else None
        if draft.area is None:
            draft.area = rng.choice(areas)
        if draft.floor is None and self.floors:
            placed = [f for f in self.floors.values() if self.registry.areas_on(f.id)]
            draft.floor = rng.choice(placed or list(self.floors.values()))
        return draft

    def fill(self, ref: Any, draft: Draft) -> str:
        """Words for one list reference; records the slot it fills."""
        slot = ref.slot_name
        if ref.list_name == "name" and draft.entity is not None:
            draft.edge[slot] = draft.hassil[slot] = draft.entity.name
            return draft.spoken_name or draft.entity.name
        if ref.list_name == "area" and draft.area is not None:
            draft.edge[slot], draft.hassil[slot] = draft.area.id, draft.area.name
            return self.rng.choice([draft.area.name, *draft.area.aliases])
        if ref.list_name == "floor" and draft.floor is not None:
            draft.edge[slot], draft.hassil[slot] = draft.floor.id, draft.floor.name
            return self.rng.choice([draft.floor.name, *draft.floor.aliases])
        from hassil import RangeSlotList, WildcardSlotList

        slot_list = self.lists[ref.list_name]
        if isinstance(slot_list, RangeSlotList):
            return self.number(ref.list_name, slot, draft)
        if isinstance(slot_list, WildcardSlotList):
            words = self.wildcard(ref.list_name)
            draft.edge[slot] = draft.hassil[slot] = words
            return words
        return self.text_value(ref.list_name, slot, draft)

    def number(self, list_name: str, slot: str, draft: Draft) -> str:
        """A number of a range list, said as digits or words."""
        slot_list = self.lists[list_name]
        wanted = [
            n
            for n in NUMBERS.get(list_name, range(slot_list.start, slot_list.stop + 1))
            if slot_list.start <= n <= slot_list.stop
            and (not float(n).is_integer() or (int(n) - slot_list.start) % slot_list.step == 0)
        ]
        number = self.rng.choice(wanted)
        value: float = number * (slot_list.multiplier or 1)
        draft.edge[slot] = draft.hassil[slot] = int(value) if float(value).is_integer() else value
        if float(number).is_integer() and self.rng.random() < WORDS_SHARE:
            spoken = self.spell.format_number(int(number)).text_by_ruleset["spellout-cardinal"]
            return f"{_WORDS_START}{spoken}{_WORDS_END}"
        return str(int(number)) if float(number).is_integer() else str(number)

    def wildcard(self, list_name: str) -> str:
        """Short realistic words for a wildcard: a timer's name, a command to run later."""
        if list_name == "timer_command":
            switchable = [e for e in self.registry if e.domain.value in {"light", "switch", "fan"}]
            entity = self.rng.choice(switchable)
            return f"turn {self.rng.choice(['on', 'off'])} the {entity.name.lower()}"
        return self.rng.choice(TIMER_NAMES)

    def text_value(self, list_name: str, slot: str, draft: Draft) -> str:
        """A value of one of HA's text lists; device classes the home has are preferred."""
        values = list(self.lists[list_name].values)
        if slot == "device_class":
            present = {e.device_class for e in self.registry}
            owned = [v for v in values if v.value_out in present]
            if owned and self.rng.random() < 0.75:
                values = owned
        value = self.rng.choice(values)
        words = expand(value.text_in, {}, self.rng, lambda ref: "")
        out = value.value_out if value.value_out is not None else words
        draft.edge[slot] = draft.hassil[slot] = out
        return words

    def one(self, intent: str, data: Any, sentences: list[Any]) -> bool:
        """Draw one sentence of a block; True when it was kept."""
        rules = {**self.library.intents.expansion_rules, **data.expansion_rules}
        sentence = self.rng.choice(sentences)
        refs = {ref.list_name for ref in list_refs(sentence.expression, rules)}
        draft = self.draft(data, refs)
        text = tidy(expand(sentence.expression, rules, self.rng, lambda r: self.fill(r, draft)))
        if text.casefold() in self.seen:
            return False
        for key, wanted in (data.requires_context or {}).items():
            if isinstance(wanted, Mapping) and wanted.get("slot") and key == "area":
                slot = wanted["slot"] if isinstance(wanted["slot"], str) else key
                if slot not in draft.edge:
                    draft.edge[slot], draft.hassil[slot] = draft.here.id, draft.here.name
        for key, value in data.slots.items():
            draft.edge.setdefault(key, value)
            draft.hassil.setdefault(key, value)
        named = []
        if draft.entity is not None and draft.spoken_name is not None:
            requires, excludes = data.requires_context or {}, data.excludes_context or {}
            named = [
                e.id
                for e in self.registry.by_name(draft.spoken_name)
                if entity_fits(e, requires, excludes)
            ]
        targets = gold_targets(self.registry, intent, draft.edge, named, draft.here.id)
        if not targets and intent not in QUERY_INTENTS:
            self.outcome.untargeted[intent] += 1
            return False
        if not self.hassil_agrees(text, intent, draft):
            return False
        self.seen.add(text.casefold())
        row = {
            "text": text,
            "intent": intent,
            "slots": draft.edge,
            "targets": sorted(targets),
            "area": draft.here.id,
        }
        reasons = [reason for pattern, reason in XFAIL if pattern.search(text)]
        if reasons:
            row["xfail"] = "; ".join(reasons)
        self.outcome.rows.append(row)
        self.outcome.kept[intent] += 1
        return True

    def hassil_agrees(self, text: str, intent: str, draft: Draft) -> bool:
        """Whether hassil's best reading of ``text`` is ``intent`` with exactly the drawn slots.

        A best reading that another reading ties with (hassil then decides by intent name)
        is no gold: the sentence means either.
        """
        from hassil import recognize_ranked

        results = recognize_ranked(
            text,
            self.library.intents,
            slot_lists=self.lists,
            intent_context={"area": {"value": draft.here.name, "text": draft.here.name}},
            language="en",
            best_slot_name="name",
        )
        best = results[0] if results else None
        got = {} if best is None else {k: e.value for k, e in best.entities.items()}
        agrees = (
            best is not None
            and best.intent.name == intent
            and set(got) == set(draft.hassil)
            and all(same_value(v, got[k]) for k, v in draft.hassil.items())
        )
        tied = [
            r
            for r in results[1:]
            if best is not None and rank(r) == rank(best) and reading(r) != reading(best)
        ]
        if agrees and not tied:
            return True
        counter = self.outcome.rejected if not agrees else self.outcome.ambiguous
        counter[intent] += 1
        if len(self.outcome.examples) < 12:
            read = "nothing" if best is None else f"{best.intent.name} {got}"
            also = f" (tied with {tied[0].intent.name} {reading(tied[0])[1]})" if tied else ""
            self.outcome.examples.append(
                f"{text!r}: drew {intent} {draft.hassil}, hassil read {read}{also}"
            )
        return False

    def intent(self, intent: str, per_intent: int) -> None:
        """Every usable block once, then more round the blocks until ``per_intent``."""
        blocks = []
        for data in self.library.intents.intents[intent].data:
            rules = {**self.library.intents.expansion_rules, **data.expansion_rules}
            sentences = [s for s in data.sentences if self.usable(data, s, rules)]
            if sentences:
                blocks.append((data, sentences))
        self.rng.shuffle(blocks)
        tries = Counter[int]()
        open_blocks = list(range(len(blocks)))
        done = Counter[int]()
        while open_blocks:
            for index in list(open_blocks):
                enough = self.outcome.kept[intent] >= per_intent and done[index] > 0
                if enough or tries[index] >= ATTEMPTS_PER_BLOCK * (done[index] + 1):
                    open_blocks.remove(index)
                    continue
                tries[index] += 1
                done[index] += self.one(intent, *blocks[index])


def list_refs(expr: Any, rules: Mapping[str, Any], depth: int = 0) -> Iterator[Any]:
    """Every list reference a template may use, through its expansion rules."""
    from hassil import Group, ListReference, RuleReference

    if depth > 32:
        return
    if isinstance(expr, ListReference):
        yield expr
    elif isinstance(expr, Group):
        for item in expr.items:
            yield from list_refs(item, rules, depth + 1)
    elif isinstance(expr, RuleReference) and expr.rule_name in rules:
        yield from list_refs(rules[expr.rule_name].expression, rules, depth + 1)


def expand(
    expr: Any, rules: Mapping[str, Any], rng: random.Random, fill: Callable[[Any], str]
) -> str:
    """One random text of a template: one alternative, optionals in or out, any order."""
    from hassil import Alternative, ListReference, Permutation, RuleReference, TextChunk

    if isinstance(expr, TextChunk):
        return str(expr.original_text)
    if isinstance(expr, Alternative):
        return expand(rng.choice(expr.items), rules, rng, fill)
    if isinstance(expr, Permutation):
        items = list(expr.items)
        rng.shuffle(items)
        return " ".join(expand(item, rules, rng, fill) for item in items)
    if isinstance(expr, RuleReference):
        return expand(rules[expr.rule_name].expression, rules, rng, fill)
    if isinstance(expr, ListReference):
        return fill(expr)
    return "".join(expand(item, rules, rng, fill) for item in expr.items)


def rank(result: Any) -> tuple[int, int, int, int]:
    """hassil's ranking of a reading without its last tie-break (the intent's name)."""
    name = result.entities.get("name")
    spoken = len(name.text) if name is not None and not name.is_wildcard else -1
    wildcards = [e for e in result.entities_list if e.is_wildcard]
    return (
        -spoken,
        len(wildcards),
        -result.text_chunks_matched,
        sum(len(e.text or "") for e in wildcards),
    )


def reading(result: Any) -> tuple[str, str]:
    """A reading's intent and slots, comparable."""
    slots = {k: str(e.value).casefold() for k, e in result.entities.items()}
    return result.intent.name, json.dumps(slots, sort_keys=True)


def tidy(text: str) -> str:
    """Lower case, single spaces, a word said twice in a row said once ("floor floor").

    A number said in words is a word of its own: the templates' unit glued to digits
    ("4000k", "21°") would give "two thousandk" ("twenty-minute" and "fifty%" stay).
    """
    text = re.sub(_WORDS_END + r"(?=[^\s%-])", " ", text)
    text = text.replace(_WORDS_START, "").replace(_WORDS_END, "")
    words = text.lower().split()
    kept = [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]
    return re.sub(r"\s+", " ", " ".join(kept)).strip()


def sample_home(home: Home, library: Library, seed: int, per_intent: int) -> Outcome:
    """Verified sentences for every served intent the home can express."""
    sampler = Sampler(home, library, random.Random(f"{seed}:{home.key}"))
    for intent in SERVED_INTENTS:
        if intent in library.intents.intents:
            sampler.intent(intent, per_intent)
    return sampler.outcome


def main(argv: list[str] | None = None) -> int:
    """Write one JSONL file per home and print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--per-intent", type=int, default=PER_INTENT)
    args = parser.parse_args(argv)
    library = load_library("en")
    summary: dict[str, Any] = {
        "seed": args.seed,
        "home_assistant_intents": library.version,
        "homes": {},
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for home in load_homes():
        outcome = sample_home(home, library, args.seed, args.per_intent)
        path = args.out_dir / home.file
        with path.open("w", encoding="utf-8") as out:
            for row in outcome.rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        summary["homes"][home.key] = {
            "file": str(path),
            "lines": len(outcome.rows),
            "per_intent": dict(outcome.kept),
            "hassil_rejected": sum(outcome.rejected.values()),
            "hassil_rejected_per_intent": dict(outcome.rejected),
            "hassil_ambiguous": sum(outcome.ambiguous.values()),
            "hassil_ambiguous_per_intent": dict(outcome.ambiguous),
            "no_targets_redrawn": sum(outcome.untargeted.values()),
            "rejected_examples": outcome.examples,
        }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
