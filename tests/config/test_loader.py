"""Loading configs: defaults, round trip, and every error path with its exact message."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_os.config.loader import (
    discover_config_path,
    dump_config,
    load_config,
    parse_config,
    to_yaml,
)
from edge_os.config.settings import Config
from edge_os.errors import ConfigError, ErrorCode
from tests.conftest import EXAMPLE_HOME


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(issue) for issue in caught.value.issues]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"fixture text {old!r} must occur exactly once"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


def test_defaults_need_no_file() -> None:
    config = load_config(None)
    assert config.mqtt.host is None
    assert config.mqtt.port == 1883
    assert config.wake.models == ["hey_jarvis"]
    assert config.stt.compute_type == "int8"
    assert config.entities == []


def test_empty_file_gives_defaults(write_config) -> None:  # type: ignore[no-untyped-def]
    assert load_config(write_config("# nothing set\n")) == load_config(None)


def test_round_trip_of_example_home(write_config) -> None:  # type: ignore[no-untyped-def]
    config = load_config(EXAMPLE_HOME)
    dumped = to_yaml(dump_config(config, redact=False))
    again = load_config(write_config(dumped))
    assert again == config


def test_round_trip_keeps_secrets_only_when_asked(write_config) -> None:  # type: ignore[no-untyped-def]
    config = load_config(write_config("mqtt:\n  username: pi\n  password: s3cret\n"))
    assert dump_config(config)["mqtt"]["password"] == "**********"
    reloaded = load_config(write_config(to_yaml(dump_config(config, redact=False)), "b.yaml"))
    assert reloaded.mqtt.password is not None
    assert reloaded.mqtt.password.get_secret_value() == "s3cret"


def test_relative_paths_are_taken_from_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not checked here", encoding="utf-8")
    config = parse_config(
        "mqtt:\n  tls: {enabled: true, ca_file: ca.pem}\nstate_dir: state\n",
        "x.yaml",
        base_dir=tmp_path,
    )
    assert config.mqtt.tls.ca_file == tmp_path / "ca.pem"
    assert config.state_dir == tmp_path / "state"


def test_unknown_key_names_the_path_and_suggests(write_config, example_text) -> None:  # type: ignore[no-untyped-def]
    text = replace_once(example_text, "  id: home\n", "  id: home\n  aera: kitchen\n")
    path = write_config(text)
    assert errors_of(path) == [
        f"{path}:{line_of(text, '  aera: kitchen')}: site.aera: unknown key 'aera' "
        "(expected one of: id, area, language, role, hub, arbitration_seconds, arbitration_group, "
        "hub_max_pending); did you mean 'area'?"
    ]


def test_unknown_key_inside_an_entity(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(
        "entities:\n  - id: switch.a\n    name: A\n    mqtt: {command_topic: a/set, qos: 2}\n"
    )
    assert errors_of(path) == [
        f"{path}:4: entities[0].mqtt.qos: unknown key 'qos' (expected one of: command_topic, "
        "state_topic, state_key, payloads, topics, retain)"
    ]


def test_wrong_type(write_config, example_text) -> None:  # type: ignore[no-untyped-def]
    text = replace_once(example_text, "  mute_pin: 6\n", "  mute_pin: six\n")
    path = write_config(text)
    assert errors_of(path) == [
        f"{path}:{line_of(text, '  mute_pin: six')}: gpio.mute_pin: expected an integer, "
        "got a string (value hidden)"  # a key named *pin* may hold a PIN code
    ]


def test_wrong_type_for_a_section(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("mqtt:\n  tls: yes\n")
    assert errors_of(path) == [f"{path}:2: mqtt.tls: expected a mapping (key: value), got true"]


def test_out_of_range_pin(write_config, example_text) -> None:  # type: ignore[no-untyped-def]
    text = replace_once(
        example_text, "gpio: {pin: 18, kind: PWMLED}", "gpio: {pin: 41, kind: PWMLED}"
    )
    path = write_config(text)
    line = line_of(text, "    gpio: {pin: 41, kind: PWMLED}")
    assert errors_of(path) == [f"{path}:{line}: entities[10].gpio.pin: 41 is not a GPIO pin (0-27)"]


def test_out_of_range_number(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("mqtt:\n  port: 70000\n  protocol: 4\n")
    assert errors_of(path) == [
        f"{path}:2: mqtt.port: expected at most 65535, got 70000",
        f"{path}:3: mqtt.protocol: expected one of '3.1.1' or '5', got 4",
    ]


def test_duplicate_entity_id(write_config, example_text) -> None:  # type: ignore[no-untyped-def]
    text = replace_once(
        example_text, "  - id: light.kitchen_counter", "  - id: light.kitchen_ceiling"
    )
    path = write_config(text)
    line = (
        text.splitlines().index(
            "  - id: light.kitchen_ceiling", line_of(text, "  - id: light.kitchen_ceiling")
        )
        + 1
    )
    assert errors_of(path) == [
        f"{path}:{line}: entities[1].id: duplicate entity id 'light.kitchen_ceiling' "
        "(first at entities[0])"
    ]


def test_missing_transport(write_config, example_text) -> None:  # type: ignore[no-untyped-def]
    text = replace_once(example_text, "    gpio: {pin: 27, kind: LED}\n", "")
    path = write_config(text)
    line = line_of(text, "  - id: light.garage_light")
    assert errors_of(path) == [
        f"{path}:{line}: entities[15]: light.garage_light needs exactly one transport: "
        "an 'mqtt' or a 'gpio' block"
    ]


def test_two_transports(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(
        "entities:\n  - id: switch.a\n    name: A\n    gpio: {pin: 4}\n"
        "    mqtt: {command_topic: a}\n"
    )
    assert errors_of(path) == [
        f"{path}:2: entities[0]: switch.a needs exactly one transport: an 'mqtt' or a 'gpio' block"
    ]


def test_pin_used_twice(write_config, example_text) -> None:  # type: ignore[no-untyped-def]
    text = replace_once(example_text, "pin: 27, kind: LED", "pin: 18, kind: LED")
    path = write_config(text)
    line = line_of(text, "    gpio: {pin: 18, kind: LED}")
    assert errors_of(path) == [
        f"{path}:{line}: entities[15].gpio.pin: pin 18 is already used by light.desk_led"
    ]


def test_pin_shared_with_a_button(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(
        "gpio: {mute_pin: 6}\nentities:\n  - id: switch.a\n    name: A\n    gpio: {pin: 6}\n"
    )
    assert errors_of(path) == [
        f"{path}:5: entities[0].gpio.pin: pin 6 is already used by gpio.mute_pin"
    ]


def test_unknown_area(write_config, example_text) -> None:  # type: ignore[no-untyped-def]
    text = replace_once(example_text, "  area: garden\n", "  area: gardn\n")
    path = write_config(text)
    assert errors_of(path) == [
        f"{path}:{line_of(text, '    area: gardn')}: entities[16].area: unknown area 'gardn' "
        "(expected: kitchen, living_room, bedroom, office, hallway, garage, garden)"
    ]


def test_site_area_must_exist(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("site: {area: attic}\n")
    assert errors_of(path) == [
        f"{path}:1: site.area: unknown area 'attic' (expected: no areas declared)"
    ]


def test_bad_entity_id(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("entities:\n  - {id: Kitchen Light, name: K, gpio: {pin: 4}}\n")
    assert errors_of(path) == [
        f"{path}:2: entities[0].id: 'Kitchen Light' is not an entity id (expected "
        "<domain>.<object_id> with domain one of: light, switch, fan, cover, climate, lock, "
        "media_player, sensor, binary_sensor, scene, script, vacuum, valve)"
    ]


def test_capability_outside_domain(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(
        "entities:\n  - id: fan.a\n    name: A\n    capabilities: [brightness]\n"
        "    mqtt: {command_topic: a}\n"
    )
    assert errors_of(path) == [
        f"{path}:4: entities[0].capabilities[0]: 'brightness' does not apply to fan entities "
        "(expected: percentage)"
    ]


def test_payload_for_undeclared_action(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(
        "entities:\n  - id: light.a\n    name: A\n    mqtt:\n      command_topic: a\n"
        "      payloads:\n        set_brightness: '{{ brightness }}'\n"
    )
    assert errors_of(path) == [
        f"{path}:7: entities[0].mqtt.payloads.set_brightness: light.a does not accept "
        "'set_brightness' (its actions: turn_on, turn_off, toggle)"
    ]


def test_unknown_placeholder(write_config, example_text) -> None:  # type: ignore[no-untyped-def]
    text = replace_once(example_text, "{{ position }}", "{{ pos }}")
    path = write_config(text)
    line = line_of(text, "        set_position: '{\"position\": {{ pos }}}'")
    assert errors_of(path) == [
        f"{path}:{line}: entities[4].mqtt.payloads.set_position: unknown placeholder "
        "'{{ pos }}' (expected: entity_id, position)"
    ]


def test_dimmable_light_on_a_plain_led(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(
        "entities:\n  - id: light.a\n    name: A\n    capabilities: [brightness]\n"
        "    gpio: {pin: 4, kind: LED}\n"
    )
    assert errors_of(path) == [
        f"{path}:5: entities[0].gpio.kind: LED cannot dim but light.a declares brightness "
        "(expected PWMLED or PWMOutputDevice)"
    ]


def test_lock_cannot_be_on_gpio(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("entities:\n  - {id: lock.a, name: A, gpio: {pin: 4}}\n")
    assert errors_of(path) == [
        f"{path}:2: entities[0].gpio: lock entities cannot be driven by a GPIO pin "
        "(expected: fan, light, switch)"
    ]


def test_actions_need_a_command_topic(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("entities:\n  - {id: switch.a, name: A, mqtt: {state_topic: a}}\n")
    assert errors_of(path) == [
        f"{path}:2: entities[0].mqtt: switch.a accepts actions (turn_on, turn_off, toggle) "
        "but has no command_topic"
    ]


def test_wildcard_topic(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("entities:\n  - {id: sensor.a, name: A, mqtt: {state_topic: a/#}}\n")
    assert errors_of(path) == [
        f"{path}:2: entities[0].mqtt.state_topic: 'a/#' is not a topic to publish or read "
        "(no wildcards, not empty)"
    ]


def test_missing_required_key(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("areas:\n  - {id: kitchen}\n")
    assert errors_of(path) == [f"{path}:2: areas[0].name: required key is missing"]


def test_unknown_wake_word(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("wake:\n  models: [ok_google]\n")
    assert errors_of(path) == [
        f"{path}:2: wake.models: unknown wake word 'ok_google' (expected one of: hey_jarvis, "
        "alexa, hey_mycroft, hey_rhasspy, or a path to .onnx)"
    ]


def test_tls_file_must_exist(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_config("mqtt:\n  tls:\n    enabled: true\n    ca_file: missing-ca.pem\n")
    assert errors_of(path) == [
        f"{path}:4: mqtt.tls.ca_file: file {tmp_path / 'missing-ca.pem'} does not exist"
    ]


def test_password_without_user(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("mqtt:\n  password: x\n")
    assert errors_of(path) == [f"{path}:1: mqtt: a password needs a username"]


def test_every_problem_is_reported(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("mqtt: {port: x}\nvad: {silence_seconds: 0}\nbogus: 1\n")
    assert errors_of(path) == [
        f"{path}:1: mqtt.port: expected an integer, got 'x'",
        f"{path}:2: vad.silence_seconds: expected more than 0.0, got 0",
        f"{path}:3: bogus: unknown key 'bogus' (expected one of: site, audio, wake, vad, stt, "
        "intent, tts, mqtt, gpio, runtime, logging, apps, state_dir, floors, areas, entities)",
    ]


def test_yaml_syntax_error(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("site:\n  id: [home\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.code is ErrorCode.CONFIG_SYNTAX
    assert str(caught.value).startswith(f"{path}:3: invalid YAML: ")


def test_duplicate_yaml_key(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("mqtt:\n  port: 1883\n  port: 1884\n")
    assert errors_of(path) == [f"{path}:3: mqtt.port: key given twice (the first would be lost)"]


def test_top_level_must_be_a_mapping(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("- a\n- b\n")
    assert errors_of(path) == [f"{path}:1: expected a mapping of settings, got a list"]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.code is ErrorCode.CONFIG_NOT_FOUND
    assert caught.value.exit_code == 2
    assert str(caught.value) == f"{path}: config file not found"


def test_not_utf8(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "latin1.yaml"
    path.write_bytes("site: {id: caf\xe9}\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.code is ErrorCode.CONFIG_UNREADABLE
    assert str(caught.value).startswith(f"{path}: cannot read: ")


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("EDGE_OS_CONFIG", raising=False)
    assert discover_config_path() is None or discover_config_path() == Path(
        "/etc/edge-os/config.yaml"
    )
    (tmp_path / "xdg" / "edge-os").mkdir(parents=True)
    (tmp_path / "xdg" / "edge-os" / "config.yaml").write_text("{}\n", encoding="utf-8")
    assert discover_config_path() == tmp_path / "xdg" / "edge-os" / "config.yaml"
    (tmp_path / "edge-os.yaml").write_text("{}\n", encoding="utf-8")
    assert discover_config_path() == Path("edge-os.yaml")
    monkeypatch.setenv("EDGE_OS_CONFIG", "/from/env.yaml")
    assert discover_config_path() == Path("/from/env.yaml")
    assert discover_config_path("given.yaml") == Path("given.yaml")


def test_config_is_immutable() -> None:
    config = Config()
    with pytest.raises(ValueError, match="frozen"):
        config.mqtt.port = 1  # type: ignore[misc]
