"""The one resampler: what the sources feed wake/VAD/STT is unchanged, and the sinks share it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from edge_os.audio.convert import Converter
from edge_os.audio.format import INTERNAL_FORMAT
from edge_os.audio.resample import Resampler

# Recorded from the converter before the sources and the sinks shared one resampler:
# (length, samples 200..207, sum of |samples|) of 100 ms of three tones cut into 480-frame blocks.
GOLDEN = {
    48000: (1600, [0, -5224, -1110, -13901, -4186, -18240, -9660, -17731], 17304038),
    44100: (1600, [96, -5266, -1499, -13300, -4685, -18277, -9891, -17510], 17258108),
    22050: (1600, [-532, -5770, -2060, -12643, -4226, -16306, -9008, -16476], 17154470),
    8000: (1599, [0, -1616, -3233, 1354, 5940, -2922, -11785, -13940], 18524812),
}


def tones(rate: int) -> npt.NDArray[np.float32]:
    """100 ms of 440 Hz, 7 kHz and 11 kHz (the last two fold back unless filtered)."""
    t = np.arange(rate // 10) / rate
    mix = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 7000 * t)
    return (mix + 0.2 * np.sin(2 * np.pi * 11000 * t)).astype(np.float32)


@pytest.mark.parametrize("rate", sorted(GOLDEN))
def test_converter_output_matches_the_recorded_golden(rate: int) -> None:
    signal, converter = tones(rate), Converter(rate)
    blocks = [converter.convert(signal[i : i + 480]) for i in range(0, len(signal), 480)]
    out = np.frombuffer(b"".join(blocks) + converter.flush(), "<i2").astype(int)
    length, window, total = GOLDEN[rate]
    assert len(out) == length
    # one LSB of slack: float rounding may differ between CPUs, the algorithm may not
    assert np.max(np.abs(out[200:208] - window)) <= 1
    assert abs(int(np.abs(out).sum()) - total) <= len(out)


@pytest.mark.parametrize(("in_rate", "out_rate"), [(48000, 16000), (22050, 48000), (8000, 16000)])
def test_block_by_block_equals_at_once(in_rate: int, out_rate: int) -> None:
    signal = tones(in_rate)
    whole = Resampler(in_rate, out_rate)
    at_once = np.concatenate((whole(signal), whole.flush()))
    streamed = Resampler(in_rate, out_rate)
    parts = [streamed(signal[i : i + 77]) for i in range(0, len(signal), 77)]
    in_blocks = np.concatenate([*parts, streamed.flush()])
    assert len(in_blocks) == len(at_once)
    np.testing.assert_allclose(in_blocks, at_once, atol=1e-5)


def test_going_down_filters_what_would_fold_back() -> None:
    t = np.arange(48000) / 48000
    above_nyquist = np.sin(2 * np.pi * 11000 * t).astype(np.float32)  # 16 kHz cannot hold it
    resampler = Resampler(48000, INTERNAL_FORMAT.rate)
    out = np.concatenate((resampler(above_nyquist), resampler.flush()))
    assert abs(len(out) - INTERNAL_FORMAT.rate) <= 1
    assert np.sqrt(np.mean(out[100:-100] ** 2)) < 0.01  # a plain interpolation keeps ~0.5


def test_converter_is_the_resampler_to_the_internal_rate_in_int16() -> None:
    signal = tones(44100)
    resampler = Resampler(44100, INTERNAL_FORMAT.rate)
    expected = np.concatenate((resampler(signal), resampler.flush()))
    converter = Converter(44100)
    pcm = converter.convert(signal[:, None]) + converter.flush()
    got = np.frombuffer(pcm, "<i2").astype(np.float64) / 32768.0
    np.testing.assert_allclose(got, expected, atol=1 / 32768)
