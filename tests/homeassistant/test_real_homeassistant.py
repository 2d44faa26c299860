"""edge-os joined to a real Home Assistant 2024.3.3, as a user sets it up, checked in HA.

Home Assistant is onboarded and given the MQTT integration (a shared Mosquitto) and the
Wyoming integration (``edge-os wyoming``) through its REST API; ``edge-os run`` runs as
a process of its own with stdin as its microphone. Two devices announce themselves to
Home Assistant over MQTT discovery (a Zigbee2MQTT light named ``kitchen_light``, a
Tasmota-style porch heater) and edge-os imports them. Every assertion reads what Home
Assistant itself shows: states, areas, its log, its speech APIs.

The tests run in file order on one Home Assistant: the last-will tests stop and restart
edge-os before the `say` tests (a `say` that marked the service away would hide them).
"""

from __future__ import annotations

import io
import json
import re
import wave

import pytest

from tests.homeassistant.devices import (
    COUNTER_LIGHTS,
    KITCHEN_LIGHT,
    PORCH_HEATER,
    AnnouncingDevices,
)
from tests.homeassistant.edge import RECORDING, EdgeOsRun, say
from tests.homeassistant.hass import HomeAssistant
from tests.waiting import settle

pytestmark = pytest.mark.homeassistant

OWN = {
    "sensor.edge_os_home_assistant_status",
    "sensor.edge_os_home_last_command",
    "sensor.edge_os_home_last_answer",
    "switch.edge_os_home_mute",
    "select.edge_os_home_wake_word",
    "number.edge_os_home_volume",
}
"""edge-os's own entities, with the ids Home Assistant gives them (device "edge-os home")."""
DISCOVERY_REJECTED = re.compile(
    r"when processing MQTT discovery message|MQTT discovery.*(error|invalid)", re.I
)


def ha_state(hass: HomeAssistant, entity_id: str) -> str | None:
    """The state Home Assistant shows for ``entity_id`` (None: no such entity)."""
    found = hass.state(entity_id)
    return None if found is None else str(found["state"])


def own_states(hass: HomeAssistant) -> dict[str, str | None]:
    """edge-os's entities and their states in Home Assistant."""
    states = hass.states()
    return {entity_id: states.get(entity_id, {}).get("state") for entity_id in sorted(OWN)}


def test_edge_os_entities_appear_in_home_assistant(hass: HomeAssistant, edge: EdgeOsRun) -> None:
    def present() -> set[str]:
        return {k for k, v in own_states(hass).items() if v not in (None, "unavailable")}

    states = settle(present, OWN, 20)
    assert states == OWN, f"HA /api/states: edge-os entities present and available: {states}"


def test_edge_os_entities_are_in_the_area_named_like_its_site(
    hass: HomeAssistant, edge: EdgeOsRun
) -> None:
    areas = {entity_id: hass.template(f"{{{{ area_name('{entity_id}') }}}}") for entity_id in OWN}
    assert areas == dict.fromkeys(OWN, "Living Room"), f"HA area_name() of each entity: {areas}"


def test_home_assistant_made_no_duplicate_area(hass: HomeAssistant, edge: EdgeOsRun) -> None:
    names = hass.template("{{ areas() | map('area_name') | sort | join(', ') }}")
    # onboarding made Living Room, Kitchen, Bedroom; the porch heater suggested Garden
    assert names == "Bedroom, Garden, Kitchen, Living Room", f"HA areas(): {names}"


def test_mute_round_trips(hass: HomeAssistant, edge: EdgeOsRun) -> None:
    switch = "switch.edge_os_home_mute"
    status = "sensor.edge_os_home_assistant_status"
    hass.call("switch", "turn_on", {"entity_id": switch})
    muted = settle(lambda: (ha_state(hass, switch), ha_state(hass, status)), ("on", "muted"), 10)
    hass.call("switch", "turn_off", {"entity_id": switch})
    back = settle(lambda: (ha_state(hass, switch), ha_state(hass, status)), ("off", "idle"), 10)
    assert (muted, back) == (("on", "muted"), ("off", "idle")), (
        f"HA states of {switch} and {status} after turn_on: {muted}, after turn_off: {back}"
    )


def test_volume_round_trips(hass: HomeAssistant, edge: EdgeOsRun) -> None:
    number = "number.edge_os_home_volume"
    hass.call("number", "set_value", {"entity_id": number, "value": 35})
    state = settle(lambda: ha_state(hass, number), "35", 10)
    assert state == "35", f"HA state of {number} after number.set_value 35: {state!r}"


def test_wake_word_select_round_trips(hass: HomeAssistant, edge: EdgeOsRun) -> None:
    select = "select.edge_os_home_wake_word"
    options = (hass.state(select) or {}).get("attributes", {}).get("options")
    hass.call("select", "select_option", {"entity_id": select, "option": "alexa"})
    chosen = settle(lambda: ha_state(hass, select), "alexa", 15)
    hass.call("select", "select_option", {"entity_id": select, "option": "hey_jarvis"})
    back = settle(lambda: ha_state(hass, select), "hey_jarvis", 15)
    assert (chosen, back) == ("alexa", "hey_jarvis"), (
        f"HA state of {select} (options {options}) after choosing alexa: {chosen!r}, "
        f"then hey_jarvis: {back!r}"
    )


def test_voice_turns_on_the_light_home_assistant_announced(
    hass: HomeAssistant, imported: EdgeOsRun, devices: AnnouncingDevices
) -> None:
    before = ha_state(hass, KITCHEN_LIGHT)
    imported.speak_into_microphone(RECORDING)  # "Hey Jarvis. Turn on the kitchen light."
    after = settle(lambda: ha_state(hass, KITCHEN_LIGHT), "on", 40)
    assert (before, after) == ("off", "on"), (
        f"HA state of {KITCHEN_LIGHT} before the recording: {before!r}, after: {after!r}; "
        f"edge-os: {imported.log_tail(6)}"
    )


def test_voice_left_the_declared_counter_lights_alone(
    hass: HomeAssistant, imported: EdgeOsRun, devices: AnnouncingDevices
) -> None:
    sent = devices.received(COUNTER_LIGHTS)
    assert sent == [], f"the counter lights (declared in edge-os only, in the kitchen) got {sent}"


def test_the_spoken_command_shows_in_home_assistant(
    hass: HomeAssistant, imported: EdgeOsRun
) -> None:
    sensor = "sensor.edge_os_home_last_answer"
    answer = settle(lambda: ha_state(hass, sensor), "Turned on the kitchen light.", 10)
    command = ha_state(hass, "sensor.edge_os_home_last_command")
    assert (answer, (command or "").lower().rstrip(".")) == (
        "Turned on the kitchen light.",
        "turn on the kitchen light",
    ), f"HA states of {sensor}: {answer!r}, sensor.edge_os_home_last_command: {command!r}"


def test_home_assistant_transcribes_with_edge_os(hass: HomeAssistant, edge: EdgeOsRun) -> None:
    with wave.open(str(RECORDING), "rb") as wav:
        rate, pcm = wav.getframerate(), wav.readframes(wav.getnframes())
    answer = hass.speech_to_text("stt.edge_os", pcm, rate)
    text = re.sub(r"[^a-z ]", "", str(answer.get("text", "")).lower())
    assert (answer.get("result"), "turn on the kitchen light" in text) == ("success", True), (
        f"HA POST /api/stt/stt.edge_os: {answer}"
    )


def test_home_assistant_speaks_with_edge_os(hass: HomeAssistant, edge: EdgeOsRun) -> None:
    audio = hass.text_to_speech("tts.edge_os", "The kitchen light is on.")
    with wave.open(io.BytesIO(audio), "rb") as wav:
        seconds = wav.getnframes() / wav.getframerate()
        shape = (wav.getnchannels(), wav.getsampwidth())
    assert (shape, 0.7 < seconds < 5.0) == ((1, 2), True), (
        f"HA tts.edge_os WAV: {shape} channels/bytes, {seconds:.2f} s"
    )


ALL_UNAVAILABLE = dict.fromkeys(sorted(OWN), "unavailable")


def available(hass: HomeAssistant) -> dict[str, bool]:
    """Whether Home Assistant shows each of edge-os's entities as available."""
    return {k: v not in (None, "unavailable") for k, v in own_states(hass).items()}


def test_sigterm_makes_edge_os_unavailable_in_home_assistant(
    hass: HomeAssistant, edge: EdgeOsRun
) -> None:
    before = settle(lambda: available(hass), dict.fromkeys(OWN, True), 10)
    code = edge.stop()
    after = settle(lambda: own_states(hass), ALL_UNAVAILABLE, 15)
    assert (before, code, after) == (dict.fromkeys(OWN, True), 0, ALL_UNAVAILABLE), (
        f"HA availability before SIGTERM: {before}; edge-os exited {code}; "
        f"HA states after: {json.dumps(after)}"
    )


def test_edge_os_is_available_again_after_a_restart(hass: HomeAssistant, edge: EdgeOsRun) -> None:
    edge.start()
    states = settle(lambda: available(hass), dict.fromkeys(OWN, True), 15)
    assert states == dict.fromkeys(OWN, True), f"HA states after a restart: {own_states(hass)}"


def test_sigkill_makes_edge_os_unavailable_in_home_assistant(
    hass: HomeAssistant, edge: EdgeOsRun
) -> None:
    before = settle(lambda: available(hass), dict.fromkeys(OWN, True), 10)
    edge.kill()  # a power cut: the broker sends the last will
    after = settle(lambda: own_states(hass), ALL_UNAVAILABLE, 15)
    assert (before, after) == (dict.fromkeys(OWN, True), ALL_UNAVAILABLE), (
        f"HA availability before SIGKILL: {before}; HA states after: {json.dumps(after)}"
    )


def test_edge_os_is_available_again_after_a_power_cut(hass: HomeAssistant, edge: EdgeOsRun) -> None:
    edge.start()
    states = settle(lambda: available(hass), dict.fromkeys(OWN, True), 15)
    assert states == dict.fromkeys(OWN, True), f"HA states after a restart: {own_states(hass)}"


def test_say_drives_the_imported_porch_heater(hass: HomeAssistant, imported: EdgeOsRun) -> None:
    before = ha_state(hass, PORCH_HEATER)
    result = say(imported.config, "turn on the porch heater")
    after = settle(lambda: ha_state(hass, PORCH_HEATER), "on", 20)
    assert (before, after) == ("off", "on"), (
        f"HA state of {PORCH_HEATER} before `edge-os say`: {before!r}, after: {after!r}; "
        f"say exited {result.returncode}: {result.stdout.strip()} {result.stderr.strip()}"
    )


def test_say_sets_the_brightness_on_zigbee2mqtts_scale(
    hass: HomeAssistant, imported: EdgeOsRun, devices: AnnouncingDevices
) -> None:
    result = say(imported.config, "set the kitchen light to 80 percent")

    def brightness() -> object:
        return ((hass.state(KITCHEN_LIGHT) or {}).get("attributes") or {}).get("brightness")

    # 80 % is 203 of the light's 254 (HA shows 204 of 255); 204 of 255 would show as 205
    value = settle(brightness, 204, 20)
    sent = devices.received("zigbee2mqtt/kitchen_light/set")
    assert value == 204, (
        f"HA attribute brightness of {KITCHEN_LIGHT}: {value!r}; the light got {sent}; "
        f"say: {result.stdout.strip()} {result.stderr.strip()}"
    )


def test_say_leaves_the_running_service_available(hass: HomeAssistant, imported: EdgeOsRun) -> None:
    imported.start()  # running, and announced as available, whatever ran before
    before = settle(lambda: available(hass), dict.fromkeys(OWN, True), 15)
    result = say(imported.config, "turn off the porch heater")
    after = settle(lambda: available(hass), dict.fromkeys(OWN, False), 3)
    assert (before, after) == (dict.fromkeys(OWN, True), dict.fromkeys(OWN, True)), (
        f"HA availability before `edge-os say` beside the running service: {before}, "
        f"after (say exited {result.returncode}): {own_states(hass)}"
    )


def test_home_assistant_rejected_no_discovery_payload(
    hass: HomeAssistant, imported: EdgeOsRun
) -> None:
    rejected = [line for line in hass.log_text().splitlines() if DISCOVERY_REJECTED.search(line)]
    assert rejected == [], "HA's log rejects MQTT discovery payloads"
