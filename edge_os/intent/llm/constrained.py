"""Constrained decoding: which tokens may come next so the output stays in a finite language.

Pure and model-free: built from the allowed output strings and the tokenizer's encode
function. Every output is tokenized the way the tokenizer writes it (the way the model
saw such text in its prompt) and inserted into a trie of token ids. A decoding state is
a node of that trie; the allowed next tokens are its children, plus the end token where
a whole output ends. Whatever the model prefers, the decoded text is one of the outputs,
and where only one token is allowed the caller need not ask the model at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence


class ConstrainedDecoder:
    """Allowed next token ids for a partial output, over a finite set of output strings."""

    def __init__(
        self, outputs: Iterable[str], encode: Callable[[str], Sequence[int]], eos_id: int
    ) -> None:
        self.eos_id = eos_id
        self._children: list[dict[int, int]] = [{}]
        self._text: list[str | None] = [None]
        self._allowed: list[tuple[int, ...]] = []
        for text in outputs:
            tokens = list(encode(text))
            if not tokens or eos_id in tokens:
                raise ValueError(f"output {text!r} encodes to no tokens or to the end token")
            self._insert(tokens, text)
        for node, children in enumerate(self._children):
            ends = (eos_id,) if self._text[node] is not None else ()
            self._allowed.append(tuple(sorted(children)) + ends)

    def _insert(self, tokens: list[int], text: str) -> None:
        node = 0
        for token in tokens:
            child = self._children[node].get(token)
            if child is None:
                child = len(self._children)
                self._children.append({})
                self._text.append(None)
                self._children[node][token] = child
            node = child
        if self._text[node] not in (None, text):
            raise ValueError(f"{text!r} and {self._text[node]!r} encode to the same tokens")
        self._text[node] = text

    @property
    def start(self) -> int:
        """State before any token is produced."""
        return 0

    @property
    def states(self) -> int:
        """Number of states (trie nodes)."""
        return len(self._children)

    def allowed(self, state: int) -> tuple[int, ...]:
        """Token ids that keep the output inside the language; the end token where one ends."""
        return self._allowed[state]

    def advance(self, state: int, token_id: int) -> int:
        """State after ``token_id``; ValueError if the token is not allowed there."""
        child = self._children[state].get(token_id)
        if child is None:
            raise ValueError(f"token {token_id} is not allowed in state {state}")
        return child

    def output(self, state: int) -> str | None:
        """The whole output that ends at ``state``, or None when it is a partial one."""
        return self._text[state]
