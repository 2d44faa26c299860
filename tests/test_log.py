"""Logging setup: JSON lines and journald-friendly text."""

from __future__ import annotations

import json
import logging

import pytest

from edge_os.log import setup_logging


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", "json")
    logging.getLogger("edge_os.test").info("hello %s", "pi", extra={"code": "mqtt-failed"})
    entry = json.loads(capsys.readouterr().err)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "edge_os.test"
    assert entry["message"] == "hello pi"
    assert entry["code"] == "mqtt-failed"


def test_no_timestamps_under_journald(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    setup_logging("WARNING")
    logging.getLogger("edge_os.test").info("hidden")
    logging.getLogger("edge_os.test").warning("shown")
    assert capsys.readouterr().err == "WARNING edge_os.test: shown\n"
