"""The constrained decoder, exhaustively, with the model's real tokenizer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.llm.constrained import ConstrainedDecoder
from edge_os.intent.llm.outputs import allowed_outputs

Encode = Callable[[str], list[int]]


@pytest.fixture(scope="module")
def tokenizer(llm_model_dir: Path):  # type: ignore[no-untyped-def]
    """The exported tokenizer (tokenizers package, no transformers)."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(llm_model_dir / "tokenizer.json"))


@pytest.fixture(scope="module")
def encode(tokenizer) -> Encode:  # type: ignore[no-untyped-def]
    """Token ids of a text, without special tokens."""
    return lambda text: list(tokenizer.encode(text, add_special_tokens=False).ids)


@pytest.fixture(scope="module")
def eos_id(tokenizer) -> int:  # type: ignore[no-untyped-def]
    """Id of ``<|im_end|>``, the end of the answer."""
    return int(tokenizer.token_to_id("<|im_end|>"))


def _all_paths(decoder: ConstrainedDecoder) -> list[tuple[list[int], str | None]]:
    """Every token sequence the decoder allows, up to the end token, with its final output."""
    finished: list[tuple[list[int], str | None]] = []
    stack: list[tuple[int, list[int]]] = [(decoder.start, [])]
    while stack:
        state, tokens = stack.pop()
        for token in decoder.allowed(state):
            if token == decoder.eos_id:
                finished.append((tokens, decoder.output(state)))
            else:
                stack.append((decoder.advance(state, token), [*tokens, token]))
    return finished


def test_every_decodable_sequence_is_an_allowed_output(
    registry: DeviceRegistry,
    tokenizer,
    encode: Encode,
    eos_id: int,  # type: ignore[no-untyped-def]
) -> None:
    outputs = allowed_outputs(registry)
    decoder = ConstrainedDecoder(outputs, encode, eos_id)
    paths = _all_paths(decoder)
    reached = set()
    for tokens, output in paths:
        text = tokenizer.decode(tokens)
        assert text == output, (tokens, text, output)
        parsed = outputs[text]  # KeyError would mean a string outside the language
        assert all(target in registry for target in parsed.targets)
        reached.add(text)
    assert reached == set(outputs)  # and every allowed output can be produced
    assert len(paths) == len(outputs)


def test_nothing_outside_the_registry_can_start(
    registry: DeviceRegistry,
    tokenizer,
    encode: Encode,
    eos_id: int,  # type: ignore[no-untyped-def]
) -> None:
    decoder = ConstrainedDecoder(allowed_outputs(registry), encode, eos_id)
    for attack in ("light.nonexistent: on", "nonexistent: on", "hacker: on", "back door: off"):
        state = decoder.start
        with pytest.raises(ValueError, match="not allowed"):
            for token in encode(attack):
                state = decoder.advance(state, token)
            decoder.advance(state, eos_id)  # a complete attack would still need to end


def test_adversarial_scores_still_yield_an_allowed_output(
    registry: DeviceRegistry,
    tokenizer,
    encode: Encode,
    eos_id: int,  # type: ignore[no-untyped-def]
) -> None:
    """A "model" that always prefers the attacker's tokens ends on a registry entity."""
    outputs = allowed_outputs(registry)
    decoder = ConstrainedDecoder(outputs, encode, eos_id)
    wanted = encode("light.nonexistent: on brightness 999 turn on light.nonexistent")
    for shift in range(len(wanted)):
        preferred = wanted[shift:] + wanted[:shift]
        rank = {token: index for index, token in enumerate(preferred)}
        state, tokens = decoder.start, []
        for _ in range(64):
            choice = min(decoder.allowed(state), key=lambda t: (rank.get(t, len(rank)), t))
            if choice == eos_id:
                break
            tokens.append(choice)
            state = decoder.advance(state, choice)
        else:
            pytest.fail("decoding did not end")
        text = tokenizer.decode(tokens)
        assert text in outputs
        assert all(target in registry for target in outputs[text].targets)


def test_forced_steps_leave_a_single_token(
    registry: DeviceRegistry, encode: Encode, eos_id: int
) -> None:
    decoder = ConstrainedDecoder(allowed_outputs(registry), encode, eos_id)
    state = decoder.start
    tokens = encode("under cabinet lights: off")
    choices = []
    for token in tokens:
        choices.append(len(decoder.allowed(state)))
        state = decoder.advance(state, token)
    assert choices[0] > 1 and choices[-1] > 1  # the first word and the verb are choices
    assert 1 in choices  # the rest of the unique name is forced: no model call needed
    assert decoder.allowed(state) == (eos_id,)
    assert decoder.output(state) == "under cabinet lights: off"


def test_bad_output_sets_are_refused(encode: Encode, eos_id: int) -> None:
    with pytest.raises(ValueError, match="no tokens"):
        ConstrainedDecoder(["on", ""], encode, eos_id)
    with pytest.raises(ValueError, match="same tokens"):
        ConstrainedDecoder(["on", "off"], lambda text: [7], eos_id)
