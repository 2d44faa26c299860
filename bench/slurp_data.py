"""Build ``bench/data/slurp/``: SLURP's test split as gold home-control requests.

SLURP (Bastianelli et al., EMNLP 2020; text CC BY 4.0) holds requests people said to a home
assistant, recorded and annotated with a scenario, an action and entities. Its test split
is only ever measured here, never tuned on (issue #13's rule; its devel split is not used).
``bench/data/slurp/test.tsv`` is every line of ``dataset/slurp/test.jsonl`` (commit
32d6cce), four columns: ``slurp_id``, ``scenario``, ``intent``, ``sentence_annotation``.

Writes, beside ``home.yaml`` (hand written):

- ``heldout.jsonl``: the requests this home can carry out or must refuse (scenarios iot,
  audio, datetime and alarm), in Home Assistant's intents and slot conventions, with gold
  targets; ``curation.yaml`` says how each SLURP label maps, and which lines get another
  gold, none, or are left out (and why);
- ``other-heldout.jsonl``: every request of the scenarios this home cannot serve (calendar,
  email, weather, ...): ``"intent": null``, nothing may move.

Prints a JSON summary (lines per intent, left out per reason).

Run: ``.venv/bin/python bench/slurp_data.py [--out DIR]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

DATA = Path(__file__).parent / "data" / "slurp"
SITE_AREA = "living_room"
_ENTITY = re.compile(r"\[\s*([a-z_]+)\s*:\s*([^\]]*?)\s*\]")


def _home(path: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    config = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    areas = {}
    for area in config["areas"]:
        for name in (area["name"], *area.get("aliases", [])):
            areas[name.lower()] = area["id"]
        areas[area["id"]] = area["id"]
    return areas, config["entities"]


def _sentence(annotation: str) -> tuple[str, list[tuple[str, str]]]:
    entities = [(m.group(1), m.group(2)) for m in _ENTITY.finditer(annotation)]
    text = _ENTITY.sub(lambda m: m.group(2), annotation)
    return " ".join(text.split()), entities


def _targets(slots: dict[str, Any], entities: list[dict[str, Any]]) -> list[str]:
    if "name" in slots:
        return [e["id"] for e in entities if e["name"] == slots["name"]]
    domain = slots.get("domain")
    area = slots.get("area")
    return sorted(
        e["id"]
        for e in entities
        if (domain is None or e["id"].startswith(domain + "."))
        and (area is None or e["area"] == area)
    )


def _gold(
    sid: int,
    key: str,
    ents: list[tuple[str, str]],
    *,
    curation: dict[str, Any],
    areas: dict[str, str],
    entities: list[dict[str, Any]],
) -> dict[str, Any] | None:
    """The gold of one request (None: its scenario is not this home's)."""
    source = f"slurp test.jsonl:{sid}"
    gold = curation["gold"]
    if sid in curation["none"]:
        return {"intent": None, "slots": {}, "targets": []}
    if sid in gold:
        slots = dict(gold[sid].get("slots", {}))
        line: dict[str, Any] = {"intent": gold[sid]["intent"], "slots": slots}
        if "name" in slots or "domain" in slots:
            line["targets"] = _targets(slots, entities)
        return line
    if key in curation["intents"]:
        rule = curation["intents"][key]
        slots = dict(rule.get("slots", {}))
        if "name" in rule:
            slots["name"] = rule["name"]
        else:
            slots["domain"] = rule["domain"]
            place = next((v for t, v in ents if t == "house_place"), None)
            places = curation["places"]
            where = places.get(place, areas.get(place or "")) if place else "here"
            if where is None:
                raise SystemExit(f"{source}: place {place!r} not in the home")
            if where != "whole":
                slots["area"] = SITE_AREA if where == "here" else where
            if rule.get("color"):
                colour = next((v for t, v in ents if t == "color_type"), None)
                if colour is None:
                    raise SystemExit(f"{source}: a colour change with no colour: curate it")
                slots["color"] = colour
        return {"intent": rule["intent"], "slots": slots, "targets": _targets(slots, entities)}
    if key.startswith(("datetime_", "alarm_")) and key not in ("datetime_query", "alarm_set"):
        return None
    raise SystemExit(f"{source}: {key} has no gold: curate it")


def build(out: Path) -> dict[str, Any]:
    curation = YAML(typ="safe").load((DATA / "curation.yaml").read_text(encoding="utf-8"))
    areas, entities = _home(DATA / "home.yaml")
    curation["gold"] = {int(k): v for k, v in curation["gold"].items()}
    curation["none"] = set(curation["none"])
    excluded = {i: why for why, ids in curation["exclude"].items() for i in ids}
    home_lines: list[dict[str, Any]] = []
    other_lines: list[dict[str, Any]] = []
    left_out: Counter[str] = Counter()
    seen: set[int] = set()
    for row in (DATA / "test.tsv").read_text(encoding="utf-8").splitlines():
        sid_text, scenario, intent, annotation = row.split("\t")
        sid = int(sid_text)
        seen.add(sid)
        action = intent.removeprefix(scenario + "_")
        key = f"{scenario}_{action}"
        text, ents = _sentence(annotation)
        source = f"slurp test.jsonl:{sid}"
        if scenario in curation["none_scenarios"]:
            other_lines.append(
                {"text": text, "intent": None, "slots": {}, "targets": [], "source": source}
            )
            continue
        if scenario not in ("iot", "audio", "datetime", "alarm"):
            left_out["scenario not a home request (play, music)"] += 1
            continue
        if sid in excluded:
            left_out[excluded[sid]] += 1
            continue
        gold = _gold(sid, key, ents, curation=curation, areas=areas, entities=entities)
        if gold is None:
            left_out[f"{key}: not this home's"] += 1
            continue
        line = {"text": text, **gold}
        if line.get("targets") == [] and line["intent"] is not None:
            raise SystemExit(f"{source}: gold moves nothing in the home")
        line["source"] = source
        home_lines.append(line)
    for name in (*curation["none"], *curation["gold"], *excluded):
        if name not in seen:
            raise SystemExit(f"curation names slurp_id {name}, which test.tsv lacks")
    out.mkdir(parents=True, exist_ok=True)
    for name, lines in (("heldout.jsonl", home_lines), ("other-heldout.jsonl", other_lines)):
        with (out / name).open("w", encoding="utf-8") as f:
            for line in lines:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
    return {
        "heldout": len(home_lines),
        "heldout_by_intent": dict(Counter(str(x["intent"]) for x in home_lines).most_common()),
        "other_heldout": len(other_lines),
        "left_out": dict(left_out.most_common()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    json.dump(build(args.out), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
