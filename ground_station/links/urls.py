"""MAVLink connection URLs as MAVSDK and pymavlink spell them, parsed into a typed endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit


class LinkKind(StrEnum):
    UDPIN = "udpin"  # we listen; the vehicle sends to us, we answer its last source address
    UDPOUT = "udpout"  # we send to the vehicle's address
    TCP = "tcp"  # we connect to a TCP server (e.g. a telemetry radio bridge)
    SERIAL = "serial"


@dataclass(frozen=True)
class LinkEndpoint:
    kind: LinkKind
    host: str = ""
    port: int = 0
    device: str = ""
    baud: int = 57600

    @property
    def url(self) -> str:
        if self.kind is LinkKind.SERIAL:
            return f"serial://{self.device}:{self.baud}"
        return f"{self.kind.value}://{self.host}:{self.port}"


class LinkUrlError(ValueError):
    pass


def parse_link_url(url: str) -> LinkEndpoint:
    """``udpin://127.0.0.1:14541``, ``udpout://host:port``, ``udp://:port`` (= udpin), ``tcp://host:port``,
    ``serial:///dev/ttyUSB0:57600``. An empty udpin host means 127.0.0.1 (never all interfaces by default).
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise LinkUrlError(f"MAVLink URL {url!r} has no scheme (udpin://, udpout://, tcp://, serial://)")
    scheme = scheme.lower()
    if scheme == "udp":
        scheme = "udpin"
    if scheme == "serial":
        device, _, baud = rest.rpartition(":")
        if not device:
            device, baud = rest, "57600"
        if not baud.isdigit():
            raise LinkUrlError(f"MAVLink URL {url!r}: baud rate {baud!r} is not a number")
        return LinkEndpoint(LinkKind.SERIAL, device=device, baud=int(baud))
    try:
        kind = LinkKind(scheme)
    except ValueError:
        raise LinkUrlError(f"MAVLink URL {url!r}: unknown scheme {scheme!r}") from None
    parts = urlsplit(f"//{rest}")
    try:
        port = parts.port
    except ValueError as exc:
        raise LinkUrlError(f"MAVLink URL {url!r}: {exc}") from None
    if port is None:
        raise LinkUrlError(f"MAVLink URL {url!r} has no port")
    host = parts.hostname or ("127.0.0.1" if kind is LinkKind.UDPIN else "")
    if not host:
        raise LinkUrlError(f"MAVLink URL {url!r} has no host")
    return LinkEndpoint(kind, host=host, port=port)
