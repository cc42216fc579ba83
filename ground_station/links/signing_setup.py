"""Making and installing a vehicle's MAVLink 2 signing key (``borderwatch link sign``).

The key must reach the vehicle over its own link, which the running service owns (contract 9), so this
runs with the service stopped: it listens where the service would, waits for the vehicle's autopilot
heartbeat, sends SETUP_SIGNING (signed with the previous key when one is being replaced) until the
vehicle's heartbeats arrive signed with the new key, and only then makes the new key the one the service
loads. The key is written beside the final file first, so a key the vehicle may already hold is never
lost; SETUP_SIGNING travels in clear, so run this on a link you trust (USB/cable), as PX4 advises.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from pymavlink.dialects.v20 import common as mavlink_common

from ground_station.links import decode
from ground_station.links.decode import MsgId
from ground_station.links.framing import FrameSplitter
from ground_station.links.signing import KEY_LEN, LinkSigner, signing_timestamp, write_key

STATION_SYSTEM_ID = 255
STATION_COMPONENT_ID = 190


class SigningSetupError(Exception):
    pass


@dataclass(frozen=True)
class InstalledKey:
    system_id: int
    vehicle_address: tuple[str, int]


def new_key() -> bytes:
    return secrets.token_bytes(KEY_LEN)


async def _receive(sock: socket.socket, deadline: float) -> tuple[bytes, tuple[str, int]] | None:
    loop = asyncio.get_running_loop()
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    try:
        data, addr = await asyncio.wait_for(loop.sock_recvfrom(sock, 65536), min(remaining, 0.5))
    except TimeoutError:
        return b"", ("", 0)
    return data, (str(addr[0]), int(addr[1]))


async def install_key(
    listen: tuple[str, int], key: bytes, *, old_key: bytes | None = None, timeout_s: float = 30.0
) -> InstalledKey:
    """Installs ``key`` on the vehicle that sends to ``listen``; returns once it signs with it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(listen)
    except OSError as exc:
        sock.close()
        raise SigningSetupError(
            f"cannot listen on {listen[0]}:{listen[1]} ({exc.strerror}); stop `borderwatch serve` first"
        ) from None
    sock.setblocking(False)
    mav = mavlink_common.MAVLink(None, srcSystem=STATION_SYSTEM_ID, srcComponent=STATION_COMPONENT_ID)
    old_signer = LinkSigner(old_key) if old_key is not None else None
    new_signer = LinkSigner(key)
    splitter = FrameSplitter()
    deadline = time.monotonic() + timeout_s
    vehicle: tuple[int, tuple[str, int]] | None = None
    next_send = 0.0
    try:
        while True:
            received = await _receive(sock, deadline)
            if received is None:
                what = "a heartbeat" if vehicle is None else "a heartbeat signed with the new key"
                raise SigningSetupError(f"no {what} from the vehicle within {timeout_s:.0f} s")
            data, addr = received
            for frame in splitter.feed_datagram(data) if data else []:
                if frame.msgid != MsgId.HEARTBEAT or not frame.known:
                    continue
                if not decode.heartbeat(frame).from_autopilot:
                    continue
                if vehicle is not None and frame.raw[2] & 1 and new_signer.verify(frame):
                    return InstalledKey(vehicle[0], vehicle[1])
                if vehicle is None:
                    vehicle = (frame.sysid, addr)
            if vehicle is not None and time.monotonic() >= next_send:
                next_send = time.monotonic() + 1.0
                message = mav.setup_signing_encode(vehicle[0], 1, list(key), signing_timestamp(time.time()))
                frames = FrameSplitter().feed_datagram(bytes(message.pack(mav)))
                raw = frames[0].raw
                if old_signer is not None:
                    raw = old_signer.sign(frames[0]) or raw
                sock.sendto(raw, vehicle[1])
    finally:
        sock.close()


async def sign_vehicle(listen: tuple[str, int], key_file: Path, *, timeout_s: float = 30.0) -> InstalledKey:
    """Makes a key, installs it and makes it the vehicle's key file (replacing an older key)."""
    from ground_station.links.signing import load_key

    old_key = load_key(key_file)
    key = new_key()
    pending = key_file.with_suffix(".new")
    write_key(pending, key)  # before sending: the vehicle may take it even if we never hear back
    installed = await install_key(listen, key, old_key=old_key, timeout_s=timeout_s)
    os.replace(pending, key_file)
    return installed
