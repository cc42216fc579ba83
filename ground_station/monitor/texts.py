"""Alert sentences in English, Czech and Polish (the design requires all three)."""

from __future__ import annotations

from ground_station.bus.messages import AlertKind, LocalizedText

_TEMPLATES: dict[tuple[AlertKind, bool], tuple[str, str, str]] = {
    (AlertKind.ZONE_ENTRY, False): (
        "{vehicle} is inside zone {zone} ({restriction})",
        "{vehicle} je uvnitř zóny {zone} ({restriction})",
        "{vehicle} jest wewnątrz strefy {zone} ({restriction})",
    ),
    (AlertKind.ZONE_ENTRY, True): (
        "{vehicle} will enter zone {zone} ({restriction}) in about {seconds:.0f} s",
        "{vehicle} vstoupí do zóny {zone} ({restriction}) asi za {seconds:.0f} s",
        "{vehicle} wejdzie do strefy {zone} ({restriction}) za około {seconds:.0f} s",
    ),
    (AlertKind.BORDER_APPROACH, False): (
        "{vehicle} is {distance:.0f} m from the state border",
        "{vehicle} je {distance:.0f} m od státní hranice",
        "{vehicle} jest {distance:.0f} m od granicy państwa",
    ),
    (AlertKind.BORDER_APPROACH, True): (
        "{vehicle} will cross the state border into {country} in about {seconds:.0f} s",
        "{vehicle} překročí státní hranici do {country} asi za {seconds:.0f} s",
        "{vehicle} przekroczy granicę państwa do {country} za około {seconds:.0f} s",
    ),
    (AlertKind.BORDER_CROSSING, False): (
        "{vehicle} has crossed the state border into {country}",
        "{vehicle} překročil státní hranici do {country}",
        "{vehicle} przekroczył granicę państwa do {country}",
    ),
    (AlertKind.HEIGHT_ABOVE_LIMIT, False): (
        "{vehicle} is {height:.0f} m above ground, above the {limit:.0f} m limit",
        "{vehicle} je {height:.0f} m nad terénem, nad limitem {limit:.0f} m",
        "{vehicle} jest {height:.0f} m nad terenem, powyżej limitu {limit:.0f} m",
    ),
    (AlertKind.TERRAIN_PROXIMITY, False): (
        "{vehicle} is only {height:.0f} m above terrain",
        "{vehicle} je jen {height:.0f} m nad terénem",
        "{vehicle} jest tylko {height:.0f} m nad terenem",
    ),
    (AlertKind.TERRAIN_PROXIMITY, True): (
        "{vehicle} will come within {height:.0f} m of terrain in about {seconds:.0f} s",
        "{vehicle} se asi za {seconds:.0f} s přiblíží k terénu na {height:.0f} m",
        "{vehicle} za około {seconds:.0f} s zbliży się do terenu na {height:.0f} m",
    ),
    (AlertKind.MISSION_DEVIATION, False): (
        "{vehicle} is {distance:.0f} m off its uploaded mission",
        "{vehicle} je {distance:.0f} m mimo nahranou misi",
        "{vehicle} jest {distance:.0f} m poza wgraną misją",
    ),
    (AlertKind.LOW_BATTERY, False): (
        "{vehicle}: battery {remaining:.0f} %, {needed:.0f} % needed to return {distance:.0f} m home",
        "{vehicle}: baterie {remaining:.0f} %, k návratu {distance:.0f} m je třeba {needed:.0f} %",
        "{vehicle}: bateria {remaining:.0f} %, do powrotu {distance:.0f} m potrzeba {needed:.0f} %",
    ),
    (AlertKind.LINK_LOST, False): (
        "{vehicle}: link lost (no heartbeat for {seconds:.0f} s)",
        "{vehicle}: spojení ztraceno (žádný heartbeat {seconds:.0f} s)",
        "{vehicle}: utracono łączność (brak heartbeat od {seconds:.0f} s)",
    ),
    (AlertKind.MONITORING_DEGRADED, False): (
        "monitoring degraded for {vehicle}: {reason}",
        "monitorování omezeno pro {vehicle}: {reason}",
        "monitorowanie ograniczone dla {vehicle}: {reason}",
    ),
    (AlertKind.FAILSAFE, False): (
        "{vehicle}: failsafe, mode {mode} ({detail})",
        "{vehicle}: failsafe, režim {mode} ({detail})",
        "{vehicle}: failsafe, tryb {mode} ({detail})",
    ),
    (AlertKind.VIDEO_STALLED, False): (
        "video {stream}: no picture for {seconds:.0f} s ({reason})",
        "video {stream}: žádný obraz {seconds:.0f} s ({reason})",
        "wideo {stream}: brak obrazu od {seconds:.0f} s ({reason})",
    ),
}


def localized(kind: AlertKind, predicted: bool, **values: object) -> LocalizedText:
    en, cs, pl = _TEMPLATES[(kind, predicted and (kind, True) in _TEMPLATES)]
    return LocalizedText(en=en.format(**values), cs=cs.format(**values), pl=pl.format(**values))
