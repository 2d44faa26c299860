"""Several rooms at once: a hub and 1, 3 or 8 satellites, each ``edge-os run`` in its own
process on one Mosquitto, every room speaking a different command at the same moment.

Each satellite stands in a room of its own (its own arbitration group: people in
different rooms are each answered) and hears, in real time on its stdin, "hey jarvis"
(espeak en-gb) then its command (espeak en-us) naming one of the example home's MQTT
devices; the rooms start within 0.3 s of each other, and rounds are 10 s apart (each room's
follow-up window has closed). Measured per command, at the broker:

- ``said_to_action_ms``: from the satellite's end-of-speech message (``said_unix``: when
  its VAD declared the end) to the device command arriving at a subscriber;
- ``spoken_to_action_ms``: from the last sample of the clip written to the satellite (the
  speaker's real end of speech, so it includes the VAD's 0.7 s of silence);

whether every command was carried out exactly once, and rightly ("on", "open": the
device's payload says so; a misheard "turn off" or a device not understood is not). Also
the RSS of each satellite and of the hub (their status files). Prints JSON; writes
``bench/results/sites.json``.

    .venv/bin/python bench/sites.py [--rooms 1 3 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_os.drivers.mqtt.broker import EmbeddedBroker  # noqa: E402
from tests import speech  # noqa: E402
from tests.mqtt_broker import Received, Subscriber  # noqa: E402
from tests.sites import Heard, SiteProcess, clip_pcm, hub_config, satellite_config  # noqa: E402

COMMANDS = [
    ("kitchen", "turn on the kitchen light", "zigbee2mqtt/kitchen_ceiling/set"),
    ("living_room", "turn on the floor lamp", "zigbee2mqtt/living_room_lamp/set"),
    ("bedroom", "turn on the bedside lamp", "zigbee2mqtt/bedroom_lamp/set"),
    ("kitchen", "turn on the counter lights", "cmnd/kitchen_counter/POWER"),
    ("kitchen", "turn on the coffee machine", "cmnd/coffee_machine/POWER"),
    ("bedroom", "turn on the ceiling fan", "home/bedroom/fan/set"),
    ("garden", "turn on the sprinkler", "cmnd/garden_sprinkler/POWER"),
    ("living_room", "open the blinds", "zigbee2mqtt/living_room_blinds/set"),
]
"""One command per room: (area, what is said, the device's command topic)."""
FOLLOW_UP_GAP_SECONDS = 10.0
"""From the end of one round's speech to the next: a room still listening for a follow-up
would take the next "hey jarvis ..." as one, and hear it from the middle."""


def _trailing_silence_seconds(pcm: bytes, threshold: int = 300) -> float:
    """How long the clip is quiet at its end (the speaker stopped that long before)."""
    import numpy as np

    samples = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))
    loud = np.flatnonzero(samples > threshold)
    last = int(loud[-1]) + 1 if loud.size else 0
    return (len(samples) - last) / 16000


def _summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 1),
        "p95": round(p95, 1),
        "max": round(max(values), 1),
    }


class _Tally:
    """What the rooms' commands became, round after round."""

    def __init__(self) -> None:
        self.said: list[float] = []
        self.spoken: list[float] = []
        self.done_once = self.missed = self.twice = self.right = 0
        self.missed_commands: Counter[str] = Counter()

    def add(
        self,
        messages: list[Received],
        satellites: list[SiteProcess],
        chosen: list[tuple[str, str, str]],
        quiet_end: list[float],
        ends_before: list[int],
    ) -> None:
        """One round: the messages seen on the broker since it began."""
        arrivals: dict[str, list[float]] = {}
        payloads: dict[str, list[bytes]] = {}
        ends: dict[str, float] = {}
        for message in messages:
            topic = message.topic
            arrivals.setdefault(topic, []).append(message.at)
            payloads.setdefault(topic, []).append(message.payload.upper())
            if topic.endswith("/end") and "/voice/" in topic:
                ends[topic.split("/")[1]] = float(json.loads(message.payload)["said_unix"])
        for n, (satellite, (_, text, topic)) in enumerate(zip(satellites, chosen, strict=True)):
            got = arrivals.get(topic, [])
            if not got:
                self.missed += 1
                self.missed_commands[text] += 1
                continue
            self.twice += len(got) > 1
            self.done_once += len(got) == 1
            asked = payloads[topic][0]
            self.right += (b"ON" in asked or b"OPEN" in asked) and b"OFF" not in asked
            if f"room-{n}" in ends:
                self.said.append((got[0] - ends[f"room-{n}"]) * 1000)
            new_ends = satellite.spoken_end[ends_before[n] :]
            if new_ends:
                self.spoken.append((got[0] - new_ends[0] + quiet_end[n]) * 1000)


def run(rooms: int, rounds: int, folder: Path, rng: random.Random) -> dict[str, Any]:
    """One home of ``rooms`` satellites and a hub; ``rounds`` times all rooms speak."""
    wake = speech.espeak("hey jarvis", "en-gb", 140)
    chosen = COMMANDS[:rooms]
    clips = [
        clip_pcm(speech.concat(wake, speech.espeak(text, "en-us", 160), gap_seconds=0.3))
        for _, text, _ in chosen
    ]
    quiet_end = [_trailing_silence_seconds(clip) for clip in clips]
    log = folder / "sites.log"
    with EmbeddedBroker() as broker:
        watch = Subscriber(broker, "#", client_id="bench-watch")
        hub = SiteProcess(hub_config(folder, broker), log, microphone=False)
        satellites = [
            SiteProcess(
                satellite_config(folder, broker, f"room-{n}", area, group=f"room-{n}"),
                log,
                microphone=True,
            )
            for n, (area, _, _) in enumerate(chosen)
        ]
        try:
            hub.wait_ready(120)
            for satellite in satellites:
                satellite.wait_ready(120)
            time.sleep(2.0)
            tally = _Tally()
            for _ in range(rounds):
                mark = len(watch.received())
                ends_before = [len(s.spoken_end) for s in satellites]
                for satellite, clip in zip(satellites, clips, strict=True):
                    satellite.hear(Heard(clip, 1.0, rng.uniform(0.0, 0.3)))
                # the answers, then each room's follow-up window (5 s), are over by the next round
                time.sleep(max(len(c) for c in clips) / 32000 + FOLLOW_UP_GAP_SECONDS)
                tally.add(watch.received()[mark:], satellites, chosen, quiet_end, ends_before)
            rss = [s.status().get("rss_mb", 0.0) for s in satellites]
            hub_rss = hub.status().get("rss_mb", 0.0)
            unanswered = Counter(
                {f"room-{n}": s.status().get("unanswered", 0) for n, s in enumerate(satellites)}
            )
            heard = {
                text: {key: s.status().get(key, 0) for key in ("wakes", "commands", "no_speech")}
                for s, (_, text, _) in zip(satellites, chosen, strict=True)
            }
        finally:
            for satellite in satellites:
                satellite.stop()
            hub.stop()
            watch.close()
    return {
        "rooms": rooms,
        "commands": rooms * rounds,
        "done_once": tally.done_once,
        "right": tally.right,
        "missed": tally.missed,
        "missed_commands": dict(tally.missed_commands),
        "twice": tally.twice,
        "unanswered": sum(unanswered.values()),
        "per_room": heard,
        "said_to_action_ms": _summary(tally.said),
        "spoken_to_action_ms": _summary(tally.spoken),
        "satellite_rss_mb": {"max": max(rss), "median": statistics.median(rss)},
        "hub_rss_mb": hub_rss,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rooms", type=int, nargs="+", default=[1, 3, 8])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "sites.json")
    args = parser.parse_args()
    rng = random.Random(18)
    results = []
    for rooms in args.rooms:
        with tempfile.TemporaryDirectory(prefix=f"edge-os-sites-{rooms}-") as folder:
            results.append(run(rooms, args.rounds, Path(folder), rng))
        print(json.dumps(results[-1]), file=sys.stderr)
    document = {
        "what": "hub + N satellites as processes on one Mosquitto, all rooms speaking at once",
        "rounds": args.rounds,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
