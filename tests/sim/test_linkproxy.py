"""The link-loss proxy relays both ways and drops everything while blocked, like a radio blackout."""

from __future__ import annotations

import asyncio
import socket

from sim.linkproxy import UdpLinkProxy


def _udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


async def _recv(sock: socket.socket, timeout: float = 1.0) -> bytes | None:
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.sock_recv(sock, 2048), timeout)
    except TimeoutError:
        return None


async def test_relays_both_ways_and_blocks() -> None:
    station, vehicle = _udp(), _udp()
    proxy = await UdpLinkProxy(("127.0.0.1", 0), station.getsockname()).start()
    try:
        vehicle.sendto(b"telemetry", ("127.0.0.1", proxy.vehicle_side_port))
        assert await _recv(station) == b"telemetry"
        # The station answers to whoever sent it the datagram: the proxy's station-side socket.
        station_peer = proxy.station_side_address
        station.sendto(b"command", station_peer)
        assert await _recv(vehicle) == b"command"

        proxy.block()
        vehicle.sendto(b"lost", ("127.0.0.1", proxy.vehicle_side_port))
        station.sendto(b"lost too", station_peer)
        assert await _recv(station, 0.3) is None
        assert await _recv(vehicle, 0.3) is None
        assert proxy.counters.dropped_to_station == 1 and proxy.counters.dropped_to_vehicle == 1

        proxy.unblock()
        vehicle.sendto(b"back", ("127.0.0.1", proxy.vehicle_side_port))
        assert await _recv(station) == b"back"
    finally:
        await proxy.stop()
        station.close()
        vehicle.close()
