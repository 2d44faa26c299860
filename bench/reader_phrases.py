"""Write the natural set's tune part as training sentences for the learned reader.

``bench/data/natural/tune.jsonl`` (home-llm's phrase piles, MIT) is the part of the natural
set that may be tuned on. Each of its requests is made plain the way the reader makes
sentences plain before it classifies them (the home's names replaced by plain words:
"could you enable the fan"), labelled with the reader's class for its gold intent, and
written to ``edge_os/intent/phrases/en-home-llm.yaml`` with home-llm's MIT notice. The
held-out parts are never read.

``--folds K`` instead estimates what this adds without looking at the held-out part:
K-fold cross-validation on the tune part (train on the templates, edge-os's own phrases
and K-1 folds; score the remaining fold), against the same folds without tune sentences;
``--written`` adds an arm that also trains on every request of ``bench/data/written`` that
asks for something.

``--rows FILE`` (with ``--folds``) writes the reading of each held-back request that is not
word for word in the other folds once made plain, as the held-out set's "unseen" part is
not in the tune part.

Run: ``.venv/bin/python bench/reader_phrases.py [--folds 5 [--written] [--rows FILE]]``.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from edge_os.config.loader import load_config  # noqa: E402
from edge_os.config.settings import IntentSettings  # noqa: E402
from edge_os.devices.registry import DeviceRegistry  # noqa: E402
from edge_os.intent.classifier import MeaningClassifier, template_label, training_set  # noqa: E402
from edge_os.intent.compiled import words  # noqa: E402
from edge_os.intent.embed.build import default_out_dir  # noqa: E402
from edge_os.intent.embed.encoder import SentenceEncoder  # noqa: E402
from edge_os.intent.engine import IntentEngine  # noqa: E402
from edge_os.intent.evaluate import Home, load_samples, run  # noqa: E402
from edge_os.intent.grammar import strip_wake_phrase  # noqa: E402
from edge_os.intent.plain import training_sentence  # noqa: E402
from edge_os.intent.reader import Reader  # noqa: E402

NATURAL = REPO / "bench" / "data" / "natural"
OUT = REPO / "edge_os" / "intent" / "phrases" / "en-home-llm.yaml"
NOTICE = """\
# Requests from acon96/home-llm's English phrase piles (data/piles/english, commit
# 5f627cae), by Alex O'Connell and contributors: the tune part of edge-os's natural-request
# set (bench/data/natural/tune.jsonl), made plain as the learned reader reads them and
# labelled with its classes. Written by bench/reader_phrases.py; do not edit by hand.
#
# Copyright 2024 Alex O'Connell
#
# Permission is hereby granted, free of charge, to any person obtaining a copy of this
# software and associated documentation files (the "Software"), to deal in the Software
# without restriction, including without limitation the rights to use, copy, modify, merge,
# publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
# to whom the Software is furnished to do so, subject to the following conditions:
#
# The above copyright notice and this permission notice shall be included in all copies or
# substantial portions of the Software.
#
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
# INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
# PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
# FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
# OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
# DEALINGS IN THE SOFTWARE.
"""


def label_of(intent: str, slots: dict[str, Any]) -> str | None:
    """The reader's class for a gold intent and its slots."""
    if intent == "HassLightSet" and "brightness_step" in slots:
        return "brighter" if slots["brightness_step"] == "up" else "dimmer"
    return template_label(intent, {k: v for k, v in slots.items() if k == "volume_step"} | (
        {"color": 1} if "color" in slots else {}) | ({"temperature": 1} if intent ==
        "HassLightSet" and "temperature" in slots else {}))  # fmt: skip


def plain_rows(path: Path, reader: Reader) -> list[tuple[str, str]]:
    """(plain sentence, class) for every gold line of ``path``."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        label = label_of(data["intent"], data["slots"]) if data["intent"] else "other"
        if label is None:
            continue
        tokens = strip_wake_phrase(words(data["text"]))
        plain = training_sentence(reader.plain_words(tokens, reader.finder.find(tokens)))
        rows.append((plain, label))
    return rows


WRITTEN = REPO / "bench" / "data" / "written"
HOMES = {
    "tune-natural-home": NATURAL / "home.yaml",
    "tune-example-home": REPO / "devices" / "example-home.yaml",
    "tune-slurp-home": REPO / "bench" / "data" / "slurp" / "home.yaml",
    "tune": REPO / "bench" / "data" / "slurp" / "home.yaml",
}


def written_rows(encoder: Any) -> list[tuple[str, str]]:
    """(plain sentence, class) for every request of ``bench/data/written`` that asks for
    something (a null gold, such as a device the home lacks, teaches no way of asking)."""
    rows: list[tuple[str, str]] = []
    for path in sorted(WRITTEN.glob("*.jsonl")):
        stem = path.stem.rstrip("0123456789").rstrip("-")
        config = load_config(HOMES[stem])
        home = Reader(DeviceRegistry.from_config(config), encoder,
                      MeaningClassifier([], [], []), config.site.area)  # fmt: skip
        for plain, label in plain_rows(path, home):
            if label != "other":
                rows.append((plain, label))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=0, help="cross-validate instead")
    parser.add_argument(
        "--written", action="store_true", help="with --folds: also an arm with bench/data/written"
    )
    parser.add_argument(
        "--rows", type=Path, help="with --folds: each unseen held-back request's reading (JSONL)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    config = load_config(NATURAL / "home.yaml")
    home = DeviceRegistry.from_config(config)
    encoder = SentenceEncoder.load(default_out_dir(config.state_dir))
    base = MeaningClassifier([], [], [])  # names only: plain_words needs no weights
    reader = Reader(home, encoder, base, config.site.area)
    if not args.folds:
        rows = plain_rows(NATURAL / "tune.jsonl", reader)
        by_label: dict[str, list[str]] = {}
        for plain, label in rows:
            if plain not in by_label.setdefault(label, []):
                by_label[label].append(plain)
        OUT.write_text(NOTICE + yaml.safe_dump(by_label, sort_keys=True, width=100),
                       encoding="utf-8")  # fmt: skip
        print(json.dumps({"written": str(OUT.relative_to(REPO)),
                          "sentences": sum(map(len, by_label.values()))}))  # fmt: skip
        return 0
    return cross_validate(
        args.folds, home, encoder, config.site.area, written=args.written, rows_out=args.rows
    )


def cross_validate(
    folds: int,
    home: DeviceRegistry,
    encoder: Any,
    here: str | None,
    *,
    written: bool = False,
    rows_out: Path | None = None,
) -> int:
    """Exact match on each held-back fold of tune, with and without the other folds' sentences
    in training (edge-os's phrase files as they are, the home-llm one left out)."""
    samples = load_samples(NATURAL / "tune.jsonl")
    texts, labels, weights = training_set("en", exclude=("en-home-llm",))
    base_matrix = encoder.encode(texts)
    reader0 = Reader(home, encoder, MeaningClassifier([], [], []), here)
    tune_rows = plain_rows(NATURAL / "tune.jsonl", reader0)
    tune_matrix = encoder.encode([p for p, _ in tune_rows])
    import numpy as np

    arms = ("without", "with", "with-written") if written else ("without", "with")
    extra = written_rows(encoder) if written else []
    extra_matrix = encoder.encode([p for p, _ in extra]) if extra else None
    scores: dict[str, list[float]] = {name: [] for name in arms}
    dangerous: dict[str, int] = {name: 0 for name in arms}
    # held-back requests not word for word in the other folds once made plain, as the
    # held-out set's "unseen" part is scored against the whole tune part
    unseen: dict[str, list[dict[str, Any]]] = {name: [] for name in arms}
    for fold in range(folds):
        held = [i for i in range(len(samples)) if i % folds == fold]
        kept = [i for i in range(len(samples)) if i % folds != fold]
        for name in arms:
            matrix, y, w = base_matrix, list(labels), list(weights)
            words_of = list(texts)
            if name != "without":
                matrix = np.vstack([base_matrix, tune_matrix[kept]])
                y += [tune_rows[i][1] for i in kept]
                w += [3.0] * len(kept)
                words_of += [tune_rows[i][0] for i in kept]
            if name == "with-written":
                matrix = np.vstack([matrix, extra_matrix])
                y += [label for _, label in extra]
                w += [3.0] * len(extra)
                words_of += [plain for plain, _ in extra]
            classifier = MeaningClassifier.train(matrix, y, w)
            classifier.vocabulary = frozenset(word for t in words_of for word in t.split())
            reader = Reader(home, encoder, classifier, here)
            engine = IntentEngine(home, IntentSettings(cache_size=0, llm_fallback=False),
                                  default_area=here, retrieval=reader)  # fmt: skip
            summary = run([samples[i] for i in held], lambda _s, e=engine: Home(home, e, here))
            scores[name].append(summary["exact_match"])
            dangerous[name] += summary.get("dangerous", {}).get("n", 0)
            seen = {tune_rows[i][0] for i in kept}
            fresh = [samples[i] for i in held if tune_rows[i][0] not in seen]
            out = io.StringIO()
            run(fresh, lambda _s, e=engine: Home(home, e, here), rows=out)
            unseen[name] += [json.loads(line) for line in out.getvalue().splitlines()]
    if rows_out is not None:
        with rows_out.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps({"arm": k, **row}, ensure_ascii=False) + "\n"
                              for k, rows in unseen.items() for row in rows)  # fmt: skip
    print(json.dumps({k: {"folds": v, "mean": round(sum(v) / len(v), 4),
                          "dangerous": dangerous[k],
                          "unseen": {"n": len(unseen[k]), "exact": round(
                              sum(r["exact"] for r in unseen[k]) / max(len(unseen[k]), 1), 4)}}
                      for k, v in scores.items()}, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
