"""Generate intent train/dev sentences for the example home (hassil + home-assistant-intents).

Sentences come from Home Assistant's English templates (``hassil.sample``) with the
example home's entities and areas as slot lists; gold slots are what hassil recognises in
each sampled sentence. Added: hand-written paraphrases, ASR-style corruptions of sampled
sentences (dropped words, fillers, misheard names, number words) and sentences that must
not be understood. A hash of the text puts each sentence in ``train`` (tune on it) or
``dev`` (never tune on it). Run: ``.venv/bin/python bench/intent_data.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_os.config.loader import load_config  # noqa: E402
from edge_os.devices.registry import DeviceRegistry  # noqa: E402
from edge_os.intent.evaluate import Sample, gold_targets  # noqa: E402
from edge_os.intent.plan import QUERY_INTENTS, plan  # noqa: E402
from edge_os.pipeline.stages import IntentResult  # noqa: E402

EXAMPLE_HOME = REPO / "devices" / "example-home.yaml"
INTENTS = (
    "HassTurnOn", "HassTurnOff", "HassLightSet", "HassSetPosition", "HassClimateSetTemperature",
    "HassClimateGetTemperature", "HassFanSetSpeed", "HassGetState", "HassStartTimer",
    "HassCancelTimer", "HassTimerStatus", "HassGetCurrentTime", "HassGetCurrentDate",
    "HassNevermind", "HassMediaPause", "HassMediaUnpause", "HassSetVolume",
)  # fmt: skip
KEPT_SLOTS = frozenset(
    {"name", "area", "domain", "brightness", "color", "temperature", "position", "percentage",
     "volume_level", "hours", "minutes", "seconds", "state"}
)  # fmt: skip
PER_INTENT = 40
"""Sampled sentences kept per intent (before the split)."""

PARAPHRASES: list[dict[str, Any]] = [
    {"text": "could you please switch on the coffee maker", "intent": "HassTurnOn",
     "slots": {"name": "Coffee machine"}},
    {"text": "kill the sprinklers", "intent": "HassTurnOff", "slots": {"name": "Sprinkler"}},
    {"text": "lights off in the bedroom please", "intent": "HassTurnOff",
     "slots": {"area": "Bedroom", "domain": "light"}},
    {"text": "make the reading lamp fifty percent", "intent": "HassLightSet",
     "slots": {"name": "Floor lamp", "brightness": 50}},
    {"text": "dim the desk lamp to twenty percent", "intent": "HassLightSet",
     "slots": {"name": "Desk light", "brightness": 20}},
    {"text": "set the thermostat to twenty one point five degrees", "intent":
     "HassClimateSetTemperature", "slots": {"name": "Thermostat", "temperature": 21.5}},
    {"text": "make it twenty two degrees in here", "intent": "HassClimateSetTemperature",
     "slots": {"temperature": 22}},
    {"text": "how cold is it in the bedroom", "intent": "HassClimateGetTemperature",
     "slots": {"area": "Bedroom"}},
    {"text": "lower the shades to thirty percent", "intent": "HassSetPosition",
     "slots": {"name": "Blinds", "position": 30}},
    {"text": "set the ceiling fan speed to seventy five", "intent": "HassFanSetSpeed",
     "slots": {"name": "Ceiling fan", "percentage": 75}},
    {"text": "turn the volume to forty", "intent": "HassSetVolume", "slots": {"volume_level": 40}},
    {"text": "pause the speaker", "intent": "HassMediaPause",
     "slots": {"name": "Living room speaker"}},
    {"text": "unpause the music", "intent": "HassMediaUnpause",
     "slots": {"name": "Living room speaker"}},
    {"text": "is the coffee machine on", "intent": "HassGetState",
     "slots": {"name": "Coffee machine", "state": "on"}},
    {"text": "start a timer for an hour and a half", "intent": "HassStartTimer",
     "slots": {"hours": 1, "minutes": 30}},
    {"text": "set a twenty minute timer", "intent": "HassStartTimer", "slots": {"minutes": 20}},
    {"text": "stop the timer", "intent": "HassCancelTimer", "slots": {}},
    {"text": "how long is left on the timer", "intent": "HassTimerStatus", "slots": {}},
    {"text": "whats the time", "intent": "HassGetCurrentTime", "slots": {}},
    {"text": "what day is it today", "intent": "HassGetCurrentDate", "slots": {}},
    {"text": "forget it", "intent": "HassNevermind", "slots": {}},
    {"text": "lock up the front door", "intent": "HassTurnOn", "slots": {"name": "Front door"}},
    {"text": "open the garage", "intent": "HassTurnOn", "slots": {"name": "Garage door"}},
    {"text": "turn the kitchen light to warm white", "intent": "HassLightSet",
     "slots": {"name": "Kitchen light", "temperature": 2700}},
    {"text": "make the floor lamp blue", "intent": "HassLightSet",
     "slots": {"name": "Floor lamp", "color": "blue"}},
    {"text": "turn on the lights in here", "intent": "HassTurnOn",
     "slots": {"domain": "light", "area": "Living room"}},
]  # fmt: skip
NEGATIVES = [
    "turn on the toaster", "open the fridge", "set the counter lights to red",
    "set the desk light to blue", "unlock the garage door", "lock the blinds",
    "what is the meaning of life", "play some jazz by miles davis", "order a pizza",
    "turn on the", "set the brightness", "call mom", "tell me a joke",
    "set the kitchen light to two hundred percent", "set the thermostat to ninety degrees",
    "dim the coffee machine to fifty percent", "how tall is mount everest",
    "blah blah blah", "the the the", "open the pod bay doors", "turn off the sun",
    "set the volume of the kitchen light to ten", "increase the speed of light",
    "is it going to rain tomorrow", "add milk to my shopping list",
]  # fmt: skip
FILLERS = ("um", "uh", "please", "hey", "okay", "could you")
SLIPS = {"off": "of", "turn": "tern", "light": "lite", "lights": "lites", "lamp": "lamb",
         "kitchen": "kitchin", "bedroom": "bed room", "temperature": "temprature",
         "blinds": "blind", "thermostat": "thermostats", "fan": "fans", "the": ""}  # fmt: skip
NUMBER_WORDS = {"10": "ten", "20": "twenty", "21": "twenty one", "25": "twenty five",
                "30": "thirty", "40": "forty", "50": "fifty", "75": "seventy five",
                "5": "five", "15": "fifteen", "22": "twenty two", "100": "one hundred"}  # fmt: skip


def hassil_setup(registry: DeviceRegistry) -> tuple[Any, dict[str, Any]]:
    """HA's English intents and the example home's name/area slot lists for hassil."""
    from hassil import Intents
    from hassil.intents import TextSlotList
    from home_assistant_intents import get_intents

    data = get_intents("en")
    if data is None:
        raise SystemExit("home-assistant-intents has no English intents")
    intents = Intents.from_dict(data)
    names: list[tuple[str, str, dict[str, str]]] = []
    for entity in registry:
        context = {"domain": entity.domain.value}
        if entity.device_class:
            context["device_class"] = entity.device_class
        if entity.area:
            context["area"] = registry.area(entity.area).name  # type: ignore[union-attr]
        names.extend((name, entity.name, context) for name in (entity.name, *entity.aliases))
    areas = [(n, a.name) for a in registry.areas for n in (a.name, *a.aliases)]
    floors = sorted({a.floor for a in registry.areas if a.floor})
    return intents, {
        "name": TextSlotList.from_tuples(names, allow_template=False),
        "area": TextSlotList.from_tuples(areas, allow_template=False),
        "floor": TextSlotList.from_strings(floors, allow_template=False),
    }


def hassil_gold(result: Any) -> tuple[str, dict[str, Any]]:
    """Intent name and kept slots of a hassil RecognizeResult."""
    slots = {}
    for key, entity in result.entities.items():
        if key in KEPT_SLOTS and not isinstance(entity.value, dict):
            slots[key] = entity.value
    return result.intent.name, slots


def split_of(text: str) -> str:
    """``dev`` for about a third of sentences (by a hash of the text), else ``train``."""
    return "dev" if hashlib.sha256(text.encode()).digest()[0] < 86 else "train"


def corrupt(text: str, rng: random.Random) -> str:
    """An ASR-style variant: a misheard word, a filler, a digit read as words."""
    words = text.lower().split()
    choice = rng.random()
    if choice < 0.4:
        slips = [i for i, w in enumerate(words) if w in SLIPS]
        if slips:
            index = rng.choice(slips)
            words[index] = SLIPS[words[index]]
    elif choice < 0.7:
        words.insert(rng.randrange(len(words) + 1) if words else 0, rng.choice(FILLERS))
    else:
        words = [_spell(word) for word in words]
    return " ".join(w for w in words if w)


def _spell(word: str) -> str:
    """``50%`` -> "fifty percent", ``21`` -> "twenty one"; other words unchanged."""
    number = word.rstrip("%")
    if number not in NUMBER_WORDS:
        return word
    return NUMBER_WORDS[number] + (" percent" if word.endswith("%") else "")


def executable(sample: Sample, registry: DeviceRegistry, area: str | None) -> bool:
    """Whether a gold sentence can be carried out in this home (queries always can)."""
    if sample.intent in QUERY_INTENTS:
        return True
    targets = gold_targets(sample, registry, area)
    if not targets:
        return False
    values = {k: v for k, v in sample.slots.items() if k not in {"name", "area", "domain"}}
    return bool(plan(IntentResult(sample.text, sample.intent, values, targets), registry))


def generate(seed: int = 5) -> list[dict[str, Any]]:
    """Every generated sentence with its gold intent, slots, source and split."""
    from hassil import recognize
    from hassil.errors import MissingListError
    from hassil.sample import sample_intents

    config = load_config(EXAMPLE_HOME)
    registry = DeviceRegistry.from_config(config)
    area = config.site.area
    area_name = registry.area(area).name if area else None  # type: ignore[union-attr]
    intents, lists = hassil_setup(registry)
    context = {"area": area_name} if area_name else None
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for intent in INTENTS:
        sampled = [
            text
            for _, text in sample_intents(
                intents, lists, max_sentences_per_intent=4000, intent_names={intent}
            )
        ]
        rng.shuffle(sampled)
        kept = 0
        for text in sampled:
            if kept >= PER_INTENT or text.lower() in seen:
                continue
            try:
                result = recognize(text, intents, lists, intent_context=context)
            except MissingListError:
                continue
            if result is None or result.intent.name != intent or "floor" in result.entities:
                continue
            name, slots = hassil_gold(result)
            sample = Sample(text, name, slots)
            if not executable(sample, registry, area):
                continue
            seen.add(text.lower())
            rows.append({"text": text, "intent": name, "slots": slots, "source": "hassil"})
            kept += 1
    for row in list(rows):
        if rng.random() < 0.35:
            text = corrupt(row["text"], rng)
            if text.lower() not in seen:
                seen.add(text.lower())
                rows.append({**row, "text": text, "source": "asr"})
    rows.extend({**row, "source": "paraphrase"} for row in PARAPHRASES)
    rows.extend({"text": t, "intent": None, "slots": {}, "source": "negative"} for t in NEGATIVES)
    for row in rows:
        row["split"] = split_of(row["text"])
    return rows


def main(argv: list[str] | None = None) -> int:
    """Write ``intent_train.jsonl`` and ``intent_dev.jsonl``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "data")
    args = parser.parse_args(argv)
    rows = generate()
    args.out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev"):
        path = args.out / f"intent_{split}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for row in rows:
                if row["split"] == split:
                    fields = {k: row[k] for k in ("text", "intent", "slots", "source")}
                    out.write(json.dumps(fields) + "\n")
        print(f"{path}: {sum(r['split'] == split for r in rows)} sentences")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
