"""Sentence splitting and parsing espeak-ng's streamed WAV."""

from __future__ import annotations

import pytest

from edge_os.errors import ErrorCode, TtsError
from edge_os.tts.espeak import parse_wav_stream
from edge_os.tts.text import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there.  How are you?", ["Hello there.", "How are you?"]),
        ("The broker is away; I'll retry.", ["The broker is away;", "I'll retry."]),
        ("Ask Dr. Smith now. Done", ["Ask Dr. Smith now.", "Done"]),
        ("3.5 degrees", ["3.5 degrees"]),
        ("   ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]):
    assert split_sentences(text) == expected


def test_parse_wav_stream_accepts_placeholder_sizes():
    header = (
        b"RIFF\xff\xff\xff\x7fWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
        b"\x22\x56\x00\x00\x44\xac\x00\x00\x02\x00\x10\x00data\x00\xf0\xff\x7f"
    )
    fmt, pcm = parse_wav_stream(header + b"\x01\x00\x02\x00\x03")
    assert (fmt.rate, fmt.width, fmt.channels) == (22050, 2, 1)
    assert pcm == b"\x01\x00\x02\x00"


def test_parse_wav_stream_rejects_garbage():
    with pytest.raises(TtsError) as caught:
        parse_wav_stream(b"not a wav file")
    assert caught.value.code is ErrorCode.TTS_FAILED
