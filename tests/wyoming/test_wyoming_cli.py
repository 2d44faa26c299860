"""``edge-os wyoming`` as a user runs it: help, one-line errors with exit 2, serve and stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from wyoming.info import Describe, Info

from edge_os.wyoming.server import is_loopback, parse_uri
from tests.conftest import EXAMPLE_HOME, REPO
from tests.wyoming.client import exchange


def edge_os(*args: str) -> list[str]:
    return [sys.executable, "-m", "edge_os", "-c", str(EXAMPLE_HOME), *args]


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        edge_os(*args),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
        env={**os.environ, "STATE_DIRECTORY": str(tmp_path)},
    )


def test_help_documents_the_server(tmp_path: Path) -> None:
    result = run("wyoming", "--help", tmp_path=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for needed in ("--uri tcp://HOST:PORT", "tcp://127.0.0.1:10700", "Wyoming Protocol"):
        assert needed in text
    assert "no authentication" in text


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:10700", "tcp://127.0.0.1", "tcp://127.0.0.1:99999", "10700"]
)
def test_a_bad_uri_is_one_line_and_exit_2(tmp_path: Path, uri: str) -> None:
    result = run("wyoming", "--uri", uri, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    [message] = result.stderr.splitlines()
    assert message.startswith(f"edge-os: error: --uri {uri!r}: ")
    assert "tcp://HOST:PORT" in message or "out of range" in message


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("wyoming", "--uri", f"tcp://127.0.0.1:{port}", tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"edge-os: error: cannot listen on tcp://127.0.0.1:{port}: the port is in use"
    ]


def test_serves_describe_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        edge_os("wyoming", "--uri", "tcp://127.0.0.1:0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "STATE_DIRECTORY": str(tmp_path)},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("edge-os wyoming: listening on tcp://127.0.0.1:"), first
        port = int(first.rsplit(":", 1)[1])
        started = time.perf_counter()
        events = exchange(port, [Describe().event()], {"info"})
        assert time.perf_counter() - started < 1.0
        assert [p.name for p in Info.from_event(events[0]).asr] == ["edge-os"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("tcp://127.0.0.1:10700", ("127.0.0.1", 10700)),
        ("tcp://localhost:0", ("localhost", 0)),
        ("tcp://[::1]:10300", ("::1", 10300)),
    ],
)
def test_uris_that_are_accepted(uri: str, expected: tuple[str, int]) -> None:
    assert parse_uri(uri) == expected
    assert is_loopback(expected[0])


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "edge.local"])
def test_hosts_that_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)  # the server warns when it listens on one of these
