"""The learned path: nearest Home Assistant sentence by meaning, over this home's devices.

When the grammar does not match ("could you kill the kitchen lights", "switch the lamp in
the lounge on please"), the sentence is embedded by a small quantized encoder
(all-MiniLM-L6-v2, INT8 ONNX on onnxruntime, :mod:`edge_os.intent.embed`) and compared
with sentences sampled from Home Assistant's own templates, filled with this registry's
names and areas. Each of those carries its reading (intent, slots, targets), so the
nearest one is the answer, if it is near enough and clearly nearer than any sentence that
means something else; otherwise the sentence is not understood. Only intents without a
value (on, off, toggle, state questions, media, vacuum) are read this way: a number is
never guessed.

Everything this path understands carries ``path="model"``, and the command path asks
before acting on it ("Do you want me to ...?"): the model suggests, a person decides.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.compiled import words
from edge_os.intent.plan import QUERY_INTENTS
from edge_os.intent.sentences import load_library
from edge_os.intent.targets import intent_targets
from edge_os.pipeline.stages import IntentResult, SlotValue

_LOGGER = logging.getLogger(__name__)

READ_INTENTS = (
    "HassTurnOn", "HassTurnOff", "HassToggle", "HassGetState", "HassMediaPause",
    "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious", "HassMediaPlayerMute",
    "HassMediaPlayerUnmute", "HassVacuumStart", "HassVacuumReturnToBase",
)  # fmt: skip
"""Intents the nearest-sentence reader may give: none of them carries a number."""
PER_TEMPLATE = 3
"""Sentences sampled from each template for each name or area (deterministic)."""
MIN_SIMILARITY = 0.85
"""Cosine similarity the nearest sentence needs; below it the sentence is not understood.
Set on ``bench/data/natural/tune.jsonl`` (never on the held-out part)."""
MIN_MARGIN = 0.03
"""How much nearer the best reading must be than the best one doing something else."""
_ON_WORDS = frozenset({
    "on", "up", "enable", "activate", "start", "open", "raise", "brighten", "lock", "begin",
    "engage", "lift", "resume",
})  # fmt: skip
_OFF_WORDS = frozenset({
    "off", "out", "down", "disable", "deactivate", "kill", "shut", "stop", "close", "lower",
    "dim", "unlock", "pause", "cut",
})  # fmt: skip
_QUESTION_STARTS = frozenset({
    "is", "are", "was", "were", "what", "what's", "whats", "which", "who", "how", "how's",
    "hows", "does", "did", "tell", "any", "has", "have",
})  # fmt: skip
"""First words of a question ("can you", "could you" start requests, so they are not here)."""
_ON_INTENTS = frozenset({"HassTurnOn", "HassVacuumStart", "HassMediaUnpause"})
_OFF_INTENTS = frozenset({"HassTurnOff", "HassVacuumReturnToBase", "HassMediaPause"})


@dataclass(frozen=True)
class Reading:
    """What an indexed sentence means."""

    intent: str
    slots: tuple[tuple[str, SlotValue], ...]
    targets: tuple[str, ...]


@dataclass
class Index:
    """Sentences of this home with their readings, and their embeddings."""

    texts: list[str] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)

    def add(self, text: str, reading: Reading) -> None:
        """Index ``text`` unless it is already there."""
        if text not in self._seen:
            self._seen.add(text)
            self.texts.append(text)
            self.readings.append(reading)

    def __post_init__(self) -> None:
        self._seen: set[str] = set()

    def key(self) -> str:
        """A hash of every indexed sentence and reading (the embedding cache's name)."""
        digest = hashlib.sha256()
        for text, reading in zip(self.texts, self.readings, strict=True):
            digest.update(f"{text}\t{reading}\n".encode())
        return digest.hexdigest()[:16]


def _expand(sentence: Any, lists: dict[str, Any], rules: dict[str, Any]) -> list[str]:
    from hassil.sample import sample_expression

    found = itertools.islice(sample_expression(sentence.expression, lists, rules), 200)
    texts = sorted({" ".join(words(text)) for text in found})
    step = max(1, len(texts) // PER_TEMPLATE)
    return texts[::step][:PER_TEMPLATE]


def _list_names(expression: Any, rules: Mapping[str, Any], depth: int = 0) -> set[str]:
    from hassil import Group, ListReference, RuleReference

    if depth > 32:
        return set()
    if isinstance(expression, ListReference):
        return {expression.list_name}
    if isinstance(expression, RuleReference) and expression.rule_name in rules:
        return _list_names(rules[expression.rule_name].expression, rules, depth + 1)
    if isinstance(expression, Group):
        found: set[str] = set()
        for item in expression.items:
            found |= _list_names(item, rules, depth + 1)
        return found
    return set()


def _says_more_than_names(text: str, slot_lists: Mapping[str, Any]) -> bool:
    """Whether a sentence holds a word besides its names: HA's bare "{name}" (turn it on)
    would otherwise be the nearest sentence to every question about that device."""
    rest = f" {text} "
    for values in slot_lists.values():
        for spoken, _ in values:
            rest = rest.replace(f" {' '.join(words(spoken))} ", " ")
    return bool(set(rest.split()) - {"the", "my", "our", "a"})


def build_index(registry: DeviceRegistry, here: str | None, language: str = "en") -> Index:
    """Sample HA's templates over the registry's names and areas, each with its reading."""
    from hassil.intents import TextSlotList

    library = load_library(language)
    intents = library.intents
    index = Index()
    for name in READ_INTENTS:
        intent = intents.intents.get(name)
        if intent is None:
            continue
        for data in intent.data:
            rules = {**intents.expansion_rules, **data.expansion_rules}
            for sentence in data.sentences:
                lists = _list_names(sentence.expression, rules)
                if not lists <= {"name", "area"}:
                    continue  # values, states and wildcards are not guessed
                for slots, named, slot_lists in _fillings(registry, lists, data, here):
                    full = {**dict(data.slots), **slots}
                    if "area" in (data.requires_context or {}) and "area" not in full:
                        if here is None:
                            continue
                        full["area"] = here
                    targets = intent_targets(registry, name, full, named, here)
                    if not targets:
                        continue
                    lists_in = {k: TextSlotList.from_tuples(v) for k, v in slot_lists.items()}
                    reading = Reading(name, tuple(sorted(full.items())), targets)
                    for text in _expand(sentence, lists_in, rules):
                        if _says_more_than_names(text, slot_lists):
                            index.add(text, reading)
    return index


def _fillings(
    registry: DeviceRegistry, lists: set[str], data: Any, here: str | None
) -> Iterable[tuple[dict[str, SlotValue], list[str], dict[str, list[tuple[str, str]]]]]:
    """(slots, named entity ids, hassil list values) for each way to fill a template."""
    requires = data.requires_context or {}
    domains = requires.get("domain")
    entities = [
        e
        for e in registry
        if "name" not in lists
        or domains is None
        or e.domain.value in (domains if isinstance(domains, list) else [domains])
    ]
    areas = [a for a in registry.areas] if "area" in lists else [None]
    for area in areas:
        for entity in entities if "name" in lists else [None]:
            if entity is not None and area is not None and entity.area != area.id:
                continue
            slots: dict[str, SlotValue] = {}
            values: dict[str, list[tuple[str, str]]] = {}
            named: list[str] = []
            if entity is not None:
                slots["name"] = entity.name
                values["name"] = [(entity.name, entity.name)]
                named = [entity.id]
            if area is not None:
                slots["area"] = area.id
                values["area"] = [(area.name, area.id)]
            yield slots, named, values


class RetrievalRecognizer:
    """IntentRecognizer: the registry's sentence nearest in meaning, or not understood."""

    def __init__(self, index: Index, encoder: Any, cache_dir: Path | None = None) -> None:
        import numpy as np

        self.index = index
        self.encoder = encoder
        started = time.perf_counter()
        cached = cache_dir / f"index-{index.key()}.npy" if cache_dir is not None else None
        if cached is not None and cached.is_file():
            self.matrix = np.load(cached)
        else:
            self.matrix = encoder.encode(index.texts) if index.texts else np.zeros((0, 384))
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                np.save(cached, self.matrix)
        _LOGGER.info(
            "retrieval index: %d sentences in %.0f ms",
            len(index.texts),
            (time.perf_counter() - started) * 1000,
        )

    @classmethod
    def load(
        cls,
        registry: DeviceRegistry,
        model_dir: Path,
        here: str | None,
        *,
        language: str = "en",
        threads: int = 1,
    ) -> RetrievalRecognizer:
        """Build the index for ``registry`` and load the encoder built in ``model_dir``."""
        from edge_os.intent.embed.encoder import SentenceEncoder

        encoder = SentenceEncoder.load(model_dir, threads=threads)
        return cls(build_index(registry, here, language), encoder, model_dir / "index-cache")

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        """The nearest indexed reading, if near and unambiguous; else not understood."""
        import numpy as np

        started = time.perf_counter()
        tokens = words(text)
        if not tokens or not len(self.index.texts):
            return IntentResult(text, None, path="model")
        vector = self.encoder.encode([" ".join(tokens)])[0]
        sims = self.matrix @ vector
        order = np.argsort(-sims)
        best = int(order[0])
        reading = self.index.readings[best]
        does = (reading.intent, reading.targets)
        rival = next(
            (
                float(sims[i])
                for i in order[1:]
                if (self.index.readings[int(i)].intent, self.index.readings[int(i)].targets) != does
            ),
            0.0,
        )
        score = float(sims[best])
        latency_ms = (time.perf_counter() - started) * 1000
        unsure = score < MIN_SIMILARITY or score - rival < MIN_MARGIN
        if unsure or _opposite(tokens, reading) or _question_as_action(text, tokens, reading):
            _LOGGER.info("%r: nearest %r at %.3f (rival %.3f): not sure", text,
                         self.index.texts[best], score, rival)  # fmt: skip
            return IntentResult(text, None, path="model", latency_ms=latency_ms)
        return IntentResult(
            text,
            reading.intent,
            dict(reading.slots),
            reading.targets,
            round(score, 3),
            "model",
            latency_ms,
        )


def _question_as_action(text: str, tokens: Sequence[str], reading: Reading) -> bool:
    """A question is never read as an action ("is the lamp on?" is not "turn on the lamp")."""
    asks = text.rstrip().endswith("?") or (bool(tokens) and tokens[0] in _QUESTION_STARTS)
    return asks and reading.intent not in QUERY_INTENTS


def _opposite(tokens: Sequence[str], reading: Reading) -> bool:
    """Whether the sentence's own direction words contradict the reading ("brighten" read
    as off): embeddings put opposites close together, so the words get a veto."""
    said = set(tokens)
    if reading.intent in _ON_INTENTS:
        return bool(said & _OFF_WORDS) and not said & _ON_WORDS
    if reading.intent in _OFF_INTENTS:
        return bool(said & _ON_WORDS) and not said & _OFF_WORDS
    return False
