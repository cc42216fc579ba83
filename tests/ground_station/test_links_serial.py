"""The serial transport never cuts a frame: partial writes on a full tty are finished later, in order.

A real pseudo-terminal pair (``os.openpty``): the transport writes to the slave end in raw mode and the
test reads the master end only after queueing far more than the pty's buffer holds, so ``os.write`` on
the non-blocking fd returns short counts / EAGAIN, exactly as a slow radio at 57600 baud does. The old
transport ignored the return value and lost the rest of each frame.
"""

from __future__ import annotations

import asyncio
import os
import tty

import pytest

from ground_station.links.transport import SerialTransport
from ground_station.links.urls import parse_link_url
from tests.waiting import until

pytestmark = pytest.mark.timeout(30)


async def test_partial_writes_on_a_full_tty_are_completed_in_order() -> None:
    master, slave = os.openpty()
    tty.setraw(master)
    os.set_blocking(master, False)
    transport = SerialTransport(parse_link_url(f"serial://{os.ttyname(slave)}:57600"))
    task = asyncio.create_task(transport.run(lambda *received: None))  # nothing is read here
    frames = [bytes([0xFD, i % 256]) + bytes([i % 251]) * 278 for i in range(400)]  # ~112 KB
    expected = b"".join(frames)
    received = bytearray()

    def read_available() -> bool:
        while True:
            try:
                chunk = os.read(master, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            received.extend(chunk)
        return len(received) >= len(expected)

    try:
        await until(lambda: transport._fd is not None, "the tty to open")
        for frame in frames:
            transport.send(frame)
        assert transport._out, "the pty took everything at once: the test did not fill its buffer"
        await until(read_available, "every byte to arrive")
        assert bytes(received) == expected
        assert transport.frames_dropped == 0
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        os.close(master)
        os.close(slave)
