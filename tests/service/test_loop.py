"""The whole voice loop on recorded commands against a real Mosquitto."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from edge_os.audio.format import AudioChunk
from edge_os.audio.sources import WavFileSource
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.errors import ErrorCode, SttError
from edge_os.pipeline.assistant import Assistant
from edge_os.service.loop import VoiceService
from edge_os.stages.events import Event
from edge_os.stages.protocols import Transcript
from tests import speech
from tests.mqtt_broker import Subscriber
from tests.service.conftest import DEMO_WAV, LiveSilence, ServiceThread
from tests.waiting import wait_until


def run_service(service: VoiceService) -> None:
    asyncio.run(service.run())


def test_recorded_command_reaches_the_broker(
    assistant: Assistant, broker: EmbeddedBroker, tmp_path: Path
) -> None:
    subscriber = Subscriber(broker, "#", client_id="loop-test")
    events: list[Event] = []
    status = tmp_path / "status.json"
    service = VoiceService(
        assistant, WavFileSource(DEMO_WAV), status_path=status, on_event=events.append
    )
    try:
        run_service(service)
        commands = subscriber.wait_for(1, "zigbee2mqtt/kitchen_ceiling/set")
        assert [m.payload for m in commands] == [b'{"state": "ON"}']
        kinds = [event.type.value for event in events]
        for kind in ("wake-detected", "speech-start", "speech-end", "transcript", "intent"):
            assert kind in kinds
        action = next(e.to_dict() for e in events if e.type.value == "action")
        assert action["entity_id"] == "light.kitchen_ceiling"
        assert action["status"] == "done"
        subscriber.wait_for(1, "edge_os/home/event/action")
        subscriber.wait_for(1, "hermes/hotword/hey_jarvis/detected")
        subscriber.wait_for(1, "hermes/asr/textCaptured")
        parsed = json.loads(subscriber.wait_for(1, "hermes/intent/HassTurnOn")[0].payload)
        assert parsed["intent"]["intentName"] == "HassTurnOn"
        assert parsed["siteId"] == "home"
        written = json.loads(status.read_text(encoding="utf-8"))
        assert written["metrics"]["commands"] == 1
        assert written["metrics"]["actions"] == 1
        assert {"stt", "intent", "action"} <= set(written["metrics"]["latency"])
    finally:
        subscriber.close()


class _Service(ServiceThread):
    """A service on live silence, in a thread, for control tests."""

    def __init__(self, assistant: Assistant) -> None:
        self.events: list[Event] = []
        super().__init__(VoiceService(assistant, LiveSilence(), on_event=self.events.append))


def test_mqtt_control_and_hermes(assistant: Assistant, broker: EmbeddedBroker) -> None:
    subscriber = Subscriber(broker, "#", client_id="control-test")
    try:
        with _Service(assistant) as service:
            subscriber.publish("edge_os/home/command", "turn off the bedside lamp")
            lamp = subscriber.wait_for(1, "zigbee2mqtt/bedroom_lamp/set")
            assert lamp[0].payload == b'{"state": "OFF"}'
            subscriber.publish("hermes/nlu/query", json.dumps({"input": "turn on the sprinkler"}))
            assert subscriber.wait_for(1, "cmnd/garden_sprinkler/POWER")[0].payload == b"ON"
            # Garbage is logged and dropped; the service keeps going.
            assert service.mqtt is not None
            subscriber.publish("edge_os/home/command", b"\xff\xfe\x00")
            subscriber.publish("edge_os/home/command", "{not json")
            subscriber.publish("edge_os/home/mute/set", "maybe")
            subscriber.publish("edge_os/home/volume/set", "250")
            wait_until(
                lambda: service.mqtt is not None and service.mqtt.control.rejected == 4,
                20,
                "four rejections",
            )
            subscriber.publish("edge_os/home/volume/set", "35")
            wait_until(lambda: service.volume == 35, 20, "volume 35")
            subscriber.publish("edge_os/home/mute/set", "ON")
            wait_until(lambda: service.muted, 20, "mute")
            wait_until(
                lambda: any(m.payload == b"ON" for m in subscriber.received("edge_os/home/mute")),
                10,
                "mute ON published",
            )
            subscriber.publish("edge_os/home/mute/set", "OFF")
            wait_until(lambda: not service.muted, 20, "unmute")
            subscriber.publish("edge_os/home/command", "turn on the coffee machine")
            assert subscriber.wait_for(1, "cmnd/coffee_machine/POWER")[0].payload == b"ON"
    finally:
        subscriber.close()


def test_sensitive_action_over_mqtt_is_refused(
    assistant: Assistant, broker: EmbeddedBroker
) -> None:
    """Anyone on the broker can publish: a lock is not opened from there, nor confirmed."""
    subscriber = Subscriber(broker, "zigbee2mqtt/front_door_lock/set", client_id="confirm-test")
    try:
        with _Service(assistant) as service:
            subscriber.publish("edge_os/home/command", "unlock the front door")
            wait_until(
                lambda: any(e.type.value == "answer" for e in _events(service)), 20, "the answer"
            )
            actions = [e.to_dict() for e in _events(service) if e.type.value == "action"]
            assert [(a["status"], "only by voice" in a["reason"]) for a in actions] == [
                ("failed", True)
            ]
            subscriber.publish("edge_os/home/command", "yes")
            wait_until(
                lambda: sum(e.type.value == "answer" for e in _events(service)) == 2,
                20,
                "the second answer",
            )
            assert subscriber.received() == []
    finally:
        subscriber.close()


def _events(service: VoiceService) -> list[Event]:
    callback = service._on_event
    owner = getattr(callback, "__self__", None)
    return list(owner) if isinstance(owner, list) else []


class _BrokenOnce:
    """A SpeechToText whose first call fails like a crashed model, then delegates."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.calls = 0

    def transcribe(self, audio: AudioChunk) -> Transcript:
        self.calls += 1
        if self.calls == 1:
            raise SttError(ErrorCode.STT_FAILED, "model crashed")
        return self.real.transcribe(audio)  # type: ignore[attr-defined, no-any-return]


def test_a_failing_stage_is_an_error_event_and_the_loop_goes_on(
    assistant: Assistant, broker: EmbeddedBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber = Subscriber(broker, "zigbee2mqtt/kitchen_ceiling/set", client_id="fault-test")
    monkeypatch.setattr(assistant.command, "stt", _BrokenOnce(assistant.command.stt))
    events: list[Event] = []
    service = VoiceService(assistant, WavFileSource(DEMO_WAV), on_event=events.append)
    try:
        run_service(service)
        errors = [e.to_dict() for e in events if e.type.value == "error"]
        assert errors == [
            {"type": "error", "stage": "stt", "code": "stt-failed", "message": "model crashed"}
        ]
        second = VoiceService(assistant, WavFileSource(DEMO_WAV), on_event=events.append)
        run_service(second)
        assert subscriber.wait_for(1)[0].payload == b'{"state": "ON"}'
    finally:
        subscriber.close()


class _HangsOnce:
    """An IntentRecognizer whose first call hangs like a wedged model."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.release = threading.Event()
        self.calls = 0

    def recognize(self, text: str, *, area: str | None = None) -> object:
        self.calls += 1
        if self.calls == 1:
            self.release.wait(30)
        return self.real.recognize(text, area=area)  # type: ignore[attr-defined]


def test_a_hung_command_is_abandoned_and_the_next_one_runs(
    assistant: Assistant, broker: EmbeddedBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    hangs = _HangsOnce(assistant.command.recognizer)
    monkeypatch.setattr(assistant.command, "recognizer", hangs)
    subscriber = Subscriber(broker, "cmnd/#", client_id="timeout-test")
    events: list[Event] = []
    service = VoiceService(assistant, LiveSilence(), on_event=events.append, tick_seconds=0.1)
    service._commands.timeout_seconds = 0.5
    thread = threading.Thread(target=run_service, args=(service,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: service.state == "idle", 20, "the service to start")
        subscriber.publish("edge_os/home/command", "turn on the coffee machine")
        subscriber.publish("edge_os/home/command", "turn on the sprinkler")
        assert subscriber.wait_for(1, "cmnd/garden_sprinkler/POWER")[0].payload == b"ON"

        def codes() -> list[object]:
            return [e.to_dict().get("code") for e in events if e.type.value == "error"]

        # the timeout's event may land a moment after the next command acts (a busy CI)
        wait_until(lambda: codes() != [], 10, "the stage-timeout event")
        assert codes() == ["stage-timeout"]
    finally:
        hangs.release.set()
        service.stop()
        thread.join(30)
        subscriber.close()
        # the abandoned command goes on once released (acting, speaking) on the module's
        # shared assistant: let it end before the next test uses the same stages
        for worker in threading.enumerate():
            if worker.name.startswith("edge-os-command-"):
                worker.join(30)


def test_a_command_is_transcribed_at_its_pause_and_again_if_it_goes_on(
    assistant: Assistant, broker: EmbeddedBroker
) -> None:
    # "turn on the ... kitchen light": the pause (0.1 s joined, with espeak's own silence
    # about 0.4 s) is heard as a pause (0.2 s), not as the end (0.7 s); the guess made
    # there is thrown away and the one at the real end is used
    clip = speech.concat(
        speech.espeak("hey jarvis", "en-gb", 140),
        speech.espeak("turn on the", "en-us", 160),
        speech.espeak("kitchen light", "en-us", 160),
        gap_seconds=0.1,
    )
    subscriber = Subscriber(broker, "zigbee2mqtt/kitchen_ceiling/set", client_id="guess-test")
    events: list[Event] = []
    service = VoiceService(assistant, WavFileSource(clip), on_event=events.append)
    try:
        run_service(service)
        assert subscriber.wait_for(1)[0].payload == b'{"state": "ON"}'
        assert service.speculator is not None
        # the decode at the mid-command pause is thrown away when the VAD hears that pause;
        # in 3 of 7 full fresh-clone runs it did not (wasted 0), never alone: what the count
        # means is tested on its own in test_a_guess_made_before_more_speech_is_wasted
        counts = service.speculator.counts()
        assert counts["used"] == 1 and counts["wasted"] in (0, 1), counts
        assert service.status()["speculative"] == counts
        heard = [e.to_dict()["text"] for e in events if e.type.value == "transcript"]
        assert len(heard) == 1 and "kitchen light" in heard[0].lower()
    finally:
        subscriber.close()


def test_a_guess_made_before_more_speech_is_wasted() -> None:
    from edge_os.audio.format import AudioChunk
    from edge_os.pipeline.speculate import Speculator
    from edge_os.stages.protocols import Transcript

    def transcribe(audio: AudioChunk) -> Transcript:
        return Transcript(str(audio.num_samples), "en", audio_seconds=0.0, processing_ms=0.0)

    speculator = Speculator(transcribe)
    first, whole = AudioChunk(bytes(3200)), AudioChunk(bytes(6400))
    speculator.paused(first)  # "turn on the ..."
    speculator.paused(whole)  # "... kitchen light": the first guess is wasted
    heard = speculator.take(whole)
    assert heard is not None and heard.result().text == "3200"
    assert speculator.counts() == {"used": 1, "wasted": 1}
    assert speculator.take(first) is None  # nothing left to take
    speculator.close()
