"""What sites say to each other: claims, ends of commands, answers; and who wins a wake."""

from __future__ import annotations

import json

import pytest

from edge_os.audio.format import AudioChunk
from edge_os.service.sites import (
    MAX_PLAY_BYTES,
    CommandEnd,
    PlayHeader,
    WakeArbiter,
    WakeClaim,
    loudness_dbfs,
    site_of,
)


def _claim(site: str, score: float, loudness: float, group: str = "home") -> WakeClaim:
    return WakeClaim(site, f"w-{site}", group, score, loudness)


def test_the_loudest_wins_then_the_best_score_then_the_lowest_site_id() -> None:
    own = _claim("b", 0.9, -30.0)
    arbiter = WakeArbiter("b", 0.25)
    arbiter.heard(_claim("a", 0.95, -20.2), at=10.1)
    assert arbiter.winner(own, claimed_at=10.0).site == "a"  # louder by 10 dB
    arbiter = WakeArbiter("b", 0.25)
    arbiter.heard(_claim("a", 0.80, -30.3), at=10.1)  # as loud, to 1 dB
    assert arbiter.winner(own, claimed_at=10.0).site == "b"  # a better score
    arbiter = WakeArbiter("b", 0.25)
    arbiter.heard(_claim("a", 0.9, -30.0), at=10.1)  # the same in every way
    assert arbiter.winner(own, claimed_at=10.0).site == "a"


def test_every_site_picks_the_same_winner_from_the_same_claims() -> None:
    claims = [_claim("kitchen", 0.97, -25.7), _claim("bedroom", 0.98, -19.7),
              _claim("lounge", 0.98, -30.2)]  # fmt: skip
    winners = set()
    for index, own in enumerate(claims):
        arbiter = WakeArbiter(own.site, 0.25)
        for other_index, other in enumerate(claims):
            if other is not own:
                arbiter.heard(other, at=10.0 + 0.04 * other_index)
        winners.add(arbiter.winner(own, claimed_at=10.0 + 0.04 * index).site)
    assert winners == {"bedroom"}


def test_claims_outside_the_window_or_another_group_do_not_compete() -> None:
    own = _claim("b", 0.9, -30.0)
    arbiter = WakeArbiter("b", 0.25)
    arbiter.heard(_claim("a", 0.99, -10.0), at=10.3)  # 0.3 s later: another wake
    arbiter.heard(_claim("c", 0.99, -10.0, group="upstairs"), at=10.05)
    arbiter.heard(_claim("b", 0.99, -10.0), at=10.0)  # its own echo from the broker
    assert arbiter.winner(own, claimed_at=10.0) == own


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'"text"',
        b"{" * 5000,
        b'{"site": "a"}',
        b'{"site": "a", "wake": "w", "score": "high", "loudness": -20}',
        b'{"site": "a", "wake": "w", "score": NaN, "loudness": -20}',
        b'{"site": "a", "wake": "w", "score": true, "loudness": -20}',
        b'{"site": "", "wake": "w", "score": 0.9, "loudness": -20}',
        json.dumps({"site": "a", "wake": "w" * 65, "score": 0.9, "loudness": -20}).encode(),
    ],
)
def test_a_bad_claim_is_ignored(payload: bytes) -> None:
    assert WakeClaim.from_payload(payload) is None
    assert CommandEnd.from_payload(payload) is None
    assert PlayHeader.decode(payload) is None


def test_messages_round_trip() -> None:
    claim = _claim("kitchen", 0.97, -25.7)
    assert WakeClaim.from_payload(claim.to_json().encode()) == claim
    end = CommandEnd("s1", "hub", "kitchen", 3, 100, 900, 1.5e9)
    assert CommandEnd.from_payload(end.to_json().encode()) == end
    for bad in ({"end": 50}, {"chunks": -1}, {"area": 3}, {"start": True}):
        data = {**json.loads(end.to_json()), **bad}
        assert CommandEnd.from_payload(json.dumps(data).encode()) is None
    header = PlayHeader("s1", 22050, 2, 1, 0)
    decoded = PlayHeader.decode(header.encode(b"\x01\x00" * 10))
    assert decoded is not None and decoded[0] == header and decoded[1].num_samples == 10
    assert PlayHeader.decode(header.encode(b"\x01")) is None  # half a sample
    assert PlayHeader.decode(header.encode(bytes(MAX_PLAY_BYTES))) is None  # too big to play


def test_topics_and_loudness() -> None:
    assert site_of("edge_os/sat-kitchen/voice/abc", "edge_os") == "sat-kitchen"
    assert site_of("edge_os", "edge_os") is None
    assert loudness_dbfs([AudioChunk(b"\x00\x00" * 160)]) == -120.0
    full = AudioChunk(b"\xff\x7f" * 160)
    assert loudness_dbfs([full]) == pytest.approx(0.0, abs=0.01)
