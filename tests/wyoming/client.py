"""Talking to the server as Home Assistant does: the ``wyoming`` package's own client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event, async_read_event

from edge_os.audio.format import AudioChunk as PcmChunk

TIMEOUT_SECONDS = 60.0


def exchange(port: int, events: Iterable[Event], until: set[str], *, count: int = 1) -> list[Event]:
    """Send ``events``, then read until ``count`` events of a type in ``until`` came (or the
    server hung up)."""

    async def talk() -> list[Event]:
        async with AsyncTcpClient("127.0.0.1", port) as client:
            for event in events:
                await client.write_event(event)
            received: list[Event] = []
            while True:
                event = await asyncio.wait_for(client.read_event(), TIMEOUT_SECONDS)
                if event is None:
                    return received
                received.append(event)
                if sum(e.type in until for e in received) >= count:
                    return received

    return asyncio.run(talk())


def raw_exchange(
    port: int, data: bytes, *, read_seconds: float = 5.0, expect: int | None = None
) -> tuple[list[Event], bool]:
    """Write raw bytes; the events that came back within ``read_seconds`` (or the first
    ``expect`` of them) and whether the server hung up."""

    async def talk() -> tuple[list[Event], bool]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        await writer.drain()
        received: list[Event] = []
        closed = False
        try:
            while True:
                event = await asyncio.wait_for(async_read_event(reader), read_seconds)
                if event is None:
                    closed = True
                    break
                received.append(event)
                if len(received) == expect:
                    break
        except TimeoutError:
            pass
        writer.close()
        return received, closed

    return asyncio.run(talk())


def audio_events(
    pcm: bytes, rate: int = 16000, width: int = 2, channels: int = 1, samples: int = 1024
) -> list[Event]:
    """``audio-start``, ``audio-chunk`` events of ``samples`` frames, ``audio-stop``."""
    step = samples * width * channels
    chunks = [
        AudioChunk(rate=rate, width=width, channels=channels, audio=pcm[i : i + step]).event()
        for i in range(0, len(pcm), step)
    ]
    start = AudioStart(rate=rate, width=width, channels=channels, timestamp=0).event()
    return [start, *chunks, AudioStop().event()]


def pcm_of(chunks: Iterable[Event]) -> bytes:
    """The PCM of the ``audio-chunk`` events among ``chunks``."""
    return b"".join(e.payload or b"" for e in chunks if AudioChunk.is_type(e.type))


def as_chunk(pcm: bytes) -> PcmChunk:
    """16 kHz mono 16-bit PCM as edge-os's chunk type."""
    return PcmChunk(pcm)
