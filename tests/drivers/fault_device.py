"""A device in its own process for the fault tests, and the test side that runs it.

``python -m tests.drivers.fault_device HOST PORT TOPIC CLIENT_ID [STATE_TOPIC]`` is the
device. It keeps a persistent session (MQTT 5, clean start off, session expiry one hour),
subscribes QoS 1 after every connect (a crashed broker may have forgotten the session),
reconnects quickly, and prints one line per message: ``<arrival unix time> <dup 0/1>
<payload>``. It prints ``subscribed`` after every SUBACK, and exits when its standard
input closes. With a STATE_TOPIC it echoes its state there after every command, retained
at QoS 1 (a JSON command is merged into its JSON state, as Zigbee2MQTT does), and
publishes it again after every connect, as ESPHome and Tasmota do: a broker that crashed
may have lost the retained copy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge_os.drivers.mqtt.broker import EmbeddedBroker
from tests.conftest import REPO
from tests.waiting import wait_until

DEVICE = (sys.executable, "-m", "tests.drivers.fault_device")


class DeviceProcess:
    """A device in a process of its own, recording what arrives on ``topic`` and when."""

    def __init__(
        self, broker: EmbeddedBroker, topic: str, client_id: str, state_topic: str | None = None
    ) -> None:
        self.arrivals: list[tuple[float, bool, str]] = []
        """(unix time, dup flag, payload) of every message, in arrival order."""
        self.subscriptions = 0
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [*DEVICE, broker.host, str(broker.port), topic, client_id]
            + ([state_topic] if state_topic else []),
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_subscribed(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                if line.strip() == "subscribed":
                    self.subscriptions += 1
                else:
                    arrived, dup, payload = line.rstrip("\n").split(" ", 2)
                    self.arrivals.append((float(arrived), dup == "1", payload))

    def wait_subscribed(self, count: int, timeout_seconds: float = 10) -> None:
        """Wait for the ``count``-th SUBACK (one per connect)."""
        wait_until(lambda: self.subscriptions >= count, timeout_seconds, "the device to subscribe")

    def payloads(self) -> list[str]:
        """Payloads received so far, in order."""
        with self._lock:
            return [payload for _, _, payload in self.arrivals]

    def close(self) -> None:
        """End the process."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def main() -> None:
    """Run until stdin closes."""
    host, port, topic_filter, client_id = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    state_topic = sys.argv[5] if len(sys.argv) > 5 else None
    state: dict[str, Any] = {"state": "ON"}
    echoed: list[str] = []

    def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if not reason.is_failure:
            client.subscribe(topic_filter, qos=1)
            if state_topic is not None and echoed:
                client.publish(state_topic, echoed[-1], qos=1, retain=True)

    def on_subscribe(*args: Any) -> None:
        print("subscribed", flush=True)

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        payload = bytes(message.payload).decode()
        print(f"{time.time():.3f} {int(message.dup)} {payload}", flush=True)
        if state_topic is not None:
            try:
                command = json.loads(payload)
            except ValueError:
                command = None
            echo = payload
            if isinstance(command, dict):
                state.update(command)
                echo = json.dumps(state)
            echoed.append(echo)
            client.publish(state_topic, echo, qos=1, retain=True)

    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
    )
    client.reconnect_delay_set(0.02, 0.1)
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    session = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    session.SessionExpiryInterval = 3600
    client.connect(host, port, keepalive=5, clean_start=False, properties=session)
    client.loop_start()
    sys.stdin.read()  # the test closes it when done
    client.disconnect()
    client.loop_stop()


if __name__ == "__main__":
    main()
