"""The alert a link raises when someone else speaks for its vehicle: rate-limited, in three languages.

A stranger sending frames to the vehicle's port is worth telling the pilot about, but a flood of them
must not become a flood of alerts: one alert per link per ``interval_s`` while it lasts, with the count
of frames dropped since the previous one.
"""

from __future__ import annotations

import datetime as dt

from ground_station.bus.messages import AlertKind, AlertMsg, AlertSeverity, LocalizedText


class ForeignPeerAlarm:
    def __init__(self, link_name: str, vehicle_id: str | None, interval_s: float) -> None:
        self._link_name = link_name
        self._vehicle_id = vehicle_id
        self._interval_s = interval_s
        self._last_mono = -1e18
        self._dropped_since = 0
        self.raised = 0

    def dropped(
        self, address: str, reason: str, now: dt.datetime, mono: float, count: int = 1
    ) -> AlertMsg | None:
        """Counts a dropped frame; returns an alert to publish when the rate limit allows one."""
        self._dropped_since += count
        if mono - self._last_mono < self._interval_s:
            return None
        self._last_mono = mono
        dropped, self._dropped_since = self._dropped_since, 0
        self.raised += 1
        who = self._vehicle_id or self._link_name
        return AlertMsg(
            alert_id=f"link-spoofing-{who}",
            vehicle_id=self._vehicle_id,
            kind=AlertKind.LINK_SPOOFING,
            severity=AlertSeverity.WARNING,
            message=f"{who}: {dropped} MAVLink frame(s) dropped from {address} ({reason})",
            messages=LocalizedText(
                en=f"{who}: {dropped} MAVLink frame(s) dropped from {address} ({reason})",
                cs=f"{who}: zahozeno {dropped} MAVLink rámců z adresy {address} ({reason})",
                pl=f"{who}: odrzucono {dropped} ramek MAVLink z adresu {address} ({reason})",
            ),
            time_utc=now,
        )
