"""The error tree: stable codes, exit codes and the messages users read."""

from __future__ import annotations

from edge_os.errors import (
    ConfigError,
    ConfigIssue,
    DeviceError,
    EdgeOSError,
    ErrorCode,
    MissingDependencyError,
    NotAvailableError,
)


def test_codes_are_stable_strings() -> None:
    assert ErrorCode.CONFIG_INVALID == "config-invalid"
    assert ErrorCode.MISSING_DEPENDENCY == "missing-dependency"
    assert len({code.value for code in ErrorCode}) == len(ErrorCode)


def test_exit_codes() -> None:
    assert ConfigError(ErrorCode.CONFIG_INVALID, []).exit_code == 2
    assert NotAvailableError("later").exit_code == 2
    assert DeviceError(ErrorCode.ACTION_FAILED, "relay stuck").exit_code == 1
    assert isinstance(DeviceError(ErrorCode.ACTION_FAILED, "x"), EdgeOSError)


def test_missing_dependency_names_the_extra() -> None:
    err = MissingDependencyError("paho-mqtt", "mqtt")
    assert err.code is ErrorCode.MISSING_DEPENDENCY
    assert str(err) == "paho-mqtt is not installed: install it with `pip install 'edge-os[mqtt]'`"


def test_config_issue_formats() -> None:
    assert str(ConfigIssue("a.yaml", "mqtt.port", "bad", 3)) == "a.yaml:3: mqtt.port: bad"
    assert (
        str(ConfigIssue("a.yaml", "", "config file not found")) == "a.yaml: config file not found"
    )
    err = ConfigError(
        ErrorCode.CONFIG_INVALID, [ConfigIssue("a", "x", "one", 1), ConfigIssue("a", "y", "two", 2)]
    )
    assert str(err) == "a:1: x: one\na:2: y: two"
