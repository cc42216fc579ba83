"""De-duplication: one alert per (vehicle, condition) while it lasts, not one per packet.

A condition opens an alert the first time it is found, updates it (same ``alert_id``) only when its
severity rises, and closes it (``active=False``) once it has not been found for ``clear_after_s``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from ground_station.bus.messages import AlertMsg, AlertSeverity
from ground_station.monitor.rules import Finding
from ground_station.monitor.texts import localized

_SEVERITY_RANK = {AlertSeverity.INFO: 0, AlertSeverity.WARNING: 1, AlertSeverity.CRITICAL: 2}


@dataclass
class _Open:
    alert: AlertMsg
    last_seen_mono: float


class AlertBook:
    def __init__(self, clear_after_s: float) -> None:
        self.clear_after_s = clear_after_s
        self._open: dict[tuple[str, str], _Open] = {}

    @property
    def active(self) -> list[AlertMsg]:
        return [o.alert for o in self._open.values()]

    def update(
        self, vehicle_id: str, findings: list[Finding], now: dt.datetime, mono: float
    ) -> list[AlertMsg]:
        """Applies one complete evaluation of a vehicle; returns the alerts to publish."""
        out: list[AlertMsg] = []
        seen: set[str] = set()
        for finding in findings:
            if finding.key in seen:
                continue
            seen.add(finding.key)
            key = (vehicle_id, finding.key)
            current = self._open.get(key)
            if current is None:
                alert = self._alert(uuid.uuid4().hex[:16], vehicle_id, finding, now)
                self._open[key] = _Open(alert, mono)
                out.append(alert)
                continue
            current.last_seen_mono = mono
            if _SEVERITY_RANK[finding.severity] > _SEVERITY_RANK[current.alert.severity]:
                current.alert = self._alert(current.alert.alert_id, vehicle_id, finding, now)
                out.append(current.alert)
        for key, opened in list(self._open.items()):
            if key[0] != vehicle_id or key[1] in seen:
                continue
            if mono - opened.last_seen_mono >= self.clear_after_s:
                del self._open[key]
                out.append(opened.alert.model_copy(update={"active": False, "time_utc": now}))
        return out

    @staticmethod
    def _alert(alert_id: str, vehicle_id: str, finding: Finding, now: dt.datetime) -> AlertMsg:
        texts = localized(finding.kind, finding.predicted, vehicle=vehicle_id, **finding.values)
        return AlertMsg(
            alert_id=alert_id,
            vehicle_id=vehicle_id,
            kind=finding.kind,
            severity=finding.severity,
            message=texts.en,
            messages=texts,
            lon=finding.lon,
            lat=finding.lat,
            time_utc=now,
            predicted=finding.predicted,
            zone_id=finding.zone_id,
        )
