"""Did a change leave behaviour and speed alone? Two revisions, measured in one interleaved run.

For a restructuring (files moved, classes split) the answer must be "nothing changed": the
same readings of the held-out natural requests and of Home Assistant's intent tests, row
for row, and the whole loop's latency and memory within the noise of this shared machine.
``REV`` is checked out in a temporary worktree and run with this checkout's virtualenv;
the other side is this working tree. Rounds alternate (before, after, before, ...) so load
on the machine hits both alike. Writes bench/results/same.json.

    .venv/bin/python bench/same.py REV [--rounds 3] [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
HOME = "devices/example-home.yaml"
STAGES = ("transcript", "intent", "mqtt_acknowledged", "first_audio")


def _edge_os(tree: Path, *args: str) -> str:
    """``python -m edge_os ARGS`` run in ``tree`` (its own package, this virtualenv)."""
    done = subprocess.run(
        [PYTHON, "-m", "edge_os", *args], cwd=tree, capture_output=True, text=True, check=False
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"edge-os {' '.join(args)} in {tree} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _readings(tree: Path, folder: Path) -> dict[str, Any]:
    """Per data set: the rows `eval intents` wrote, without timings, and its summary."""
    sets = {
        "natural_heldout": [
            "bench/data/natural/heldout.jsonl", "--devices", "bench/data/natural/home.yaml"
        ],
        "ha_intents_tests": ["bench/data/ha-intents-tests/en", "--no-llm", "--area", "Living Room"],
    }  # fmt: skip
    out: dict[str, Any] = {}
    for name, args in sets.items():
        rows_file = folder / f"{name}.jsonl"
        summary = json.loads(
            _edge_os(tree, "eval", "intents", *args, "--json", "--rows", str(rows_file))
        )
        rows = [json.loads(line) for line in rows_file.read_text().splitlines()]
        out[name] = {
            "rows": [{k: v for k, v in r.items() if "ms" not in k} for r in rows],
            "exact_match": summary["exact_match"],
            "dangerous": summary.get("dangerous", {}).get("n"),
            "n": summary["n"],
        }
    return out


def _loop(tree: Path, out: Path, repeat: int) -> dict[str, Any]:
    _edge_os(tree, "-c", HOME, "bench", "--repeat", str(repeat), "--json", "--out", str(out))
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the revision to compare this working tree with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "same.json")
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", args.rev], cwd=REPO, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="edge-os-same-") as tmp:
        work = Path(tmp)
        before = work / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(before), commit], cwd=REPO, check=True,
            capture_output=True,
        )  # fmt: skip
        try:
            trees = {"before": before, "after": REPO}
            loops: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
            for round_ in range(args.rounds):
                for side, tree in trees.items():
                    loops[side].append(_loop(tree, work / f"{side}-{round_}.json", args.repeat))
            readings = {}
            for side, tree in trees.items():
                rows = work / f"{side}-rows"
                rows.mkdir()
                readings[side] = _readings(tree, rows)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(before)], cwd=REPO, check=False
            )
    report: dict[str, Any] = {"before": commit, "after": "working tree", "rounds": args.rounds}
    for name in readings["before"]:
        b, a = readings["before"][name], readings["after"][name]
        report[name] = {
            "n": b["n"],
            "rows_differing": sum(x != y for x, y in zip(b["rows"], a["rows"], strict=True)),
            "exact_match": [b["exact_match"], a["exact_match"]],
            "dangerous": [b["dangerous"], a["dangerous"]],
        }
    loop: dict[str, Any] = {}
    for stage in STAGES:
        medians = [
            statistics.median(r["end_of_speech_to_ms"][stage]["p50"] for r in loops[side])
            for side in ("before", "after")
        ]
        loop[f"{stage}_p50_ms"] = [*medians, round(medians[1] / medians[0], 3)]
    rss = [statistics.median(r["peak_rss_mb"] for r in loops[s]) for s in ("before", "after")]
    loop["peak_rss_mb"] = [*rss, round(rss[1] / rss[0], 3)]
    loop["actions"] = [loops[s][0]["actions"] for s in ("before", "after")]
    loop["note"] = "[before, after, after/before]; medians over rounds of each run's p50"
    report["loop"] = loop
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
