"""espeak-ng text-to-speech through its command line (Debian ``espeak-ng``): the fallback voice.

One ``espeak-ng --stdout`` process per sentence; its WAV on stdout is parsed here (espeak-ng
writes a streaming header whose sizes are placeholders, which :mod:`wave` rejects).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Iterator

from edge_os.audio.format import AudioChunk, AudioFormat
from edge_os.errors import ErrorCode, TtsError, UsageError
from edge_os.tts.text import split_sentences

_TIMEOUT_SECONDS = 30.0


def parse_wav_stream(data: bytes) -> tuple[AudioFormat, bytes]:
    """Format and PCM of a 16-bit PCM WAV whose chunk sizes may be placeholders."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise TtsError(ErrorCode.TTS_FAILED, "espeak-ng did not write a WAV file")
    position, fmt = 12, None
    while position + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, position)
        body = position + 8
        if chunk_id == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, body)
            if tag != 1 or bits != 16:
                raise TtsError(ErrorCode.TTS_FAILED, f"espeak-ng wrote {bits}-bit format {tag}")
            fmt = AudioFormat(rate=rate, width=2, channels=channels)
        elif chunk_id == b"data":
            if fmt is None:
                break
            pcm = data[body : body + size]
            frame = fmt.width * fmt.channels
            return fmt, pcm[: len(pcm) - len(pcm) % frame]
        position = body + size + (size & 1)
    raise TtsError(ErrorCode.TTS_FAILED, "espeak-ng output has no fmt/data chunk")


class EspeakTextToSpeech:
    """espeak-ng voice: one chunk per sentence in espeak-ng's format (22,050 Hz mono)."""

    engine = "espeak-ng"

    def __init__(self, voice: str = "en-us", speed_wpm: int = 165) -> None:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise TtsError(
                ErrorCode.TTS_FAILED,
                "espeak-ng is not installed (Debian: apt-get install espeak-ng)",
            )
        self._command = [binary, "-v", voice, "-s", str(speed_wpm), "--stdout"]
        self.name = f"espeak-ng:{voice}"

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """Yield audio per sentence; each sentence is one espeak-ng run."""
        sentences = split_sentences(text)
        if not sentences:
            raise UsageError(ErrorCode.TTS_FAILED, "nothing to say: the text is empty")
        offset = 0
        for sentence in sentences:
            try:
                done = subprocess.run(
                    [*self._command, sentence],
                    capture_output=True,
                    check=True,
                    timeout=_TIMEOUT_SECONDS,
                )
            except (OSError, subprocess.SubprocessError) as err:
                raise TtsError(ErrorCode.TTS_FAILED, f"espeak-ng failed: {err}") from err
            fmt, pcm = parse_wav_stream(done.stdout)
            chunk = AudioChunk(pcm, fmt, offset)
            offset = chunk.end
            yield chunk
