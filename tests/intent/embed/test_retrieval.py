"""The nearest-sentence reader: paraphrases the grammar misses, and the guards on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_os.config.settings import IntentSettings
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.embed.encoder import SentenceEncoder
from edge_os.intent.engine import IntentEngine
from edge_os.intent.plan import QUERY_INTENTS
from edge_os.intent.retrieval import RetrievalRecognizer, build_index


@pytest.fixture(scope="module")
def reader(registry: DeviceRegistry, embed_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> RetrievalRecognizer:  # fmt: skip
    index = build_index(registry, "living_room")
    cache = tmp_path_factory.mktemp("index-cache")
    return RetrievalRecognizer(index, SentenceEncoder.load(embed_model_dir), cache)


def test_index_holds_every_device_with_its_reading(registry: DeviceRegistry) -> None:
    index = build_index(registry, "living_room")
    targeted = {t for reading in index.readings for t in reading.targets}
    actionable = {e.id for e in registry if e.actions}
    assert actionable <= targeted
    assert all(reading.targets for reading in index.readings)
    assert len(set(index.texts)) == len(index.texts)
    # HA's bare "{name}" (turn it on) is left out: it would attract every question
    assert "coffee machine" not in index.texts


@pytest.mark.parametrize(
    ("text", "intent", "target"),
    [
        ("get the coffee machine going", "HassTurnOn", "switch.coffee_machine"),
        ("disable the sprinkler", "HassTurnOff", "switch.garden_sprinkler"),
        ("the blinds need opening", "HassTurnOn", "cover.living_room_blinds"),
    ],
)
def test_paraphrases_the_grammar_misses(
    reader: RetrievalRecognizer, registry: DeviceRegistry, text: str, intent: str, target: str
) -> None:
    engine = IntentEngine(registry, IntentSettings(llm_fallback=False, cache_size=0),
                          default_area="living_room", retrieval=reader)  # fmt: skip
    assert not engine.grammar.recognize(text).understood  # the learned path is needed
    result = engine.recognize(text)
    assert (result.intent, list(result.targets), result.path) == (intent, [target], "model")
    assert 0.85 <= result.confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "what is the capital of spain",  # far from every sentence of this home
        "tell me a joke",
        "is the coffee maker running?",  # a question is never read as an action
        "what's the sprinkler doing",
        "brighten the desk lamp",  # "off" is the nearest reading: the words veto it
    ],
)
def test_unsure_questions_and_opposites_are_not_actions(
    reader: RetrievalRecognizer, text: str
) -> None:
    result = reader.recognize(text)
    assert result.intent is None or result.intent in QUERY_INTENTS
    assert result.path == "model"


def test_the_index_embeddings_are_cached(
    reader: RetrievalRecognizer, registry: DeviceRegistry, tmp_path: Path
) -> None:
    again = RetrievalRecognizer(reader.index, reader.encoder, tmp_path)
    assert (tmp_path / f"index-{reader.index.key()}.npy").is_file()
    third = RetrievalRecognizer(reader.index, reader.encoder, tmp_path)
    assert (third.matrix == again.matrix).all()
