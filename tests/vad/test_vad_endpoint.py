"""The pure endpointing state machine, driven with plain probabilities and offsets."""

from __future__ import annotations

from edge_os.vad.endpoint import Endpoint, Endpointer, EndpointState

WINDOW = 512
SECOND = 16000


def run(endpointer: Endpointer, probabilities: list[float], start: int = 0) -> list[Endpoint]:
    found = []
    for index, probability in enumerate(probabilities):
        begin = start + index * WINDOW
        endpoint = endpointer.update(begin, begin + WINDOW, probability)
        if endpoint is not None:
            found.append(endpoint)
    return found


def windows(seconds: float) -> int:
    return round(seconds * SECOND / WINDOW)


def test_idle_until_armed() -> None:
    endpointer = Endpointer()
    assert run(endpointer, [0.9] * 50) == []
    assert endpointer.state is EndpointState.IDLE


def test_start_and_end_after_silence() -> None:
    endpointer = Endpointer(silence_seconds=0.5)
    endpointer.arm(0)
    probabilities = [0.1] * 10 + [0.9] * 30 + [0.05] * windows(0.6)
    found = run(endpointer, probabilities)
    assert found == [
        Endpoint("speech-start", 10 * WINDOW),
        Endpoint("speech-end", 40 * WINDOW, "silence"),
    ]
    assert endpointer.state is EndpointState.IDLE


def test_short_pause_does_not_end_the_command() -> None:
    endpointer = Endpointer(silence_seconds=0.5)
    endpointer.arm(0)
    probabilities = [0.9] * 10 + [0.0] * windows(0.3) + [0.9] * 10 + [0.0] * windows(0.6)
    found = run(endpointer, probabilities)
    assert [e.kind for e in found] == ["speech-start", "speech-end"]
    assert found[1].offset == (20 + windows(0.3)) * WINDOW


def test_hysteresis_keeps_speech_just_below_threshold() -> None:
    endpointer = Endpointer(threshold=0.5, silence_seconds=0.2)
    endpointer.arm(0)
    found = run(endpointer, [0.9] * 5 + [0.4] * 40 + [0.1] * 10)
    assert found[-1] == Endpoint("speech-end", 45 * WINDOW, "silence")


def test_a_click_is_not_speech() -> None:
    endpointer = Endpointer(min_speech_seconds=0.09, no_speech_timeout_seconds=1.0)
    endpointer.arm(0)
    found = run(endpointer, [0.9, 0.0] * 40)
    # single 32 ms windows never reach 90 ms of speech; the timeout ends the wait
    assert found == [Endpoint("no-speech", 32 * WINDOW)]


def test_no_speech_timeout() -> None:
    endpointer = Endpointer(no_speech_timeout_seconds=2.0)
    endpointer.arm(SECOND)
    found = run(endpointer, [0.0] * windows(4.0))
    assert len(found) == 1
    assert found[0].kind == "no-speech"
    assert 3 * SECOND <= found[0].offset < 3 * SECOND + WINDOW


def test_max_command_length_cuts() -> None:
    endpointer = Endpointer(max_command_seconds=1.0)
    endpointer.arm(0)
    found = run(endpointer, [0.9] * windows(3.0))
    assert found == [Endpoint("speech-start", 0), Endpoint("speech-end", SECOND, "max-length")]


def test_windows_before_arming_are_ignored_and_start_is_clamped() -> None:
    endpointer = Endpointer()
    endpointer.arm(10 * WINDOW + 100)
    found = run(endpointer, [0.9] * 20)
    assert found[0] == Endpoint("speech-start", 10 * WINDOW + 100)


def test_cancel_returns_to_idle() -> None:
    endpointer = Endpointer()
    endpointer.arm(0)
    endpointer.cancel()
    assert run(endpointer, [0.9] * 20) == []


def test_a_pause_is_reported_once_each_time_speech_stops() -> None:
    endpointer = Endpointer(silence_seconds=0.5, pause_seconds=0.2)
    endpointer.arm(0)
    probabilities = [0.9] * 10 + [0.0] * windows(0.3) + [0.9] * 10 + [0.0] * windows(0.6)
    found = run(endpointer, probabilities)
    second_end = (20 + windows(0.3)) * WINDOW
    assert found == [
        Endpoint("speech-start", 0),
        Endpoint("speech-pause", 10 * WINDOW),  # "turn on the" ... more speech follows
        Endpoint("speech-pause", second_end),
        Endpoint("speech-end", second_end, "silence"),
    ]


def test_a_follow_up_starts_after_a_silence_not_in_the_middle_of_speech() -> None:
    # armed while someone is talking: their sentence is skipped; the command starts after
    endpointer = Endpointer(silence_seconds=0.5)
    endpointer.arm(0, after_silence=True)
    probabilities = [0.9] * 20 + [0.05] * 5 + [0.9] * 30 + [0.05] * windows(0.6)
    found = run(endpointer, probabilities)
    assert found == [
        Endpoint("speech-start", 25 * WINDOW),
        Endpoint("speech-end", 55 * WINDOW, "silence"),
    ]
    # with no silence before the timeout: nothing was a command
    endpointer.arm(0, after_silence=True)
    assert [e.kind for e in run(endpointer, [0.9] * windows(6.0))] == ["no-speech"]
    # push-to-talk: speech already going on is the command
    endpointer.arm(0)
    assert run(endpointer, [0.9] * 5)[0] == Endpoint("speech-start", 0)
