"""LLM fallback recogniser: greedy, KV-cached decoding constrained to the registry's outputs.

Latency contract: the few-shot prefix is fed once at construction; each command feeds
its own tokens, then the model runs only where the grammar leaves a choice: tokens the
constraint forces (the rest of a unique device name) are appended without asking the
model and fed together with the next choice. Choices of device and word are calibrated
against a content-free command, which removes the prompt's own bias toward some answers.
Blocking: call from a worker thread; about 0.1 s per command on 2 cores.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import ErrorCode, IntentError, ModelError
from edge_os.intent.llm.build import INT8_FILE
from edge_os.intent.llm.constrained import ConstrainedDecoder
from edge_os.intent.llm.model import DecoderModel, KvCache, check_model_dir
from edge_os.intent.llm.outputs import allowed_outputs
from edge_os.intent.llm.prompt import prompt_prefix, prompt_suffix
from edge_os.stages.protocols import IntentResult

if TYPE_CHECKING:
    from edge_os.intent.llm.model import FloatArray

_LOGGER = logging.getLogger(__name__)
_reported_missing: set[Path] = set()
NULL_COMMAND = "N/A"
"""A content-free command: its answer's probabilities are the prompt's own bias, which
choices are calibrated against ("Calibrate before use", Zhao et al., 2021)."""


@dataclass(frozen=True)
class Decoded:
    """What one constrained decode produced."""

    text: str
    """The output string (always in the allowed language, or empty when cut off)."""
    complete: bool
    """Whether the end token was chosen within the token budget."""
    choice_logprobs: tuple[float, ...]
    """Log-probability of each token the model chose, among the tokens allowed there."""
    vocab_logprobs: tuple[float, ...]
    """Log-probability of the same tokens over the whole vocabulary (how free the choice was)."""
    model_calls: int
    """Forward passes run for this command (the cached prompt prefix not counted)."""
    tokens: int
    """Tokens produced, forced ones included."""


class LlmIntentRecognizer:
    """IntentRecognizer backed by the quantized SmolLM2-135M, confined to the registry."""

    def __init__(
        self,
        registry: DeviceRegistry,
        model_dir: Path,
        threads: int = 2,
        *,
        model_file: str = INT8_FILE,
        max_new_tokens: int = 32,
        calibrate: bool = True,
        verify: bool = True,
    ) -> None:
        check_model_dir(model_dir, model_file, verify=verify)
        self.registry = registry
        self.max_new_tokens = max_new_tokens
        self.calibrate = calibrate
        self.model = DecoderModel(model_dir, model_file=model_file, threads=threads)
        self.outputs = allowed_outputs(registry)
        self.decoder = ConstrainedDecoder(self.outputs, self.model.encode, self.model.eos_id)
        started = time.perf_counter()
        prefix = self.model.encode(prompt_prefix(registry))
        self._prefix_logits, self._prefix = self.model.forward(prefix, self.model.empty_cache())
        null = self.model.encode(prompt_suffix(NULL_COMMAND, None, registry))
        self._null_logits, self._null = self.model.forward(null, self._prefix)
        _LOGGER.info(
            "intent LLM ready: %d-token prompt cached in %.0f ms, %d allowed outputs",
            len(prefix),
            (time.perf_counter() - started) * 1000,
            len(self.outputs),
        )

    @classmethod
    def load(
        cls, registry: DeviceRegistry, model_dir: Path, threads: int = 2, **options: object
    ) -> LlmIntentRecognizer | None:
        """The recogniser, or None (logged once per folder) when the model is not built."""
        try:
            return cls(registry, model_dir, threads, **options)  # type: ignore[arg-type]
        except ModelError as err:
            if err.code is not ErrorCode.MODEL_MISSING:
                raise
            if model_dir not in _reported_missing:
                _reported_missing.add(model_dir)
                _LOGGER.warning("LLM fallback disabled: %s", err, extra={"code": err.code})
            return None

    def decode(self, text: str, *, area: str | None = None) -> Decoded:
        """Greedy constrained decode of the answer to ``text``."""
        import numpy as np

        pending = self.model.encode(prompt_suffix(text, area, self.registry))
        cache: KvCache = self._prefix
        logits = self._prefix_logits
        null_logits, null_cache, null_pending = self._null_logits, self._null, list[int]()
        state, calls = self.decoder.start, 0
        produced: list[int] = []
        logprobs: list[float] = []
        vocab_logprobs: list[float] = []
        complete = False
        while len(produced) < self.max_new_tokens:
            allowed = self.decoder.allowed(state)
            if not allowed:  # cannot happen with a non-empty language; stop rather than loop
                break
            if len(allowed) == 1:
                token = allowed[0]
            else:
                if pending:
                    logits, cache = self.model.forward(pending, cache)
                    calls += 1
                    pending = []
                candidates = np.asarray(allowed)
                scores = logits[candidates]
                if self.calibrate and not self._in_value(produced):
                    if null_pending:
                        null_logits, null_cache = self.model.forward(null_pending, null_cache)
                        calls += 1
                        null_pending = []
                    scores = scores - null_logits[candidates] + _logsumexp(null_logits)
                token = int(candidates[int(np.argmax(scores))])
                logprobs.append(float(logits[token]) - _logsumexp(logits[candidates]))
                vocab_logprobs.append(float(logits[token]) - _logsumexp(logits))
            if token == self.decoder.eos_id:
                complete = True
                break
            state = self.decoder.advance(state, token)
            produced.append(token)
            pending.append(token)
            null_pending.append(token)
        output = self.decoder.output(state) if complete else None
        return Decoded(
            output or "", complete, tuple(logprobs), tuple(vocab_logprobs), calls, len(produced)
        )

    def _in_value(self, produced: list[int]) -> bool:
        """Whether decoding has reached the value (``label: word `` written): values are
        copied from the sentence, which calibration against a content-free one would undo."""
        _, colon, tail = self.model.tokenizer.decode(produced).rpartition(": ")
        return bool(colon) and " " in tail

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        """Recognise ``text``; not understood when the model says unknown or runs out of tokens."""
        started = time.perf_counter()
        if not text.strip():
            return IntentResult(text=text, intent=None, path="llm")
        try:
            decoded = self.decode(text, area=area)
        except Exception as err:  # onnxruntime raises untyped errors; the service keeps going
            raise IntentError(ErrorCode.INTENT_FAILED, f"intent LLM failed: {err}") from err
        latency_ms = (time.perf_counter() - started) * 1000
        if not decoded.complete:
            _LOGGER.info("intent LLM ran out of tokens on %r: %r", text, decoded.text)
            return IntentResult(text=text, intent=None, path="llm", latency_ms=latency_ms)
        parsed = self.outputs[decoded.text]
        confidence = confidence_of(decoded.choice_logprobs)
        _LOGGER.debug("intent LLM: %r -> %r (%.2f)", text, decoded.text, confidence)
        return IntentResult(
            text=text,
            intent=parsed.intent,
            slots=dict(parsed.slots or {}),
            targets=parsed.targets,
            confidence=confidence if parsed.intent else 0.0,
            path="llm",
            latency_ms=latency_ms,
        )


def _logsumexp(values: FloatArray) -> float:
    import numpy as np

    peak = float(values.max())
    return peak + math.log(float(np.exp(values - peak).sum()))


def confidence_of(choice_logprobs: tuple[float, ...]) -> float:
    """Geometric mean of the chosen tokens' probabilities among the allowed tokens.

    Only choices count: tokens the grammar forced say nothing about the model's certainty.
    """
    if not choice_logprobs:
        return 1.0
    return math.exp(sum(choice_logprobs) / len(choice_logprobs))
