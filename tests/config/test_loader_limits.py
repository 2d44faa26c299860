"""Hostile configs: alias bombs, deep nesting and secrets get one clear line, exit 2, fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_core import ErrorDetails

from edge_os.config.loader import _message, load_config
from edge_os.config.shape import MAX_DEPTH, MAX_VALUES
from edge_os.errors import ConfigError
from tests.conftest import REPO

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.exit_code == 2
    return [str(issue) for issue in caught.value.issues]


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    """``edge-os config validate PATH`` in a real process (the tester's exact command)."""
    return subprocess.run(
        [sys.executable, "-m", "edge_os", "config", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=20,  # before the fix the nine-line file below ran for minutes
    )


def test_billion_laughs_is_refused_in_one_line(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(BILLION_LAUGHS)
    result = validate(path)
    assert result.returncode == 2
    assert result.stderr == (
        f"edge-os: error: {path}:6: alias *e expands the config past {MAX_VALUES} values "
        f"(expected at most {MAX_VALUES}: every alias is a full copy of its anchor)\n"
    )


def test_an_alias_bomb_under_a_real_key_is_refused(write_config) -> None:  # type: ignore[no-untyped-def]
    text = "".join(
        f"x{n}: &x{n} [{', '.join([f'*x{n - 1}'] * 10)}]\n"
        if n
        else "x0: &x0 [1,2,3,4,5,6,7,8,9,0]\n"
        for n in range(4)
    )
    path = write_config(text + "wake: {models: [" + "*x3, " * 10 + "]}\n")  # 11111 each
    assert errors_of(path) == [
        f"{path}:5: alias *x3 expands the config past {MAX_VALUES} values "
        f"(expected at most {MAX_VALUES}: every alias is a full copy of its anchor)"
    ]


def test_a_recursive_alias_is_refused(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("mqtt:\n  tls: &loop {enabled: true, extra: [*loop]}\n")
    assert errors_of(path) == [
        f"{path}:2: alias *loop is used inside its own anchor "
        "(expected aliases to finished values only)"
    ]


def test_ordinary_anchors_and_merge_keys_still_work(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(
        "x-payloads: &payloads {turn_on: '1', turn_off: '0'}\n"
        "entities:\n"
        "  - {id: switch.a, name: A, mqtt: {command_topic: a, payloads: *payloads}}\n"
        "  - {id: switch.b, name: B, mqtt: {command_topic: b, payloads: *payloads}}\n"
    )
    # The anchor's own key is unknown to the schema; the aliases themselves are fine.
    assert errors_of(path) == [
        f"{path}:1: x-payloads: unknown key 'x-payloads' (expected one of: site, audio, wake, "
        "vad, stt, intent, tts, mqtt, gpio, runtime, logging, apps, state_dir, floors, areas, "
        "entities)"
    ]
    merged = write_config("mqtt: &m {port: 1884}\nmqtt2:\n  <<: *m\n", "merged.yaml")
    assert errors_of(merged)[0].startswith(f"{merged}:2: mqtt2: unknown key 'mqtt2'")


def test_deep_nesting_is_exit_2_not_a_recursion_error(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("site: " + "[" * 3000 + "]" * 3000 + "\n")
    result = validate(path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"edge-os: error: {path}:1: mappings and lists nested more than {MAX_DEPTH} levels "
        f"deep (expected at most {MAX_DEPTH})\n"
    )


def test_depth_limit_is_exact_in_block_style(write_config) -> None:  # type: ignore[no-untyped-def]
    def nested(levels: int) -> str:  # the top-level mapping is level 1
        return (
            "".join(f"{'  ' * n}k{n}:\n" for n in range(levels - 1))
            + "  " * (levels - 1)
            + "v: 1\n"
        )

    at_limit = write_config(nested(MAX_DEPTH), "at.yaml")
    assert errors_of(at_limit)[0].startswith(f"{at_limit}:1: k0: unknown key 'k0'")
    past = write_config(nested(MAX_DEPTH + 1), "past.yaml")
    assert errors_of(past) == [
        f"{past}:{MAX_DEPTH + 1}: mappings and lists nested more than {MAX_DEPTH} levels "
        f"deep (expected at most {MAX_DEPTH})"
    ]


def test_an_alias_cannot_smuggle_depth_in(write_config) -> None:  # type: ignore[no-untyped-def]
    deep = "[" * 20 + "]" * 20
    path = write_config(f"a: &deep {deep}\nb: [[[[[[[[[[[[[[[[[[[[*deep]]]]]]]]]]]]]]]]]]]]\n")
    assert errors_of(path) == [
        f"{path}:2: alias *deep nests the config 41 levels deep "
        f"(expected at most {MAX_DEPTH} levels of mappings and lists)"
    ]


def test_too_many_values_without_aliases(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("wake:\n  models: [" + "a," * MAX_VALUES + "]\n")
    assert errors_of(path) == [
        f"{path}:2: more than {MAX_VALUES} values (expected at most {MAX_VALUES})"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mqtt:\n  username: u\n  password: 123456\n", "expected a string, got an integer"),
        ("mqtt:\n  username: u\n  password: 12.3456\n", "expected a string, got a number"),
        ("gpio:\n  pin_factory: '123456'\n", "expected one of 'auto', "),
        ("gpio:\n  mute_pin: x123456\n", "expected an integer, got a string"),
    ],
)
def test_secret_values_never_appear_in_errors(write_config, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = write_config(text)
    result = validate(path)
    assert result.returncode == 2
    assert "123456" not in result.stderr and "12.3456" not in result.stderr
    assert message in result.stderr
    assert "(value hidden)" in result.stderr


def test_bounds_on_a_secret_key_hide_the_value() -> None:
    error: ErrorDetails = {
        "type": "less_than_equal",
        "loc": ("api", "token"),
        "msg": "Input should be less than or equal to 99",
        "input": 123456,
        "ctx": {"le": 99},
    }
    assert _message(error, ("api", "token")) == "expected at most 99, got an integer (value hidden)"
    assert _message(error, ("api", "port")) == "expected at most 99, got 123456"


def test_other_values_are_still_shown(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("mqtt:\n  port: 123456\n  client_id: [a]\n")
    assert errors_of(path)[0] == f"{path}:2: mqtt.port: expected at most 65535, got 123456"
