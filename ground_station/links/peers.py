"""Which UDP address each vehicle's frames must come from (its pinned peer).

MAVLink 1/2 without signing authenticates nothing: any host that can reach the station's port can send
CRC-valid frames with system id 1. Before pinning, the station took every such frame as the vehicle's
and answered whoever spoke last. Now a vehicle is pinned to the address its first autopilot HEARTBEAT
came from; frames for it from any other address are dropped and counted, and the pin moves only after
the pinned address has been silent for ``repin_after_s`` (a vehicle that rebooted or roamed to a new
source port comes back; a stranger cannot take over a live link). Without signing a stranger can still
win the race before the first heartbeat or while the vehicle is silent: MAVLink 2 signing closes that.
"""

from __future__ import annotations

from dataclasses import dataclass

Address = tuple[str, int]


@dataclass
class Pin:
    address: Address | None = None
    last_seen_mono: float = -1e18
    repins: int = 0


class PeerPins:
    def __init__(self, vehicle_ids: list[str], repin_after_s: float) -> None:
        self.repin_after_s = repin_after_s
        self._pins = {vehicle_id: Pin() for vehicle_id in vehicle_ids}
        self._known: frozenset[Address] = frozenset()

    def pin_of(self, vehicle_id: str) -> Pin:
        return self._pins[vehicle_id]

    @property
    def peers(self) -> frozenset[Address]:
        """Every pinned address (where the station sends)."""
        return self._known

    def is_pinned_peer(self, address: Address) -> bool:
        return address in self._known

    def accepts(self, vehicle_id: str, address: Address, mono: float) -> bool:
        """True (and the pin refreshed) when ``address`` is the vehicle's pinned peer."""
        pin = self._pins[vehicle_id]
        if pin.address == address:
            pin.last_seen_mono = mono
            return True
        return False

    def may_pin(self, vehicle_id: str, mono: float) -> bool:
        pin = self._pins[vehicle_id]
        return pin.address is None or mono - pin.last_seen_mono >= self.repin_after_s

    def open_to_strangers(self, mono: float) -> bool:
        """Whether a datagram from an unknown address could pin anything (else it is dropped unread)."""
        return any(self.may_pin(vehicle_id, mono) for vehicle_id in self._pins)

    def pin(self, vehicle_id: str, address: Address, mono: float) -> Address | None:
        """Pins the vehicle to ``address``; returns the previous address, if any."""
        pin = self._pins[vehicle_id]
        previous = pin.address
        if previous is not None:
            pin.repins += 1
        pin.address = address
        pin.last_seen_mono = mono
        self._known = frozenset(p.address for p in self._pins.values() if p.address is not None)
        return previous
