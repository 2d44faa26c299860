"""A real Home Assistant process on loopback, and the REST calls a user's tools make to it.

Onboarding, tokens and integrations go through the same HTTP API the frontend uses:
``/api/onboarding/users`` (returns an auth code), ``/auth/token`` (code -> access token),
``/api/config/config_entries/flow`` (config flows), ``/api/states``, ``/api/services``,
``/api/template``, ``/api/stt/<entity>`` and ``/api/tts_get_url``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from edge_os.drivers.mqtt.broker import free_port

START_TIMEOUT_SECONDS = 120
CONFIGURATION = """\
homeassistant:
  name: edge-os test home
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  unit_system: metric
  time_zone: UTC
  country: NL
http:
  server_host: 127.0.0.1
  server_port: {port}
logger:
  default: warning
  logs:
    homeassistant.components.mqtt: info
    homeassistant.components.wyoming: info
onboarding:
config:
api:
websocket_api:
stt:
tts:
"""
"""No ``default_config`` (it pulls dozens of integrations and their packages): only what
onboarding, the REST API and the speech entities need."""


class HomeAssistantError(AssertionError):
    """Home Assistant answered a request with an error status."""


class HomeAssistant:
    """``hass -c DIR --skip-pip`` on 127.0.0.1 and a free port."""

    def __init__(self, python: Path, config_dir: Path) -> None:
        self.python = python
        self.config_dir = config_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = config_dir / "home-assistant.log"
        self.token: str | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Write the configuration, start Home Assistant and wait for its HTTP server."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION.format(port=self.port), encoding="utf-8"
        )
        with (self.config_dir / "stdout.txt").open("ab") as out:
            self.process = subprocess.Popen(
                [
                    *(str(self.python), "-m", "homeassistant", "-c", str(self.config_dir)),
                    *("--skip-pip", "--log-file", str(self.log)),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"Home Assistant exited: {self.log_tail()}")
            try:
                self.request("GET", "/api/onboarding", auth=False)
                return
            except (OSError, HomeAssistantError) as err:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"Home Assistant did not start: {self.log_tail()}"
                    ) from err
                time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_text(self) -> str:
        """Home Assistant's log so far."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 15) -> str:
        """The end of the log (for failure messages)."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    # --- HTTP ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: bool = True,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout_seconds: float = 30,
    ) -> Any:
        """One request; JSON in and out (raw bytes for a non-JSON answer)."""
        all_headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        if auth:
            assert self.token is not None, "not onboarded yet"
            all_headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
                content = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            text = err.read().decode(errors="replace")[:500]
            raise HomeAssistantError(f"{method} {path}: HTTP {err.code}: {text}") from None
        return json.loads(content) if kind.startswith("application/json") else content

    def onboard(self) -> None:
        """Create the owner (and HA's default areas) and log in with the code it returns."""
        client_id = f"{self.url}/"
        created = self.request(
            "POST",
            "/api/onboarding/users",
            {
                "name": "Test Owner",
                "username": "owner",
                "password": "edge-os-test-password",
                "client_id": client_id,
                "language": "en",
            },
            auth=False,
        )
        form = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": client_id,
            }
        ).encode()
        token = self.request(
            "POST",
            "/auth/token",
            auth=False,
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.token = token["access_token"]

    def add_integration(self, handler: str, user_input: dict[str, Any]) -> dict[str, Any]:
        """Run ``handler``'s config flow with ``user_input`` in its first form; the result."""
        flow = self.request("POST", "/api/config/config_entries/flow", {"handler": handler})
        assert flow["type"] == "form", f"{handler}: expected a form, got {flow}"
        result: dict[str, Any] = self.request(
            "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", user_input
        )
        return result

    def states(self) -> dict[str, dict[str, Any]]:
        """Every entity's state object, by entity id."""
        return {state["entity_id"]: state for state in self.request("GET", "/api/states")}

    def state(self, entity_id: str) -> dict[str, Any] | None:
        """One entity's state object (None when Home Assistant has no such entity)."""
        try:
            found: dict[str, Any] = self.request("GET", f"/api/states/{entity_id}")
        except HomeAssistantError as err:
            if "HTTP 404" in str(err):
                return None
            raise
        return found

    def template(self, template: str) -> str:
        """Render a template the way HA's developer tools do."""
        return bytes(self.request("POST", "/api/template", {"template": template})).decode()

    def call(self, domain: str, service: str, data: dict[str, Any]) -> None:
        """Call a service, as a dashboard button or an automation does."""
        self.request("POST", f"/api/services/{domain}/{service}", data)

    def speech_to_text(self, entity_id: str, pcm: bytes, sample_rate: int) -> dict[str, Any]:
        """POST 16-bit mono PCM to ``/api/stt/<entity>``; HA's answer (``text``, ``result``)."""
        metadata = (
            f"format=wav; codec=pcm; sample_rate={sample_rate}; bit_rate=16; channel=1; language=en"
        )
        result: dict[str, Any] = self.request(
            "POST",
            f"/api/stt/{entity_id}",
            data=pcm,
            headers={"X-Speech-Content": metadata, "Content-Type": "application/octet-stream"},
            timeout_seconds=120,
        )
        return result

    def text_to_speech(self, entity_id: str, message: str) -> bytes:
        """Ask for speech as a WAV (no ffmpeg conversion) and fetch it from its URL."""
        answer = self.request(
            "POST",
            "/api/tts_get_url",
            {"engine_id": entity_id, "message": message, "options": {"preferred_format": "wav"}},
            timeout_seconds=120,
        )
        return bytes(self.request("GET", answer["path"], auth=False, timeout_seconds=60))
