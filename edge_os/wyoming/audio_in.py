"""Audio a Wyoming client streams in, checked and converted once to the internal format.

Clients announce a format in ``audio-start`` (Home Assistant sends 16 kHz 16-bit mono,
other satellites may not) and every ``audio-chunk`` carries its own. :class:`AudioInput`
refuses formats edge-os cannot decode and chunks that change format mid-stream, and hands
out 16 kHz 16-bit mono through :class:`~edge_os.audio.convert.Converter`.

A chunk need not hold whole frames: Home Assistant's ``/api/stt`` forwards each piece of
the HTTP body as it arrives (6,595 bytes of 16-bit audio, say), so a partial frame is kept
for the next chunk; one left over at the end of the stream is dropped and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from edge_os.audio.convert import SUPPORTED_WIDTHS, Converter, decode
from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk, AudioFormat
from edge_os.errors import AudioError, ErrorCode

_LOGGER = logging.getLogger(__name__)

MIN_RATE = 8000
MAX_RATE = 192000
MAX_CHANNELS = 8


def parse_format(data: Mapping[str, Any]) -> AudioFormat:
    """The ``rate``/``width``/``channels`` of an audio event, or :class:`AudioError`."""
    values = [data.get(key) for key in ("rate", "width", "channels")]
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if len(numbers) != 3:
        raise AudioError(
            ErrorCode.AUDIO_FORMAT, f"rate, width and channels must be integers, got {values}"
        )
    fmt = AudioFormat(rate=numbers[0], width=numbers[1], channels=numbers[2])
    if not MIN_RATE <= fmt.rate <= MAX_RATE:
        raise AudioError(
            ErrorCode.AUDIO_FORMAT, f"rate {fmt.rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz"
        )
    if fmt.width not in SUPPORTED_WIDTHS:
        raise AudioError(ErrorCode.AUDIO_FORMAT, f"width {fmt.width} bytes is not 1, 2, 3 or 4")
    if not 1 <= fmt.channels <= MAX_CHANNELS:
        raise AudioError(
            ErrorCode.AUDIO_FORMAT, f"{fmt.channels} channels is outside 1-{MAX_CHANNELS}"
        )
    return fmt


class AudioInput:
    """One incoming stream: ``add`` each chunk's PCM, get 16 kHz mono 16-bit back."""

    def __init__(self, fmt: AudioFormat) -> None:
        self.format = fmt
        self._converter = Converter(fmt.rate)
        self._partial = b""
        """The start of a frame the last chunk ended inside."""
        self.samples = 0
        """Samples (16 kHz) handed out so far: the stream position of the next sample."""

    def add(self, fmt: AudioFormat, pcm: bytes) -> AudioChunk:
        """Convert one chunk in ``fmt`` (which must be the stream's) to the internal format."""
        if fmt != self.format:
            raise AudioError(
                ErrorCode.AUDIO_FORMAT, f"a chunk in {fmt} inside a stream in {self.format}"
            )
        frame = fmt.width * fmt.channels
        pcm = self._partial + pcm
        whole = len(pcm) - len(pcm) % frame
        pcm, self._partial = pcm[:whole], pcm[whole:]
        return self._chunk(self._converter.convert(decode(pcm, fmt)) if pcm else b"")

    def flush(self) -> AudioChunk:
        """What the resampler still holds (call once at ``audio-stop``)."""
        if self._partial:
            _LOGGER.warning(
                "audio ended inside a %d-byte frame: %d trailing byte(s) ignored",
                self.format.width * self.format.channels,
                len(self._partial),
            )
            self._partial = b""
        return self._chunk(self._converter.flush())

    def _chunk(self, pcm: bytes) -> AudioChunk:
        chunk = AudioChunk(pcm, INTERNAL_FORMAT, self.samples)
        self.samples = chunk.end
        return chunk
