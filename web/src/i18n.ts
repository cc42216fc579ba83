// UI strings in English, Czech and Polish (design: every UI string in all three).
export type Lang = "en" | "cs" | "pl";
export const LANGS: Lang[] = ["en", "cs", "pl"];
const STORAGE_KEY = "borderwatch.lang";

type Dict = Record<string, string>;

const en: Dict = {
  "app.title": "borderwatch ground station",
  "lang.label": "Language",
  "login.heading": "Sign in",
  "login.username": "User name",
  "login.password": "Password",
  "login.submit": "Sign in",
  "login.failed": "Wrong user name or password.",
  "login.error": "Sign-in failed: {reason}",
  "login.expired": "Your session ended. Please sign in again.",
  "login.disabled": "Your account was disabled.",
  "logout": "Sign out",
  "user.as": "{user} ({role})",
  "role.pilot": "pilot",
  "role.commander": "commander",
  "role.partner_viewer": "partner viewer",
  "role.admin": "administrator",
  "conn.live": "Live",
  "conn.connecting": "Connecting…",
  "conn.reconnecting": "Connection lost – reconnecting…",
  "map.label": "Map of the region with zones, border, cameras and vehicles. Arrow keys move it; i tells the zones at its centre",
  "map.noTerrain": "No terrain loaded: relief and AGL heights unavailable. Vectors only.",
  "map.pickHint": "Go to: click the target on the map, or press Enter for the map centre. Esc cancels.",
  "fleet.heading": "Fleet",
  "fleet.none": "No vehicles configured.",
  "hud.heading": "Vehicle {id}",
  "hud.none": "Select a vehicle on the map or in the fleet list.",
  "hud.mode": "Mode",
  "hud.armed": "Armed",
  "hud.agl": "Altitude AGL",
  "hud.amsl": "Altitude AMSL",
  "hud.speed": "Ground speed",
  "hud.heading_deg": "Heading",
  "hud.battery": "Battery",
  "hud.gps": "Position",
  "hud.link": "Link",
  "hud.mission": "Mission",
  "hud.terrainUnknown": "terrain unknown",
  "hud.yes": "yes",
  "hud.no": "no",
  "hud.linkUp": "connected",
  "hud.linkDown": "lost",
  "hud.stale": "stale",
  "hud.noFix": "no position",
  "hud.fix": "updated {age} ago",
  "hud.missionNone": "none",
  "hud.missionProgress": "item {current} of {total}",
  "hud.state": "State",
  "cmd.heading": "Commands",
  "cmd.arm": "Arm",
  "cmd.takeoff": "Take off",
  "cmd.mission_start": "Start mission",
  "cmd.pause": "Pause",
  "cmd.resume": "Resume",
  "cmd.goto": "Go to…",
  "cmd.rtl": "Return to launch",
  "cmd.land": "Land",
  "cmd.disarm": "Disarm",
  "cmd.confirm": "Send “{command}” to {id}?",
  "cmd.confirmGoto": "Send {id} to {lat}, {lon} at {alt} m AMSL?",
  "cmd.yes": "Send",
  "cmd.cancel": "Cancel",
  "cmd.sending": "Sending “{command}”…",
  "cmd.accepted": "{id} accepted “{command}”.",
  "cmd.refused": "{id} refused “{command}”: {reason}",
  "refusal.vehicle_not_connected": "the vehicle is not connected",
  "refusal.vehicle_not_found": "the vehicle is not known to the station",
  "refusal.command_timeout": "the vehicle did not answer in time",
  "refusal.mission_mismatch": "the mission on the vehicle differs from the approved one",
  "refusal.command_rejected": "the autopilot rejected it ({reason})",
  "refusal.command_failed": "the command failed",
  "refusal.forbidden": "you are not allowed to do this",
  "refusal.other": "error {status}",
  "result.COMMAND_DENIED": "command denied in the current state",
  "result.DENIED": "command denied in the current state",
  "result.TEMPORARILY_REJECTED": "temporarily rejected, try again",
  "result.UNSUPPORTED": "not supported",
  "result.BUSY": "busy",
  "result.FAILED": "failed",
  "result.NOT_CONFIRMED": "accepted, but the vehicle did not do it",
  "alerts.heading": "Alerts",
  "alerts.none": "No alerts.",
  "alerts.ack": "Acknowledge",
  "alerts.ackLabel": "Acknowledge alert {kind} of {vehicle}",
  "alerts.acked": "acknowledged by {user}",
  "alerts.critical": "CRITICAL: {message}",
  "sev.CRITICAL": "critical",
  "sev.WARNING": "warning",
  "sev.INFO": "info",
  "zone.restriction": "Restriction",
  "zone.band": "Altitude band",
  "zone.authority": "Authority",
  "zone.approximate": "Approximate outline (hand-drawn from a public source)",
  "zone.exact": "Outline from the authority's data",
  "zone.close": "Close",
  "camera.label": "Camera {name}",
  "camera.nominal": "nominal view (terrain unknown)",
  "vehicle.label": "Vehicle {id}, heading {heading}",
  "unknown": "unknown",
};

const cs: Dict = {
  "app.title": "borderwatch – pozemní stanice",
  "lang.label": "Jazyk",
  "login.heading": "Přihlášení",
  "login.username": "Uživatelské jméno",
  "login.password": "Heslo",
  "login.submit": "Přihlásit",
  "login.failed": "Chybné jméno nebo heslo.",
  "login.error": "Přihlášení selhalo: {reason}",
  "login.expired": "Relace skončila. Přihlaste se znovu.",
  "login.disabled": "Váš účet byl zablokován.",
  "logout": "Odhlásit",
  "user.as": "{user} ({role})",
  "role.pilot": "pilot",
  "role.commander": "velitel",
  "role.partner_viewer": "partner – jen čtení",
  "role.admin": "správce",
  "conn.live": "Spojeno",
  "conn.connecting": "Připojování…",
  "conn.reconnecting": "Spojení ztraceno – připojuji znovu…",
  "map.label": "Mapa oblasti se zónami, hranicí, kamerami a stroji. Šipky ji posouvají; i řekne zóny v jejím středu",
  "map.noTerrain": "Není načten terén: reliéf a výšky AGL nejsou k dispozici. Jen vektory.",
  "map.pickHint": "Let na bod: klikněte na cíl v mapě nebo stiskněte Enter pro střed mapy. Esc zruší.",
  "fleet.heading": "Flotila",
  "fleet.none": "Žádné stroje nejsou nastaveny.",
  "hud.heading": "Stroj {id}",
  "hud.none": "Vyberte stroj v mapě nebo v seznamu flotily.",
  "hud.mode": "Režim",
  "hud.armed": "Odjištěn",
  "hud.agl": "Výška AGL",
  "hud.amsl": "Výška AMSL",
  "hud.speed": "Rychlost nad zemí",
  "hud.heading_deg": "Kurz",
  "hud.battery": "Baterie",
  "hud.gps": "Poloha",
  "hud.link": "Spojení",
  "hud.mission": "Mise",
  "hud.terrainUnknown": "terén neznámý",
  "hud.yes": "ano",
  "hud.no": "ne",
  "hud.linkUp": "spojeno",
  "hud.linkDown": "ztraceno",
  "hud.stale": "zastaralé",
  "hud.noFix": "bez polohy",
  "hud.fix": "aktualizována před {age}",
  "hud.missionNone": "žádná",
  "hud.missionProgress": "bod {current} z {total}",
  "hud.state": "Stav",
  "cmd.heading": "Povely",
  "cmd.arm": "Odjistit",
  "cmd.takeoff": "Vzlet",
  "cmd.mission_start": "Spustit misi",
  "cmd.pause": "Pozastavit",
  "cmd.resume": "Pokračovat",
  "cmd.goto": "Letět na…",
  "cmd.rtl": "Návrat na start",
  "cmd.land": "Přistát",
  "cmd.disarm": "Zajistit",
  "cmd.confirm": "Odeslat povel „{command}“ stroji {id}?",
  "cmd.confirmGoto": "Poslat {id} na {lat}, {lon} ve výšce {alt} m AMSL?",
  "cmd.yes": "Odeslat",
  "cmd.cancel": "Zrušit",
  "cmd.sending": "Odesílám „{command}“…",
  "cmd.accepted": "{id} přijal povel „{command}“.",
  "cmd.refused": "{id} odmítl povel „{command}“: {reason}",
  "refusal.vehicle_not_connected": "stroj není spojen",
  "refusal.vehicle_not_found": "stanice stroj nezná",
  "refusal.command_timeout": "stroj neodpověděl včas",
  "refusal.mission_mismatch": "mise ve stroji se liší od schválené",
  "refusal.command_rejected": "autopilot povel odmítl ({reason})",
  "refusal.command_failed": "povel selhal",
  "refusal.forbidden": "k tomu nemáte oprávnění",
  "refusal.other": "chyba {status}",
  "result.COMMAND_DENIED": "v tomto stavu nelze provést",
  "result.DENIED": "v tomto stavu nelze provést",
  "result.TEMPORARILY_REJECTED": "dočasně odmítnuto, zkuste znovu",
  "result.UNSUPPORTED": "nepodporováno",
  "result.BUSY": "zaneprázdněn",
  "result.FAILED": "selhalo",
  "result.NOT_CONFIRMED": "přijato, ale dron povel neprovedl",
  "alerts.heading": "Výstrahy",
  "alerts.none": "Žádné výstrahy.",
  "alerts.ack": "Potvrdit",
  "alerts.ackLabel": "Potvrdit výstrahu {kind} stroje {vehicle}",
  "alerts.acked": "potvrdil(a) {user}",
  "alerts.critical": "KRITICKÉ: {message}",
  "sev.CRITICAL": "kritická",
  "sev.WARNING": "varování",
  "sev.INFO": "informace",
  "zone.restriction": "Omezení",
  "zone.band": "Výškové pásmo",
  "zone.authority": "Úřad",
  "zone.approximate": "Přibližný obrys (ručně podle veřejného zdroje)",
  "zone.exact": "Obrys z dat úřadu",
  "zone.close": "Zavřít",
  "camera.label": "Kamera {name}",
  "camera.nominal": "jmenovitý výhled (terén neznámý)",
  "vehicle.label": "Stroj {id}, kurz {heading}",
  "unknown": "neznámo",
};

const pl: Dict = {
  "app.title": "borderwatch – stacja naziemna",
  "lang.label": "Język",
  "login.heading": "Logowanie",
  "login.username": "Nazwa użytkownika",
  "login.password": "Hasło",
  "login.submit": "Zaloguj",
  "login.failed": "Błędna nazwa użytkownika lub hasło.",
  "login.error": "Logowanie nie powiodło się: {reason}",
  "login.expired": "Sesja wygasła. Zaloguj się ponownie.",
  "login.disabled": "Twoje konto zostało zablokowane.",
  "logout": "Wyloguj",
  "user.as": "{user} ({role})",
  "role.pilot": "pilot",
  "role.commander": "dowódca",
  "role.partner_viewer": "partner – tylko podgląd",
  "role.admin": "administrator",
  "conn.live": "Połączono",
  "conn.connecting": "Łączenie…",
  "conn.reconnecting": "Utracono połączenie – ponowne łączenie…",
  "map.label": "Mapa regionu ze strefami, granicą, kamerami i statkami. Strzałki ją przesuwają; i podaje strefy w jej środku",
  "map.noTerrain": "Nie wczytano terenu: rzeźba i wysokości AGL niedostępne. Tylko wektory.",
  "map.pickHint": "Leć do: kliknij cel na mapie lub naciśnij Enter, by wybrać środek mapy. Esc anuluje.",
  "fleet.heading": "Flota",
  "fleet.none": "Brak skonfigurowanych statków.",
  "hud.heading": "Statek {id}",
  "hud.none": "Wybierz statek na mapie lub na liście floty.",
  "hud.mode": "Tryb",
  "hud.armed": "Uzbrojony",
  "hud.agl": "Wysokość AGL",
  "hud.amsl": "Wysokość AMSL",
  "hud.speed": "Prędkość względem ziemi",
  "hud.heading_deg": "Kurs",
  "hud.battery": "Bateria",
  "hud.gps": "Pozycja",
  "hud.link": "Łącze",
  "hud.mission": "Misja",
  "hud.terrainUnknown": "teren nieznany",
  "hud.yes": "tak",
  "hud.no": "nie",
  "hud.linkUp": "połączono",
  "hud.linkDown": "utracone",
  "hud.stale": "nieaktualne",
  "hud.noFix": "brak pozycji",
  "hud.fix": "aktualizacja {age} temu",
  "hud.missionNone": "brak",
  "hud.missionProgress": "punkt {current} z {total}",
  "hud.state": "Stan",
  "cmd.heading": "Polecenia",
  "cmd.arm": "Uzbrój",
  "cmd.takeoff": "Start",
  "cmd.mission_start": "Rozpocznij misję",
  "cmd.pause": "Wstrzymaj",
  "cmd.resume": "Wznów",
  "cmd.goto": "Leć do…",
  "cmd.rtl": "Powrót do startu",
  "cmd.land": "Ląduj",
  "cmd.disarm": "Rozbrój",
  "cmd.confirm": "Wysłać polecenie „{command}” do {id}?",
  "cmd.confirmGoto": "Wysłać {id} do {lat}, {lon} na wysokości {alt} m AMSL?",
  "cmd.yes": "Wyślij",
  "cmd.cancel": "Anuluj",
  "cmd.sending": "Wysyłanie „{command}”…",
  "cmd.accepted": "{id} przyjął polecenie „{command}”.",
  "cmd.refused": "{id} odrzucił polecenie „{command}”: {reason}",
  "refusal.vehicle_not_connected": "statek nie jest połączony",
  "refusal.vehicle_not_found": "stacja nie zna tego statku",
  "refusal.command_timeout": "statek nie odpowiedział na czas",
  "refusal.mission_mismatch": "misja w statku różni się od zatwierdzonej",
  "refusal.command_rejected": "autopilot odrzucił polecenie ({reason})",
  "refusal.command_failed": "polecenie nie powiodło się",
  "refusal.forbidden": "nie masz do tego uprawnień",
  "refusal.other": "błąd {status}",
  "result.COMMAND_DENIED": "niedozwolone w obecnym stanie",
  "result.DENIED": "niedozwolone w obecnym stanie",
  "result.TEMPORARILY_REJECTED": "chwilowo odrzucone, spróbuj ponownie",
  "result.UNSUPPORTED": "nieobsługiwane",
  "result.BUSY": "zajęty",
  "result.FAILED": "niepowodzenie",
  "result.NOT_CONFIRMED": "przyjęte, ale dron go nie wykonał",
  "alerts.heading": "Alarmy",
  "alerts.none": "Brak alarmów.",
  "alerts.ack": "Potwierdź",
  "alerts.ackLabel": "Potwierdź alarm {kind} statku {vehicle}",
  "alerts.acked": "potwierdził(a) {user}",
  "alerts.critical": "KRYTYCZNY: {message}",
  "sev.CRITICAL": "krytyczny",
  "sev.WARNING": "ostrzeżenie",
  "sev.INFO": "informacja",
  "zone.restriction": "Ograniczenie",
  "zone.band": "Zakres wysokości",
  "zone.authority": "Organ",
  "zone.approximate": "Przybliżony obrys (ręcznie wg publicznego źródła)",
  "zone.exact": "Obrys z danych organu",
  "zone.close": "Zamknij",
  "camera.label": "Kamera {name}",
  "camera.nominal": "nominalny widok (teren nieznany)",
  "vehicle.label": "Statek {id}, kurs {heading}",
  "unknown": "nieznane",
};

const DICTS: Record<Lang, Dict> = { en, cs, pl };

/** Strings a feature module brings along (every key in all three languages). */
export function addStrings(more: Record<Lang, Dict>): void {
  for (const code of LANGS) Object.assign(DICTS[code], more[code]);
}

function initialLang(): Lang {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && (LANGS as string[]).includes(stored)) return stored as Lang;
  const nav = (navigator.language || "en").slice(0, 2);
  return (LANGS as string[]).includes(nav) ? (nav as Lang) : "en";
}

let current: Lang = initialLang();
const listeners: Array<() => void> = [];

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  for (const listener of listeners) listener();
}

export function onLangChange(listener: () => void): void {
  listeners.push(listener);
}

export function t(key: string, params: Record<string, string | number> = {}): string {
  const text = DICTS[current][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_m, name: string) => String(params[name] ?? `{${name}}`));
}

/** Applies data-i18n (text) and data-i18n-label (aria-label) attributes under root. */
export function translateDom(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n!);
  });
  root.querySelectorAll<HTMLElement>("[data-i18n-label]").forEach((el) => {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel!));
  });
  document.title = t("app.title");
}

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString(current, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Local time for display; the UTC time goes into the element's title (shown on hover). */
export function timeElement(iso: string): HTMLTimeElement {
  const el = document.createElement("time");
  const date = new Date(iso);
  el.dateTime = date.toISOString();
  el.textContent = date.toLocaleTimeString(current, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  el.title = `${date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z")} UTC`;
  return el;
}
