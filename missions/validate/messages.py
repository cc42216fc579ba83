"""Plain-words violation messages in English, Czech and Polish (the pilots on both sides read them).

One template per message key and language; rules fill them with named values, so a translation can reorder
words without touching the rule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Lang(StrEnum):
    EN = "en"
    CS = "cs"
    PL = "pl"


class Msg(StrEnum):
    ZONE_PROHIBITED = "zone_prohibited"
    ZONE_AUTHORISATION = "zone_authorisation"
    ZONE_CONDITIONAL = "zone_conditional"
    BORDER_CROSSING = "border_crossing"
    ABOVE_OPEN_CEILING = "above_open_ceiling"
    ABOVE_APPROVED_CEILING = "above_approved_ceiling"
    CLEARANCE_LOW = "clearance_low"
    TERRAIN_APPROXIMATE = "terrain_approximate"
    TERRAIN_UNKNOWN = "terrain_unknown"
    ENDURANCE_SHORT = "endurance_short"
    WIND_TOO_STRONG = "wind_too_strong"
    BEYOND_VLOS = "beyond_vlos"
    NO_TAKEOFF = "no_takeoff"
    NO_END = "no_end"
    ITEMS_AFTER_END = "items_after_end"
    DUPLICATE_ITEM = "duplicate_item"
    BAD_COORDINATE = "bad_coordinate"
    ABSURD_ALTITUDE = "absurd_altitude"
    FAR_FROM_HOME = "far_from_home"
    UNKNOWN_COMMAND = "unknown_command"
    EMPTY_MISSION = "empty_mission"
    LEGS_NOTE = "legs_note"
    JUMP_OUT_OF_RANGE = "jump_out_of_range"
    JUMP_BAD_REPEAT = "jump_bad_repeat"
    UNMODELLED_COMMAND = "unmodelled_command"
    UNPLACEABLE_POSITION = "unplaceable_position"
    NO_ZONE_DATA = "no_zone_data"
    NO_BORDER_DATA = "no_border_data"
    AGL_UNRESOLVED = "agl_unresolved"
    TERRAIN_FRAME_PX4 = "terrain_frame_px4"
    HOME_OFF_TERRAIN = "home_off_terrain"
    HOME_ALT_UNKNOWN = "home_alt_unknown"
    HOME_MOVED = "home_moved"


_TEMPLATES: dict[Msg, dict[Lang, str]] = {
    Msg.ZONE_PROHIBITED: {
        Lang.EN: "The path enters prohibited zone {zone} ({zone_ref}) at {alt:.0f} m AMSL; "
        "flying there is not allowed.{legs}",
        Lang.CS: "Trasa vstupuje do zakázané zóny {zone} ({zone_ref}) ve výšce {alt:.0f} m n. m.; "
        "let tam není povolen.{legs}",
        Lang.PL: "Trasa wchodzi do strefy zakazanej {zone} ({zone_ref}) na wysokości {alt:.0f} m n.p.m.; "
        "lot tam jest zabroniony.{legs}",
    },
    Msg.ZONE_AUTHORISATION: {
        Lang.EN: "The path enters zone {zone} ({zone_ref}), which needs an authorisation the mission "
        "does not carry. Contact: {contact}.{legs}",
        Lang.CS: "Trasa vstupuje do zóny {zone} ({zone_ref}), která vyžaduje povolení, jež mise nemá. "
        "Kontakt: {contact}.{legs}",
        Lang.PL: "Trasa wchodzi do strefy {zone} ({zone_ref}), która wymaga zezwolenia, którego misja "
        "nie posiada. Kontakt: {contact}.{legs}",
    },
    Msg.ZONE_CONDITIONAL: {
        Lang.EN: "The path enters zone {zone} ({zone_ref}) with conditions: {conditions} "
        "Contact: {contact}.{legs}",
        Lang.CS: "Trasa vstupuje do zóny {zone} ({zone_ref}) s podmínkami: {conditions} "
        "Kontakt: {contact}.{legs}",
        Lang.PL: "Trasa wchodzi do strefy {zone} ({zone_ref}) z warunkami: {conditions} "
        "Kontakt: {contact}.{legs}",
    },
    Msg.BORDER_CROSSING: {
        Lang.EN: "Leg {leg} crosses the state border from {from_country} into {to_country} without a "
        "cross-border authorisation.",
        Lang.CS: "Úsek {leg} překračuje státní hranici z {from_country} do {to_country} bez povolení "
        "k přeshraničnímu letu.",
        Lang.PL: "Odcinek {leg} przekracza granicę państwa z {from_country} do {to_country} bez zezwolenia "
        "na lot transgraniczny.",
    },
    Msg.ABOVE_OPEN_CEILING: {
        Lang.EN: "The path reaches {agl:.0f} m above the terrain, over the {ceiling:.0f} m limit of the open "
        "category (EU 2019/947).",
        Lang.CS: "Trasa dosahuje {agl:.0f} m nad terénem, nad limitem {ceiling:.0f} m otevřené kategorie "
        "(EU 2019/947).",
        Lang.PL: "Trasa osiąga {agl:.0f} m nad terenem, powyżej limitu {ceiling:.0f} m kategorii otwartej "
        "(UE 2019/947).",
    },
    Msg.ABOVE_APPROVED_CEILING: {
        Lang.EN: "The path reaches {agl:.0f} m above the terrain, over the approved ceiling of "
        "{ceiling:.0f} m.",
        Lang.CS: "Trasa dosahuje {agl:.0f} m nad terénem, nad schváleným stropem {ceiling:.0f} m.",
        Lang.PL: "Trasa osiąga {agl:.0f} m nad terenem, powyżej zatwierdzonego pułapu {ceiling:.0f} m.",
    },
    Msg.CLEARANCE_LOW: {
        Lang.EN: "The path comes within {agl:.0f} m of the terrain; at least {minimum:.0f} m is required "
        "outside take-off and landing.",
        Lang.CS: "Trasa se přibližuje k terénu na {agl:.0f} m; mimo vzlet a přistání je nutných "
        "alespoň {minimum:.0f} m.",
        Lang.PL: "Trasa zbliża się do terenu na {agl:.0f} m; poza startem i lądowaniem wymagane jest "
        "co najmniej {minimum:.0f} m.",
    },
    Msg.TERRAIN_APPROXIMATE: {
        Lang.EN: "Terrain approximate ±{accuracy:.0f} m: heights above ground were checked on a coarse "
        "terrain model.",
        Lang.CS: "Terén přibližný ±{accuracy:.0f} m: výšky nad terénem byly ověřeny na hrubém modelu terénu.",
        Lang.PL: "Teren przybliżony ±{accuracy:.0f} m: wysokości nad terenem sprawdzono na zgrubnym "
        "modelu terenu.",
    },
    Msg.TERRAIN_UNKNOWN: {
        Lang.EN: "Terrain unknown under {count} point(s) of the path: height above ground cannot be "
        "checked. Load a DEM covering the area.",
        Lang.CS: "Terén neznámý pod {count} bodem/body trasy: výšku nad terénem nelze ověřit. "
        "Načtěte model terénu pokrývající oblast.",
        Lang.PL: "Teren nieznany pod {count} punktem/punktami trasy: nie można sprawdzić wysokości nad "
        "terenem. Wczytaj model terenu obejmujący obszar.",
    },
    Msg.ENDURANCE_SHORT: {
        Lang.EN: "Estimated flight time {needed_min:.1f} min exceeds the {available_min:.1f} min the battery "
        "allows with a {reserve:.0f} % reserve.",
        Lang.CS: "Odhadovaná doba letu {needed_min:.1f} min přesahuje {available_min:.1f} min, které baterie "
        "umožní s rezervou {reserve:.0f} %.",
        Lang.PL: "Szacowany czas lotu {needed_min:.1f} min przekracza {available_min:.1f} min, na które "
        "pozwala bateria z rezerwą {reserve:.0f} %.",
    },
    Msg.WIND_TOO_STRONG: {
        Lang.EN: "Expected wind {wind:.0f} m/s is above the vehicle's limit of {limit:.0f} m/s.",
        Lang.CS: "Očekávaný vítr {wind:.0f} m/s překračuje limit stroje {limit:.0f} m/s.",
        Lang.PL: "Oczekiwany wiatr {wind:.0f} m/s przekracza limit maszyny {limit:.0f} m/s.",
    },
    Msg.BEYOND_VLOS: {
        Lang.EN: "The path goes {distance:.0f} m from the pilot, beyond the {limit:.0f} m visual line of "
        "sight limit of the open category.",
        Lang.CS: "Trasa vede {distance:.0f} m od pilota, za hranici přímé viditelnosti {limit:.0f} m "
        "v otevřené kategorii.",
        Lang.PL: "Trasa prowadzi {distance:.0f} m od pilota, poza granicę zasięgu wzroku {limit:.0f} m "
        "w kategorii otwartej.",
    },
    Msg.NO_TAKEOFF: {
        Lang.EN: "The mission has no take-off before its first flying item.",
        Lang.CS: "Mise nemá vzlet před první letovou položkou.",
        Lang.PL: "Misja nie ma startu przed pierwszym elementem lotu.",
    },
    Msg.NO_END: {
        Lang.EN: "The mission does not end with return-to-launch or landing.",
        Lang.CS: "Mise nekončí návratem na místo vzletu ani přistáním.",
        Lang.PL: "Misja nie kończy się powrotem do miejsca startu ani lądowaniem.",
    },
    Msg.ITEMS_AFTER_END: {
        Lang.EN: "Item {item} comes after the mission has already ended (landing or return-to-launch).",
        Lang.CS: "Položka {item} následuje až po konci mise (přistání nebo návrat).",
        Lang.PL: "Element {item} występuje po zakończeniu misji (lądowanie lub powrót).",
    },
    Msg.DUPLICATE_ITEM: {
        Lang.EN: "Item {item} repeats item {previous} exactly.",
        Lang.CS: "Položka {item} přesně opakuje položku {previous}.",
        Lang.PL: "Element {item} dokładnie powtarza element {previous}.",
    },
    Msg.BAD_COORDINATE: {
        Lang.EN: "Item {item} has an invalid position (lon {bad_lon}, lat {bad_lat}).",
        Lang.CS: "Položka {item} má neplatnou polohu (lon {bad_lon}, lat {bad_lat}).",
        Lang.PL: "Element {item} ma nieprawidłowe położenie (lon {bad_lon}, lat {bad_lat}).",
    },
    Msg.ABSURD_ALTITUDE: {
        Lang.EN: "Item {item} has an impossible altitude: {alt} m {frame}.",
        Lang.CS: "Položka {item} má nemožnou výšku: {alt} m {frame}.",
        Lang.PL: "Element {item} ma niemożliwą wysokość: {alt} m {frame}.",
    },
    Msg.FAR_FROM_HOME: {
        Lang.EN: "Item {item} lies {distance_km:.1f} km from home; check for a typing error.",
        Lang.CS: "Položka {item} leží {distance_km:.1f} km od domovské pozice; zkontrolujte překlep.",
        Lang.PL: "Element {item} leży {distance_km:.1f} km od punktu startu; sprawdź, czy nie ma literówki.",
    },
    Msg.UNKNOWN_COMMAND: {
        Lang.EN: "Item {item} is MAVLink command {command}, which borderwatch cannot check.",
        Lang.CS: "Položka {item} je příkaz MAVLink {command}, který borderwatch neumí ověřit.",
        Lang.PL: "Element {item} to polecenie MAVLink {command}, którego borderwatch nie potrafi sprawdzić.",
    },
    Msg.JUMP_OUT_OF_RANGE: {
        Lang.EN: "Item {item} jumps to item {target}, which does not exist.",
        Lang.CS: "Položka {item} skáče na položku {target}, která neexistuje.",
        Lang.PL: "Element {item} przeskakuje do elementu {target}, który nie istnieje.",
    },
    Msg.JUMP_BAD_REPEAT: {
        Lang.EN: "Item {item} jumps back {repeat} time(s); only a finite, non-negative repeat count can be "
        "checked.",
        Lang.CS: "Položka {item} skáče zpět {repeat}krát; ověřit lze jen konečný nezáporný počet opakování.",
        Lang.PL: "Element {item} skacze wstecz {repeat} raz(y); sprawdzić można tylko skończoną, nieujemną "
        "liczbę powtórzeń.",
    },
    Msg.UNMODELLED_COMMAND: {
        Lang.EN: "Item {item} is {name} (MAVLink {command}), which changes the flight in a way borderwatch "
        "cannot check; the mission cannot be called legal.",
        Lang.CS: "Položka {item} je {name} (MAVLink {command}), který mění let způsobem, jejž borderwatch "
        "neumí ověřit; misi nelze označit za povolenou.",
        Lang.PL: "Element {item} to {name} (MAVLink {command}), które zmienia lot w sposób, którego "
        "borderwatch nie potrafi sprawdzić; misji nie można uznać za dozwoloną.",
    },
    Msg.UNPLACEABLE_POSITION: {
        Lang.EN: "Item {item} ({name}, MAVLink {command}) flies to a position in frame {frame}, which is not "
        "a global frame: its place on the path cannot be checked.",
        Lang.CS: "Položka {item} ({name}, MAVLink {command}) letí na polohu v rámci {frame}, který není "
        "globální: její místo na trase nelze ověřit.",
        Lang.PL: "Element {item} ({name}, MAVLink {command}) leci do położenia w układzie {frame}, który nie "
        "jest globalny: jego miejsca na trasie nie można sprawdzić.",
    },
    Msg.NO_ZONE_DATA: {
        Lang.EN: "No zone data for this area: the loaded zones do not cover {count} point(s) of the path "
        "(first at leg {leg}). Import the authority's data (borderwatch zones import).",
        Lang.CS: "Pro tuto oblast nejsou data zón: načtené zóny nepokrývají {count} bod(ů) trasy "
        "(první na úseku {leg}). Importujte data úřadu (borderwatch zones import).",
        Lang.PL: "Brak danych stref dla tego obszaru: wczytane strefy nie obejmują {count} punktu(ów) trasy "
        "(pierwszy na odcinku {leg}). Zaimportuj dane urzędu (borderwatch zones import).",
    },
    Msg.NO_BORDER_DATA: {
        Lang.EN: "No border data for this area: the loaded state border does not cover {count} point(s) "
        "of the path (first at leg {leg}), so crossings cannot be checked.",
        Lang.CS: "Pro tuto oblast nejsou data hranic: načtená státní hranice nepokrývá {count} bod(ů) trasy "
        "(první na úseku {leg}), přechody nelze ověřit.",
        Lang.PL: "Brak danych granicy dla tego obszaru: wczytana granica państwa nie obejmuje {count} "
        "punktu(ów) trasy (pierwszy na odcinku {leg}), więc przekroczeń nie można sprawdzić.",
    },
    Msg.AGL_UNRESOLVED: {
        Lang.EN: "Item {item} is {agl:.0f} m above the terrain, but the terrain there is {quality}: its "
        "altitude above sea level cannot be worked out, and it cannot be uploaded.",
        Lang.CS: "Položka {item} je {agl:.0f} m nad terénem, ale terén je tam {quality}: její nadmořskou "
        "výšku nelze určit a nelze ji nahrát.",
        Lang.PL: "Element {item} jest {agl:.0f} m nad terenem, ale teren jest tam {quality}: jego wysokości "
        "nad poziomem morza nie można ustalić i nie można go wysłać.",
    },
    Msg.TERRAIN_FRAME_PX4: {
        Lang.EN: "Item {item} uses the terrain frame (MAV_FRAME_GLOBAL_TERRAIN_ALT, QGC 'Terrain Frame'), "
        "which PX4 does not support in missions.",
        Lang.CS: "Položka {item} používá terénní rámec (MAV_FRAME_GLOBAL_TERRAIN_ALT, v QGC 'Terrain "
        "Frame'), který PX4 v misích nepodporuje.",
        Lang.PL: "Element {item} używa układu terenowego (MAV_FRAME_GLOBAL_TERRAIN_ALT, w QGC 'Terrain "
        "Frame'), którego PX4 nie obsługuje w misjach.",
    },
    Msg.HOME_OFF_TERRAIN: {
        Lang.EN: "Home altitude {home:.0f} m AMSL is {difference:.0f} m {direction} the terrain at home "
        "({ground:.0f} m AMSL); altitudes relative to home would be wrong by as much (margin "
        "{margin:.0f} m).",
        Lang.CS: "Výška domovské pozice {home:.0f} m n. m. je {difference:.0f} m {direction} terénem "
        "({ground:.0f} m n. m.); výšky vztažené k domovské pozici by byly chybné o tolik (tolerance "
        "{margin:.0f} m).",
        Lang.PL: "Wysokość punktu startu {home:.0f} m n.p.m. jest {difference:.0f} m {direction} terenem "
        "({ground:.0f} m n.p.m.); wysokości względem startu byłyby błędne o tyle (margines {margin:.0f} m).",
    },
    Msg.HOME_ALT_UNKNOWN: {
        Lang.EN: "The plan gives no home altitude and no terrain model covers home: altitudes relative to "
        "home cannot be checked.",
        Lang.CS: "Plán neudává výšku domovské pozice a žádný model terénu ji nepokrývá: výšky vztažené "
        "k domovské pozici nelze ověřit.",
        Lang.PL: "Plan nie podaje wysokości punktu startu i żaden model terenu go nie obejmuje: wysokości "
        "względem startu nie można sprawdzić.",
    },
    Msg.HOME_MOVED: {
        Lang.EN: "The vehicle's home is {distance:.0f} m from the plan's home and {alt:+.0f} m higher; the "
        "mission was checked again from the vehicle's home.",
        Lang.CS: "Domovská pozice stroje je {distance:.0f} m od domovské pozice plánu a o {alt:+.0f} m výše; "
        "mise byla znovu ověřena od domovské pozice stroje.",
        Lang.PL: "Punkt startu maszyny jest {distance:.0f} m od punktu startu planu i {alt:+.0f} m wyżej; "
        "misję sprawdzono ponownie od punktu startu maszyny.",
    },
    Msg.LEGS_NOTE: {
        Lang.EN: " [legs {first}-{last}, {count} in all]",
        Lang.CS: " [úseky {first}-{last}, celkem {count}]",
        Lang.PL: " [odcinki {first}-{last}, łącznie {count}]",
    },
    Msg.EMPTY_MISSION: {
        Lang.EN: "The mission has no items.",
        Lang.CS: "Mise nemá žádné položky.",
        Lang.PL: "Misja nie ma żadnych elementów.",
    },
}


def render(key: Msg, **values: Any) -> dict[Lang, str]:
    """The message in every language, filled with ``values``; a value that is itself a rendered message
    (a dict by language) contributes its text in the same language."""

    def pick(value: Any, lang: Lang) -> Any:
        return value[lang] if isinstance(value, dict) else value

    return {
        lang: template.format(**{name: pick(value, lang) for name, value in values.items()})
        for lang, template in _TEMPLATES[key].items()
    }


def all_keys_translated() -> bool:
    """Every key has every language (checked by the tests, so a new key cannot ship half-translated)."""
    return all(set(_TEMPLATES.get(key, {})) == set(Lang) for key in Msg)
