"""The pure debounce core: patience, peak score, refractory period."""

from __future__ import annotations

from edge_os.wake.debounce import WakeDebouncer

FRAME = 1280


def feed(debouncer: WakeDebouncer, scores: list[float], start: int = 0) -> list[tuple[int, float]]:
    fired = []
    for index, score in enumerate(scores):
        offset = start + (index + 1) * FRAME
        peak = debouncer.update(score, offset)
        if peak is not None:
            fired.append((offset, peak))
    return fired


def test_fires_after_patience_with_the_peak_score() -> None:
    debouncer = WakeDebouncer(threshold=0.5, patience_frames=2, refractory_seconds=2.0)
    assert feed(debouncer, [0.1, 0.6, 0.4, 0.7, 0.9, 0.95, 0.2]) == [(5 * FRAME, 0.9)]


def test_single_frame_spike_is_ignored_with_patience() -> None:
    debouncer = WakeDebouncer(threshold=0.5, patience_frames=3)
    assert feed(debouncer, [0.99, 0.1, 0.99, 0.99, 0.1]) == []


def test_refractory_period_suppresses_the_same_utterance_then_releases() -> None:
    debouncer = WakeDebouncer(threshold=0.5, patience_frames=1, refractory_seconds=1.0)
    scores = [0.9, 0.9, 0.9] + [0.0] * 10 + [0.9]  # 1.0 s = 12.5 frames
    fired = feed(debouncer, scores)
    assert [offset for offset, _ in fired] == [FRAME, 14 * FRAME]


def test_zero_refractory_fires_again_on_a_new_run() -> None:
    debouncer = WakeDebouncer(threshold=0.5, patience_frames=1, refractory_seconds=0.0)
    assert len(feed(debouncer, [0.9, 0.1, 0.9])) == 2


def test_reset_forgets_a_partial_run() -> None:
    debouncer = WakeDebouncer(threshold=0.5, patience_frames=2)
    assert feed(debouncer, [0.9]) == []
    debouncer.reset()
    assert feed(debouncer, [0.9], start=FRAME) == []


def test_reset_ends_the_refractory_period_for_a_new_stream() -> None:
    debouncer = WakeDebouncer(threshold=0.5, patience_frames=1, refractory_seconds=2.0)
    assert len(feed(debouncer, [0.9])) == 1
    debouncer.reset()
    assert len(feed(debouncer, [0.9])) == 1  # offsets restart at 0
