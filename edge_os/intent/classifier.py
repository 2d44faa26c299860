"""The learned reader's meaning classifier: softmax regression over sentence embeddings.

Trained here, in numpy, in a few seconds on two cores, from sentences with their devices
and places already made plain (see :mod:`edge_os.intent.plain`):

* Home Assistant's own templates (``home-assistant-intents``) for the intents edge-os
  serves, filled with the plain words, labelled by the intent (and slots) they stand for;
* ``intent/phrases/<language>.yaml``: edge-os's own sentences for what the templates lack
  (relative changes, indirect requests, sentences that are not commands).

Deterministic: the same sentences and encoder give the same weights (fixed order, full-batch
gradient descent, no randomness). The weights are cached as ``.npz`` beside the encoder,
named by a hash of the sentences, their labels and the encoder's model file.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import sys
import time
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from edge_os.intent.compiled import words

_LOGGER = logging.getLogger(__name__)

EPOCHS = 400
LEARNING_RATE = 2.0
L2 = 1e-4
PER_TEMPLATE = 4
"""Sentences sampled from each Home Assistant template."""
PHRASE_WEIGHT = 3.0
"""Each hand-written sentence counts as this many template samples (there are fewer)."""

TEMPLATE_NOUNS: dict[str, tuple[str, ...]] = {
    "light": ("light",),
    "switch": ("switch",),
    "fan": ("fan",),
    "cover": ("blinds", "garage door"),
    "climate": ("thermostat",),
    "lock": ("lock",),
    "media_player": ("speaker",),
    "vacuum": ("vacuum",),
    "sensor": ("sensor",),
    "binary_sensor": ("sensor",),
    "valve": ("valve",),
}
"""Plain words filled in for ``{name}`` by the domain a template requires."""


def list_names(expression: Any, rules: Any, depth: int = 0) -> set[str]:
    """Names of the slot lists a hassil expression uses (through its expansion rules)."""
    from hassil import Group, ListReference, RuleReference

    if depth > 32:
        return set()
    if isinstance(expression, ListReference):
        return {expression.list_name}
    if isinstance(expression, RuleReference) and expression.rule_name in rules:
        return list_names(rules[expression.rule_name].expression, rules, depth + 1)
    if isinstance(expression, Group):
        found: set[str] = set()
        for item in expression.items:
            found |= list_names(item, rules, depth + 1)
        return found
    return set()


def template_label(intent: str, slots: dict[str, Any]) -> str | None:
    """The reader's class for a Home Assistant intent and its fixed slots (None: skip)."""
    simple = {
        "HassTurnOn": "on", "HassTurnOff": "off", "HassToggle": "toggle",
        "HassGetState": "state", "HassClimateGetTemperature": "get_temperature",
        "HassClimateSetTemperature": "set_temperature", "HassSetVolume": "set_volume",
        "HassSetPosition": "set_position", "HassFanSetSpeed": "fan_speed",
        "HassMediaPause": "pause", "HassMediaUnpause": "resume", "HassMediaNext": "next",
        "HassMediaPrevious": "previous", "HassMediaPlayerMute": "mute",
        "HassMediaPlayerUnmute": "unmute", "HassVacuumStart": "clean",
        "HassVacuumReturnToBase": "dock", "HassGetCurrentTime": "time",
        "HassGetCurrentDate": "date",
    }  # fmt: skip
    if intent in simple:
        return simple[intent]
    if intent == "HassLightSet":
        for slot, label in (("color", "set_color"), ("temperature", "set_color_temp")):
            if slot in slots:
                return label
        return "set_brightness"
    if intent == "HassSetVolumeRelative":
        step = str(slots.get("volume_step", ""))
        return "quieter" if step == "down" or step.startswith("-") else "louder"
    return None


def _sentence_label(intent: str, lists: set[str], label: str) -> str:
    """A light template's class by the value it asks for (colour, warmth or brightness)."""
    if intent == "HassLightSet":
        if "color" in lists:
            return "set_color"
        if "temperature" in lists:
            return "set_color_temp"
    return label


_DOWN = frozenset({"down", "decrease", "lower", "reduce", "quieter", "softer"})


def _volume_direction(text: str) -> str:
    return "quieter" if _DOWN & set(text.split()) else "louder"


def _phrase_file(language: str) -> Any:
    return resources.files("edge_os.intent").joinpath("phrases", f"{language}.yaml")


def has_phrases(language: str) -> bool:
    """Whether the reader can be trained for ``language`` (it needs sentences that are not
    commands, which only the phrase file gives; the encoder is English-only too)."""
    return bool(_phrase_file(language).is_file())


def _phrase_files(language: str, exclude: Sequence[str] = ()) -> list[Any]:
    """``phrases/<language>.yaml`` and its companions ``phrases/<language>-*.yaml``."""
    folder = resources.files("edge_os.intent").joinpath("phrases")
    found = [
        f
        for f in folder.iterdir()
        if f.name == f"{language}.yaml"
        or (f.name.startswith(f"{language}-") and f.name.endswith(".yaml"))
    ]
    return sorted((f for f in found if f.name.removesuffix(".yaml") not in exclude),
                  key=lambda f: f.name)  # fmt: skip


def _phrases(language: str, exclude: Sequence[str] = ()) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for path in _phrase_files(language, exclude):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        # YAML 1.1 reads the keys on and off as booleans
        named = {True: "on", False: "off"}
        rows += [
            (str(text), named.get(label, str(label)))
            for label, texts in data.items()
            for text in texts or []
        ]
    return rows


def _template_samples(language: str) -> list[tuple[str, str]]:
    """Home Assistant's templates, filled with plain words, each with its class."""
    from hassil import Intents
    from hassil.intents import RangeSlotList, TextSlotList
    from hassil.sample import sample_expression

    from edge_os.intent.plain import NUMBER_WORD, PLACE_WORD
    from edge_os.intent.sentences import load_library

    intents: Intents = load_library(language).intents
    samples: list[tuple[str, str]] = []
    for intent_name, intent in sorted(intents.intents.items()):
        for data in intent.data:
            base = template_label(intent_name, dict(data.slots))
            if base is None:
                continue
            rules = {**intents.expansion_rules, **data.expansion_rules}
            domains = (data.requires_context or {}).get("domain")
            if isinstance(domains, str):
                domains = [domains]
            nouns = sorted(
                {n for d in (domains or TEMPLATE_NOUNS) for n in TEMPLATE_NOUNS.get(d, ())}
            )
            for sentence in data.sentences:
                lists: dict[str, Any] = {}
                names = list_names(sentence.expression, rules)
                if "floor" in names:
                    continue
                label = _sentence_label(intent_name, names, base)
                for name in names:
                    if name == "name":
                        lists[name] = TextSlotList.from_strings(nouns or ["device"])
                    elif name in {"area", "floor"}:
                        lists[name] = TextSlotList.from_strings([PLACE_WORD])
                    elif isinstance(intents.slot_lists.get(name), RangeSlotList):
                        lists[name] = TextSlotList.from_strings([NUMBER_WORD])
                    elif name in intents.slot_lists:
                        lists[name] = intents.slot_lists[name]
                    else:
                        lists = {}
                        break
                else:
                    try:
                        found = itertools.islice(
                            sample_expression(sentence.expression, lists, rules), 300
                        )
                        texts = sorted({" ".join(words(t)) for t in found})
                    except Exception:  # a template hassil cannot sample is skipped
                        continue
                    step = max(1, len(texts) // PER_TEMPLATE)
                    samples.extend(
                        (t, _volume_direction(t) if label == "louder" else label)
                        for t in texts[::step][:PER_TEMPLATE]
                    )
    return samples


def training_set(
    language: str, exclude: Sequence[str] = ()
) -> tuple[list[str], list[str], list[float]]:
    """(plain sentences, classes, weights), in a fixed order; ``exclude`` leaves phrase
    files out by name (``en-home-llm``)."""
    from edge_os.intent.plain import training_sentence

    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    seen: set[tuple[str, str]] = set()
    sources: Iterable[tuple[list[tuple[str, str]], float]] = (
        (_phrases(language, exclude), PHRASE_WEIGHT),
        (_template_samples(language), 1.0),
    )
    for rows, weight in sources:
        for text, label in rows:
            plain = training_sentence(words(text))
            if (plain, label) in seen or not plain:
                continue
            seen.add((plain, label))
            texts.append(plain)
            labels.append(label)
            weights.append(weight)
    return texts, labels, weights


class MeaningClassifier:
    """Softmax regression: class probabilities for a unit-length sentence embedding."""

    def __init__(
        self, weights: Any, bias: Any, classes: Sequence[str], vocabulary: Iterable[str] = ()
    ) -> None:
        self.weights = weights
        self.bias = bias
        self.classes = list(classes)
        self.vocabulary = frozenset(vocabulary)
        """Every word of the training sentences: a word outside it (and outside the home's
        names) is a name edge-os does not know, not a way of asking."""

    def probabilities(self, vector: Any) -> Any:
        """Probability of each class (in :attr:`classes` order)."""
        import numpy as np

        logits = vector @ self.weights + self.bias
        logits = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=-1, keepdims=True)

    def ranked(self, vector: Any) -> list[tuple[str, float]]:
        """Every class with its probability, most likely first."""
        probs = self.probabilities(vector)
        order = probs.argsort()[::-1]
        return [(self.classes[int(i)], float(probs[int(i)])) for i in order]

    @classmethod
    def train(
        cls, matrix: Any, labels: Sequence[str], sample_weights: Sequence[float]
    ) -> MeaningClassifier:
        """Fit by full-batch gradient descent, classes balanced (deterministic)."""
        import numpy as np

        classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[label] for label in labels])
        onehot = np.eye(len(classes), dtype=np.float32)[y]
        sample = np.asarray(sample_weights, dtype=np.float32)
        per_class = np.bincount(y, weights=sample, minlength=len(classes))
        sample = sample * (sample.sum() / (len(classes) * per_class[y]))
        sample = sample / sample.sum()
        x = np.asarray(matrix, dtype=np.float32)
        weights = np.zeros((x.shape[1], len(classes)), dtype=np.float32)
        bias = np.zeros(len(classes), dtype=np.float32)
        scale = 10.0  # embeddings are unit length: logits need room
        for _ in range(EPOCHS):
            logits = scale * x @ weights + bias
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            grad = (probs - onehot) * sample[:, None]
            weights -= LEARNING_RATE * (scale * x.T @ grad + L2 * weights)
            bias -= LEARNING_RATE * grad.sum(axis=0)
        return cls(weights * scale, bias, classes)

    def save(self, path: Path) -> None:
        """Write the weights (``.npz``)."""
        import numpy as np

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            weights=self.weights,
            bias=self.bias,
            classes=np.array(self.classes),
            vocabulary=np.array(sorted(self.vocabulary)),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> MeaningClassifier:
        """Read weights written by :meth:`save`."""
        import numpy as np

        with np.load(path) as data:
            return cls(
                data["weights"],
                data["bias"],
                [str(c) for c in data["classes"]],
                [str(w) for w in data["vocabulary"]],
            )


_PROBE = "could you turn the kitchen light down a little"
"""A sentence whose encoding stands for the encoder's numerics in the cache key."""


def _key(language: str, encoder: Any) -> str:
    """What the weights depend on, without sampling the templates again: the phrase file,
    the sentence library's version and overlay, the code that turns them into training
    sentences (its words, fillers and numbers included), the training settings, the
    encoder's model file, and what the encoder computes on this machine: onnxruntime's
    INT8 products differ between CPUs and settings (``session.x64quantprecision``), and
    weights trained on one encoder's numbers are stale under another's."""
    from importlib.metadata import version

    from edge_os.intent import compiled, grammar, numbers, plain, sentences

    digest = hashlib.sha256()
    for phrases in _phrase_files(language):
        digest.update(phrases.name.encode() + phrases.read_bytes())
    overlay = resources.files("edge_os.intent").joinpath("overlay", f"{language}.yaml")
    digest.update(overlay.read_bytes() if overlay.is_file() else b"")
    digest.update(version("home-assistant-intents").encode())
    for module in (sys.modules[__name__], plain, sentences, compiled, grammar, numbers):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(str(getattr(encoder, "fingerprint", "")).encode())
    digest.update(encoder.encode([_PROBE]).round(4).tobytes())
    digest.update(f"{language} {EPOCHS} {LEARNING_RATE} {L2} {PHRASE_WEIGHT}".encode())
    return digest.hexdigest()[:16]


def load_or_train(encoder: Any, cache_dir: Path, language: str = "en") -> MeaningClassifier:
    """The classifier for ``language``, trained now (seconds) unless cached in ``cache_dir``."""
    path = cache_dir / f"meaning-{language}-{_key(language, encoder)}.npz"
    if path.is_file():
        try:
            return MeaningClassifier.load(path)
        except (OSError, ValueError, KeyError) as err:
            _LOGGER.warning("retraining the meaning classifier: %s unreadable (%s)", path, err)
    started = time.perf_counter()
    texts, labels, weights = training_set(language)
    matrix = encoder.encode(texts)
    classifier = MeaningClassifier.train(matrix, labels, weights)
    # the ways of asking for something: words only "other" sentences hold ("recommend a
    # movie") are not, and may yet name a device the home lacks
    classifier.vocabulary = frozenset(
        w for text, label in zip(texts, labels, strict=True) if label != "other"
        for w in text.split()
    )  # fmt: skip
    try:
        classifier.save(path)
        for stale in cache_dir.glob(f"meaning-{language}-*.npz"):
            if stale != path:  # trained on other sentences or another encoder
                stale.unlink(missing_ok=True)
    except OSError as err:
        _LOGGER.warning("meaning classifier not cached: %s", err)
    _LOGGER.info(
        "meaning classifier: %d sentences, %d classes, trained in %.1f s",
        len(texts),
        len(classifier.classes),
        time.perf_counter() - started,
    )
    return classifier
