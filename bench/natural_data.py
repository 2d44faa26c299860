"""Build ``bench/data/natural/``: home-control requests people wrote, with gold answers.

The requests are acon96/home-llm's English phrase piles (MIT, copied to
``bench/data/natural/piles``), not Home Assistant's sentence templates, so they measure how
edge-os copes with phrasings its grammar was not written from. Writes:

- ``home.yaml``: an edge-os config holding the devices the requests name (spoken names from
  ``pile_of_device_names.csv``, else from ``curation.yaml`` or the entity id; areas where a
  name holds a room);
- ``all.jsonl``: one gold line a request, ``{"text", "intent", "slots", "targets", "source"}``
  in Home Assistant's intent names and slot conventions;
- ``tune.jsonl`` (~40 %) and ``heldout.jsonl`` (~60 %), split by a hash of the normalised text.
  Nothing is ever tuned on ``heldout.jsonl``;
- three sets beside it, each with its ``-tune``/``-heldout`` split the same way:
  ``multi.jsonl`` (several requests in one sentence: ``{"text", "parts": [{"intent", "slots",
  "targets"}, ...], "source"}``), ``absent.jsonl`` (requests for devices this home lacks:
  ``"intent": null``, nothing may move) and ``relative.jsonl`` (dim / turn up or down a light:
  ``HassLightSet`` with ``brightness_step``). They draw from their own seeded generator, so
  the four files above do not move because of them.

A request is kept only when a person would know which device it means in this home: of pile
devices sharing a spoken name one is kept; a request that calls its device by another
device's name, or by a room it does not stand in, is dropped; so are requests Home
Assistant has no intent for. The summary printed (JSON) counts what was dropped and why.
Seeded: the same piles give the same files.

Run: ``.venv/bin/python bench/natural_data.py [--out DIR]``
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
NATURAL = REPO / "bench" / "data" / "natural"
SEED = 20261129
TUNE_PERCENT = 40
"""Share of lines (by hash of the text) that may be tuned on; the rest is held out."""
COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "turquoise")
"""Home Assistant's colour names (its ``color`` list), less black and brown."""
SETPOINTS_C = tuple(range(17, 26))
"""Thermostat set-points filled into the climate templates, in °C."""
CAPABILITIES = {
    "light": ["brightness", "color"],
    "media_player": ["volume", "pause", "tracks", "mute"],
    "climate": ["temperature"],
}
Mapped = tuple[str, dict[str, Any]]
"""An intent and its fixed slots."""
INTENTS: dict[str, Mapped] = {
    "turn_on": ("HassTurnOn", {}),
    "turn_off": ("HassTurnOff", {}),
    "toggle": ("HassToggle", {}),
    "open_cover": ("HassTurnOn", {}),  # HA: covers open with HassTurnOn, close with Off
    "close_cover": ("HassTurnOff", {}),
    "lock": ("HassTurnOn", {}),  # HA: locks lock with HassTurnOn, unlock with Off
    "unlock": ("HassTurnOff", {}),
    "media_play": ("HassMediaUnpause", {}),
    "media_pause": ("HassMediaPause", {}),
    "media_next_track": ("HassMediaNext", {}),
    "media_previous_track": ("HassMediaPrevious", {}),
    "volume_up": ("HassSetVolumeRelative", {"volume_step": "up"}),
    "volume_down": ("HassSetVolumeRelative", {"volume_step": "down"}),
    "volume_mute": ("HassMediaPlayerMute", {}),
    "start": ("HassVacuumStart", {}),
    "return_to_base": ("HassVacuumReturnToBase", {}),
    "set_temperature": ("HassClimateSetTemperature", {}),
}
"""home-llm service -> Home Assistant intent and fixed slots."""
NO_INTENT = {
    "stop_cover": "stop a cover: Home Assistant has no intent for it",
    "increase_speed": "relative fan speed: Home Assistant has no intent for it",
    "decrease_speed": "relative fan speed: Home Assistant has no intent for it",
    "media_stop": "stop a media player: Home Assistant has no intent for it",
    "stop": "stop a vacuum: Home Assistant has no intent for it",
    "pause": "pause a vacuum: Home Assistant has no intent for it",
    "set_humidity": "humidity, fan mode or HVAC mode: no intent edge-os serves",
    "set_fan_mode": "humidity, fan mode or HVAC mode: no intent edge-os serves",
    "set_hvac_mode": "humidity, fan mode or HVAC mode: no intent edge-os serves",
}
OUT_OF_SCOPE = {"timer", "todo"}
"""home-llm's timer and to-do entities: not devices of this home."""
LIGHT_WORDS = re.compile(r"\b(light|lights|lighting|lamp|lanterns|sconces?|chandelier|"
                         r"floodlights?|spotlights|dimmer|nightlight|strip)\b")  # fmt: skip
DIM_WORDS = re.compile(r"\bdim\b|\bturn (down|up)\b")
GENERIC = {"light", "lamp", "fan", "lock", "door", "blinds", "vacuum", "media", "player",
           "system", "speaker", "speakers", "audio", "sound", "tv", "switch"}  # fmt: skip
"""Words of a name that say no more than the device's kind."""
PLURALS = {"lights": "light", "lighting": "light", "lamps": "lamp", "fans": "fan"}


def norm(text: str) -> str:
    """Lower case, punctuation and extra spaces removed (edge-os's normalize_name)."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def name_key(name: str) -> str:
    """A spoken name as a listener hears it: "Hallway Lights" and "Hallway lighting" alike."""
    return " ".join(PLURALS.get(w, w) for w in norm(name).split())


def says(text: str, phrase: str) -> bool:
    """Whether ``text`` holds ``phrase`` as whole words ("lights" says "light")."""
    return re.search(rf"\b{re.escape(name_key(phrase))}\b", name_key(text)) is not None


def slug(text: str) -> str:
    """An id from a name: "Living room" -> living_room."""
    return "_".join(norm(text).split())


@dataclass
class Device:
    """One device of the home, named the way the piles name it."""

    pile_id: str
    """home-llm's id (``blinds.kitchen``)."""
    kind: str
    """home-llm's device type: light, switch, fan, blinds, garage_door, lock, ..."""
    name: str
    area: str | None = None
    """Room name, or None where the name implies none."""
    rows: int = 0
    """Requests of pile_of_specific_actions.csv that act on it."""

    @property
    def entity_id(self) -> str:
        """edge-os's id: blinds and garage doors are covers (``cover.kitchen_blinds``)."""
        obj = self.pile_id.split(".", 1)[1].lower()
        if self.kind in {"blinds", "garage_door"}:
            return f"cover.{obj}_{self.kind}"
        return f"{self.kind}.{obj}"

    @property
    def group(self) -> str:
        """What a listener takes it for: a light switch is a light, a fan switch a fan."""
        if self.kind == "switch" and LIGHT_WORDS.search(norm(self.name)):
            return "light"
        if self.kind == "switch" and re.search(r"\bfan\b", norm(self.name)):
            return "fan"
        return self.kind


@dataclass
class Line:
    """One gold request."""

    text: str
    intent: str
    slots: dict[str, Any]
    targets: list[str]
    source: str

    def json(self) -> dict[str, Any]:
        """The line as written to the JSONL files."""
        return {"text": self.text, "intent": self.intent, "slots": self.slots,
                "targets": self.targets, "source": self.source}  # fmt: skip


@dataclass
class Build:
    """Everything one run decides, and the tally of what it left out."""

    curation: dict[str, Any]
    descriptions: dict[str, str]
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    dropped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    relabelled: Counter[str] = field(default_factory=Counter)
    relative: list[tuple[str, str, str]] = field(default_factory=list)
    """``(source, pile id, phrase)`` of the requests to dim or turn up/down a light."""

    def drop(self, reason: str, text: str) -> None:
        """Leave ``text`` out, counted under ``reason``."""
        self.dropped[reason].append(text)

    def device(self, pile_id: str) -> Device:
        """A pile device, named by curation.yaml, else its description, else its id."""
        kind, obj = pile_id.split(".", 1)
        name = self.curation["names"].get(pile_id) or self.descriptions.get(pile_id)
        if name is None:
            words = [{"tv": "TV", "cd": "CD"}.get(w, w) for w in obj.lower().split("_")]
            if kind == "light" and re.fullmatch(r"[a-z]+s_lamp", obj.lower()):
                words = [f"{words[0][:-1]}'s", "lamp"]  # bobs_lamp -> Bob's lamp
            if kind in {"fan", "vacuum"} and kind not in words:
                words.append(kind)
            name = " ".join(words)
            name = name[0].upper() + name[1:]
        return Device(pile_id, kind, name, self.room_in(name))

    def room_in(self, text: str) -> str | None:
        """The room ``text`` names first (the longest where two start together), or None."""
        found = []
        for room in self.curation["rooms"]:
            match = re.search(rf"\b{re.escape(name_key(room))}\b", name_key(text))
            if match:
                found.append((match.start(), -len(room), room))
        return min(found)[2] if found else None


def read_csv(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``(source, row)`` per row; source is ``file:line``."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield f"{path.name}:{reader.line_num}", row


DIMMED = "asks to dim or turn down; the pile's gold is on/off"


def dims(kind: str, service: str, phrase: str) -> bool:
    """Whether an on/off request of a light or switch asks to dim or turn it up/down."""
    on_off = service in INTENTS and INTENTS[service][0] in {"HassTurnOn", "HassTurnOff"}
    return on_off and kind in {"light", "switch"} and DIM_WORDS.search(norm(phrase)) is not None


def set_aside(build: Build, source: str, kind: str, service: str, row: dict[str, str]) -> None:
    """Keep a request to dim or turn a light up/down (dropped from all.jsonl) for relative.jsonl."""
    if dims(kind, service, row["phrase"].strip()):
        build.relative.append((source, f"{kind}.{row['device_name']}", row["phrase"].strip()))


def intent_of(kind: str, service: str, phrase: str, build: Build) -> Mapped | None:
    """Home Assistant's intent for a home-llm service as ``phrase`` asks it, or None (dropped)."""
    if service in NO_INTENT:
        build.drop(NO_INTENT[service], phrase)
        return None
    if service == "toggle" and kind in {"blinds", "garage_door"}:
        build.drop("toggle a cover: edge-os covers have no toggle action", phrase)
        return None
    intent, slots = INTENTS[service]
    on_off = intent in {"HassTurnOn", "HassTurnOff"}
    if dims(kind, service, phrase):
        build.drop(DIMMED, phrase)
        return None
    if on_off and re.search(r"\btoggle\b", norm(phrase)):
        build.relabelled["says toggle: HassToggle, not the pile's turn_on/off"] += 1
        intent = "HassToggle"
    return intent, dict(slots)


def specific_lines(build: Build, piles: Path) -> tuple[list[Line], dict[str, Device]]:
    """Gold lines of pile_of_specific_actions.csv, and the devices of the home they need."""
    wanted: list[tuple[str, dict[str, str], str, dict[str, Any], Device]] = []
    devices: dict[str, Device] = {}
    for source, row in read_csv(piles / "pile_of_specific_actions.csv"):
        kind, service = row["service_name"].split(".", 1)
        phrase = row["phrase"].strip()
        if phrase in build.curation["drop"]:
            build.drop(build.curation["drop"][phrase], phrase)
            continue
        mapped = intent_of(kind, service, phrase, build)
        if mapped is None:
            set_aside(build, source, kind, service, row)
            continue
        pile_id = f"{kind}.{row['device_name']}"
        device = devices.setdefault(pile_id, build.device(pile_id))
        device.rows += 1
        wanted.append((source, row, *mapped, device))
    # pile devices sharing a spoken name: keep the one most requests act on
    by_name: dict[str, list[Device]] = defaultdict(list)
    for device in devices.values():
        by_name[name_key(device.name)].append(device)
    kept = {}
    for same in by_name.values():
        same.sort(key=lambda d: (-d.rows, bool(re.search(r"\d$", d.pile_id)), d.pile_id))
        kept[same[0].pile_id] = same[0]
    staged = []
    for source, row, intent, slots, device in wanted:
        phrase = row["phrase"].strip()
        if device.pile_id not in kept:
            build.drop("device shares its spoken name with another pile device (kept)", phrase)
            continue
        rivals = [d for d in kept.values() if d is not device and d.group == device.group]
        if says(phrase, device.name):
            longer = [d for d in rivals if says(d.name, device.name) and says(phrase, d.name)]
        else:
            longer = [d for d in rivals if says(phrase, d.name)]
        if longer:
            build.drop("calls its device by another device's name", phrase)
            continue
        staged.append((source, phrase, intent, slots, device))
    home = {d.pile_id: d for *_, d in staged}
    lines = []
    for source, phrase, intent, slots, device in staged:
        targets = [device]
        room = None if says(phrase, device.name) else build.room_in(phrase)
        if room is not None and device.area is not None and room != device.area:
            build.drop("places its device in a room it does not stand in", phrase)
            continue
        if room is not None and room == device.area:
            targets = room_targets(phrase, device, room, home)
            if not targets:
                build.drop("names only a room that holds several such devices", phrase)
                continue
        where = {"name": device.name} if len(targets) == 1 else {"area": room}
        ids = sorted(d.entity_id for d in targets)
        lines.append(Line(phrase, intent, {**where, **slots}, ids, source))
    return lines, home


def room_targets(phrase: str, device: Device, room: str, home: dict[str, Device]) -> list[Device]:
    """What a request that names ``room`` but not ``device`` means, or [] when unclear.

    Its device where the room holds no other of its domain, or where the request says
    what sets it apart ("the desk lamp in my office"), or says "the light" of a room
    whose one plain light it is; all the room's lights where it says "the lights"
    (Home Assistant's reading: lights, not switches).
    """
    domain = device.entity_id.split(".")[0]
    same = [d for d in home.values() if d.area == room and d.entity_id.startswith(domain + ".")]
    rest = re.sub(rf"\b{re.escape(name_key(room))}\b", "", name_key(device.name)).split()
    distinct = [word for word in rest if word not in GENERIC]
    if len(same) == 1 or (distinct and all(says(phrase, word) for word in distinct)):
        return [device]
    if domain != "light":
        return []
    if re.search(r"\b(lights|lighting)\b", norm(phrase)):
        return same
    return [device] if rest == ["light"] and says(phrase, "light") else []


def fill_name(phrase: str, placeholder: str, device: Device, owner: bool = True) -> str:
    """``phrase`` with the device's spoken name, lower case as a transcript has it.

    ``owner``: a name that opens with a possessive is a person's ("Bob's lamp"), so "the"
    before it goes; False where it is a room's ("the kids' room fan").
    """
    name = " ".join(w if w.isupper() or any(c.isdigit() for c in w) else w.lower()
                    for w in device.name.split())  # fmt: skip
    after = phrase.split(placeholder, 1)[1].split()
    if after and name.lower().endswith(" " + norm(after[0])):
        name = name.rsplit(" ", 1)[0]  # "Lift the <kitchen blinds> blinds": said once
    if owner and re.match(r"\w+'(s\b|\s)", name):
        phrase = re.sub(rf"\bthe {re.escape(placeholder)}", placeholder, phrase)  # not "the Bob's"
    return phrase.replace(placeholder, name, 1)


def by_kind(home: dict[str, Device]) -> dict[str, list[Device]]:
    """The home's devices by pile type, in a fixed order (for the seeded choices)."""
    kinds: dict[str, list[Device]] = defaultdict(list)
    for device in sorted(home.values(), key=lambda d: d.pile_id):
        kinds[device.kind].append(device)
    return kinds


def templated_lines(build: Build, piles: Path, home: dict[str, Device]) -> list[Line]:
    """pile_of_templated_actions.csv filled with this home's devices and seeded values."""
    kinds = by_kind(home)
    thermostat = home[build.curation["thermostat"]["pile_id"]]
    lines = []
    for source, row in read_csv(piles / "pile_of_templated_actions.csv"):
        phrase = row["phrase"].strip()
        if "|" in row["device_type"]:
            build.drop("several requests in one sentence (one gold intent a line)", phrase)
            continue
        kind, service = row["device_type"], row["service"]
        if kind in OUT_OF_SCOPE:
            build.drop("timers and to-do lists: not devices of this home", phrase)
            continue
        if "Fahrenheit" in phrase:
            build.drop("a set-point in °F: edge-os thermostats take °C", phrase)
            continue
        mapped = intent_of(kind, service, phrase, build)
        if mapped is None:
            continue
        for _ in range(1 if row["multiplier"] == "1" else 2):
            intent, slots = mapped[0], dict(mapped[1])
            device = thermostat if kind == "climate" else build.rng.choice(kinds[kind])
            text = phrase
            if "<device_name>" in text:
                text = fill_name(text, "<device_name>", device)
                slots = {"name": device.name, **slots}
            if "<brightness>" in text:
                value = build.rng.choice(range(10, 101, 5))
                text, intent = text.replace("<brightness>", str(value)), "HassLightSet"
                slots["brightness"] = value
            if "<color>" in text:
                color = build.rng.choice(COLORS)
                text, intent = text.replace("<color>", color), "HassLightSet"
                slots["color"] = color
            if match := re.search(r"<temp_[cf]>", text):
                value = build.rng.choice(SETPOINTS_C)
                text = text.replace(match.group(), str(value))
                slots["temperature"] = value
            lines.append(Line(text, intent, slots, [device.entity_id], source))
    return lines


def asked_state(phrase: str, kind: str, build: Build) -> str | list[str] | None:
    """The state a question asks about ("is the X locked" -> locked), or None."""
    before, _, after = phrase.partition("<device_name>")
    words = norm(after).split()
    while words and words[0] in {"vacuum", "is", "are", "it"}:
        words = words[1:]
    rest = " ".join(words)
    if re.search(r"\bor\b", rest) and not re.search(r"\bor (something|what)\b", rest):
        return None  # "is the X on or off": no state asked
    table = build.curation["states"][kind]
    for key in sorted(table, key=len, reverse=True):
        if rest == key or rest.startswith(key + " "):
            value = table[key]
            return [str(v) for v in value] if isinstance(value, list) else str(value)
    for verb, state in build.curation["state_verbs"].items():
        if norm(before).endswith(verb) and not rest:
            return str(state)
    return None


def status_lines(build: Build, piles: Path, home: dict[str, Device]) -> list[Line]:
    """pile_of_status_requests.csv as HassGetState questions about this home's devices."""
    kinds = by_kind(home)
    attributes = build.curation["attribute_words"]
    lines = []
    for source, row in read_csv(piles / "pile_of_status_requests.csv"):
        phrase, kind = row["phrase"].strip(), row["device_type"]
        if kind in OUT_OF_SCOPE:
            build.drop("timers and to-do lists: not devices of this home", phrase)
            continue
        if any(word in phrase.lower() for word in attributes):
            build.drop("asks an attribute or a place: Home Assistant has no intent for it",
                       phrase)  # fmt: skip
            continue
        device = build.rng.choice(kinds[kind])
        slots: dict[str, Any] = {"name": device.name}
        if (state := asked_state(phrase, kind, build)) is not None:
            slots["state"] = state
        text = fill_name(phrase, "<device_name>", device)
        lines.append(Line(text, "HassGetState", slots, [device.entity_id], source))
    return lines


@dataclass
class Multi:
    """One gold line of several requests in one sentence, its parts in the order said."""

    text: str
    parts: list[dict[str, Any]]
    source: str

    def json(self) -> dict[str, Any]:
        """The line as written to multi.jsonl."""
        return {"text": self.text, "parts": self.parts, "source": self.source}


@dataclass
class Absent:
    """One request for a device this home does not have: nothing may move."""

    text: str
    source: str

    def json(self) -> dict[str, Any]:
        """The line as written to absent.jsonl."""
        return {"text": self.text, "intent": None, "slots": {}, "targets": [],
                "source": self.source}  # fmt: skip


Gold = Line | Multi | Absent
VALUE = re.compile(r"<(brightness|color|temp_[cf])>")


def multi_lines(extra: Build, piles: Path, home: dict[str, Device]) -> list[Multi]:
    """pile_of_templated_actions.csv's rows of several requests, filled with this home's devices.

    A part's intent is read from the words since the device before it ("Switch on <1> and
    toggle <2>": on, then toggle), a value from the words after its device; a row is dropped
    whole when a part has no intent. Devices are distinct and drawn from ``extra.rng``.
    """
    kinds = by_kind(home)
    lines = []
    for source, row in read_csv(piles / "pile_of_templated_actions.csv"):
        if "|" not in row["device_type"]:
            continue
        phrase = row["phrase"].strip()
        pieces = re.split(r"(<device_name\d>)", phrase)  # text, name, text, name, ..., text
        said = [int(name[-2]) - 1 for name in pieces[1::2]]
        types, services = row["device_type"].split("|"), row["service"].split("|")
        if sorted(said) != list(range(len(types))) or len(services) != len(types):
            extra.drop("multi: placeholders and device types do not pair up", phrase)
            continue
        mapped: list[Mapped] = []
        for k, n in enumerate(said):
            scratch = Build(extra.curation, extra.descriptions)
            got = intent_of(types[n], services[n], pieces[2 * k] + pieces[2 * k + 1], scratch)
            if got is None:
                reason = next(iter(scratch.dropped))
                extra.drop(f"multi: a part has no intent ({reason})", phrase)
                break
            extra.relabelled.update({f"multi: {k}": v for k, v in scratch.relabelled.items()})
            mapped.append(got)
        if len(mapped) != len(said):
            continue
        for _ in range(1 if row["multiplier"] == "1" else 2):
            used: list[Device] = []
            parts: list[dict[str, Any]] = []
            for n, (intent, slots) in zip(said, mapped, strict=True):
                device = extra.rng.choice([d for d in kinds[types[n]] if d not in used])
                used.append(device)
                parts.append({"intent": intent, "slots": {"name": device.name, **slots},
                              "targets": [device.entity_id]})  # fmt: skip
            texts = list(pieces)
            for j in range(0, len(texts), 2):  # a value belongs to the device said before it
                part = parts[max(j // 2 - 1, 0)]
                while match := VALUE.search(texts[j]):
                    kind = match.group(1)
                    if kind == "brightness":
                        value: Any = extra.rng.choice(range(10, 101, 5))
                    elif kind == "color":
                        value = extra.rng.choice(COLORS)
                    else:
                        value, kind = extra.rng.choice(SETPOINTS_C), "temperature"
                    texts[j] = texts[j].replace(match.group(), str(value), 1)
                    part["slots"][kind] = value
                    if kind != "temperature":
                        part["intent"] = "HassLightSet"
            text = "".join(texts)
            for n, device in zip(said, used, strict=True):
                text = fill_name(text, f"<device_name{n + 1}>", device)
            lines.append(Multi(text, parts, source))
    return lines


def absent_lines(extra: Build, piles: Path, home: dict[str, Device]) -> list[Absent]:
    """pile_of_refusals.csv's requests for devices the home lacks ("not_available").

    Dropped where the home has a device of that spoken name (then it is not absent), or one
    of its kind whose name the request's name holds ("Sunroom Lights Switch" and the home's
    "Sunroom lights"): a listener might well take that one to be meant.
    """
    names = {name_key(d.name): d for d in home.values()}
    lines = []
    for source, row in read_csv(piles / "pile_of_refusals.csv"):
        if row["reason_type"] != "not_available":
            continue
        kind = row["service_name"].split(".", 1)[0]
        asked = Device(f"{kind}.{row['device_name']}", kind, row["friendly_name"].strip())
        text = fill_name(row["phrase"].strip(), "<device_name>", asked, owner=False)
        if name_key(asked.name) in names:
            extra.drop("absent: the home has a device of that spoken name", text)
            continue
        if any(d.group == asked.group and says(asked.name, d.name) for d in home.values()):
            extra.drop("absent: its name holds the name of a home device of its kind", text)
            continue
        lines.append(Absent(text, source))
    return lines


def relative_lines(
    asked: list[tuple[str, str, str]], build: Build, home: dict[str, Device]
) -> list[Line]:
    """The requests to dim or turn a light up or down (``asked``) as HassLightSet.

    ``brightness_step`` is ``up`` for "turn up", else ``down``. A request whose pile device
    is not in the home (its on/off requests were all dropped) goes to the one home device of
    its kind it names, if any; otherwise it is dropped (the home does not change for these).
    The checks of specific_lines (another device's name, another room) apply.
    """
    lines = []
    for source, pile_id, phrase in asked:
        device = home.get(pile_id)
        if device is None:
            group = build.device(pile_id).group
            named = [d for d in home.values() if d.group == group and says(phrase, d.name)]
            named = [d for d in named if not any(o is not d and says(o.name, d.name)
                                                 for o in named)]  # fmt: skip
            if len(named) != 1:
                build.drop("relative: its device is not in the home", phrase)
                continue
            device = named[0]
            build.relabelled["relative: pile device not in the home; the one it names"] += 1
        rivals = [d for d in home.values() if d is not device and d.group == device.group]
        if says(phrase, device.name):
            longer = [d for d in rivals if says(d.name, device.name) and says(phrase, d.name)]
        else:
            longer = [d for d in rivals if says(phrase, d.name)]
        if longer:
            build.drop("relative: calls its device by another device's name", phrase)
            continue
        targets = [device]
        room = None if says(phrase, device.name) else build.room_in(phrase)
        if room is not None and device.area is not None and room != device.area:
            build.drop("relative: places its device in a room it does not stand in", phrase)
            continue
        if room is not None and room == device.area:
            targets = room_targets(phrase, device, room, home)
            if not targets:
                build.drop("relative: names only a room that holds several such devices", phrase)
                continue
        where = {"name": device.name} if len(targets) == 1 else {"area": room}
        step = "up" if re.search(r"\bturn up\b", norm(phrase)) else "down"
        ids = sorted(d.entity_id for d in targets)
        lines.append(Line(phrase, "HassLightSet", {**where, "brightness_step": step}, ids, source))
    return lines


def home_config(home: dict[str, Device], build: Build) -> dict[str, Any]:
    """The edge-os config of the home: one area a room, one MQTT entity a device."""
    rooms = sorted({d.area for d in home.values() if d.area is not None})
    entities = []
    for device in sorted(home.values(), key=lambda d: d.entity_id):
        domain, obj = device.entity_id.split(".", 1)
        entity: dict[str, Any] = {"id": device.entity_id, "name": device.name}
        if device.area is not None:
            entity["area"] = slug(device.area)
        if device.kind in {"blinds", "garage_door"}:
            entity["device_class"] = "blind" if device.kind == "blinds" else "garage"
        if domain in CAPABILITIES:
            entity["capabilities"] = CAPABILITIES[domain]
        entity["mqtt"] = {"command_topic": f"natural/{domain}/{obj}/set",
                          "state_topic": f"natural/{domain}/{obj}/state"}  # fmt: skip
        entities.append(entity)
    site_area = slug(build.curation["thermostat"]["area"])
    return {
        "site": {"id": "natural", "area": site_area},
        "areas": [{"id": slug(room), "name": room} for room in rooms],
        "entities": entities,
    }


def split_of(text: str) -> str:
    """``tune`` or ``heldout``, by a hash of the normalised text (stable across runs)."""
    digest = hashlib.sha256(norm(text).encode("utf-8")).hexdigest()
    return "tune" if int(digest[:8], 16) % 100 < TUNE_PERCENT else "heldout"


HEADER = """\
# The home of the natural-request dev set (bench/data/natural/README.md): the devices that
# acon96/home-llm's phrase piles (MIT) name, as edge-os entities. Generated by
# bench/natural_data.py; do not edit by hand. Topics are placeholders.
# Validate: edge-os config validate bench/data/natural/home.yaml
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=NATURAL, help="folder to write")
    parser.add_argument("--piles", type=Path, default=NATURAL / "piles", help="home-llm piles")
    args = parser.parse_args(argv)
    curation = yaml.safe_load((NATURAL / "curation.yaml").read_text(encoding="utf-8"))
    descriptions: dict[str, str] = {}
    for _, row in read_csv(args.piles / "pile_of_device_names.csv"):
        descriptions.setdefault(row["device_name"], row["description"].strip())
    build = Build(curation, descriptions)

    lines, home = specific_lines(build, args.piles)
    thermostat = build.device(curation["thermostat"]["pile_id"])
    thermostat.area = curation["thermostat"]["area"]
    home[thermostat.pile_id] = thermostat
    lines += templated_lines(build, args.piles, home)
    lines += status_lines(build, args.piles, home)

    seen: dict[str, Line] = {}
    for line in lines:
        key = norm(line.text)
        if key in seen:
            build.drop("same text as an earlier line", line.text)
        else:
            seen[key] = line
    lines = list(seen.values())

    args.out.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_dump(home_config(home, build), sort_keys=False, width=100)
    (args.out / "home.yaml").write_text(HEADER + "\n" + config, encoding="utf-8")
    parts: dict[str, list[Line]] = {"all": lines, "tune": [], "heldout": []}
    for line in lines:
        parts[split_of(line.text)].append(line)
    write(args.out, "", parts)

    # the sets beside it: their own generator, so the files above do not move
    extra = Build(curation, descriptions, rng=random.Random(SEED + 1))
    sets: dict[str, list[Gold]] = {
        "multi": list(multi_lines(extra, args.piles, home)),
        "absent": list(absent_lines(extra, args.piles, home)),
        "relative": list(relative_lines(build.relative, extra, home)),
    }
    taken = set(seen)
    counts = {}
    for name, got in sets.items():
        chosen: dict[str, list[Gold]] = {"all": [], "tune": [], "heldout": []}
        for gold in got:
            key = norm(gold.text)
            if key in taken:
                extra.drop(f"{name}: same text as an earlier line", gold.text)
                continue
            taken.add(key)
            chosen["all"].append(gold)
            chosen[split_of(gold.text)].append(gold)
        write(args.out, name, chosen)
        counts[name] = {part: len(lines) for part, lines in chosen.items()}

    summary = summarize(parts, home, build)
    summary["sets"] = {
        "lines": counts,
        "relabelled": dict(extra.relabelled),
        "dropped": {
            reason: {"n": len(texts), "examples": texts[:3]}
            for reason, texts in sorted(extra.dropped.items(), key=lambda kv: -len(kv[1]))
        },
    }
    json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


def write(out: Path, name: str, parts: dict[str, list[Line]] | dict[str, list[Gold]]) -> None:
    """A JSONL file a part: ``all``, ``tune``, ``heldout``; ``NAME``, ``NAME-tune``..."""
    for part, chosen in parts.items():
        file = part if not name else name if part == "all" else f"{name}-{part}"
        with (out / f"{file}.jsonl").open("w", encoding="utf-8") as handle:
            for line in chosen:
                handle.write(json.dumps(line.json(), ensure_ascii=False) + "\n")


def summarize(
    parts: dict[str, list[Line]], home: dict[str, Device], build: Build
) -> dict[str, Any]:
    """Lines per part, intent and pile; the home's size; what was relabelled or dropped."""
    intents = sorted({line.intent for line in parts["all"]})
    return {
        "lines": {part: len(chosen) for part, chosen in parts.items()},
        "by_intent": {
            intent: {part: sum(x.intent == intent for x in got) for part, got in parts.items()}
            for intent in intents
        },
        "by_source": dict(Counter(line.source.split(":")[0] for line in parts["all"])),
        "several_targets": sum(len(line.targets) > 1 for line in parts["all"]),
        "home": {"entities": len(home), "areas": len({d.area for d in home.values() if d.area})},
        "relabelled": dict(build.relabelled),
        "dropped": {
            reason: {"n": len(texts), "examples": texts[:3]}
            for reason, texts in sorted(build.dropped.items(), key=lambda kv: -len(kv[1]))
        },
    }


if __name__ == "__main__":
    raise SystemExit(main())
