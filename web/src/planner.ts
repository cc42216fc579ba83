// Mission planning on the map: waypoints added, moved (drag, or arrow keys on a focused marker) and
// deleted; altitudes with their frame; live validation by the service (asynchronous: the map never waits
// for it; one check in flight at a time, edits made meanwhile coalesced into the next, a drag checked when
// dropped); each violation drawn where it happens and explained in the user's language; the verdict always
// visible; save, upload only when legal, start, progress; .plan import and export.
import maplibregl from "maplibre-gl";
import { api, postJson } from "./api";
import { confirmMission } from "./confirm";
import { holdDeferrableRedraws } from "./redraws";
import { addStrings, formatNumber, lang, t } from "./i18n";

const FRAMES = ["AGL", "REL_HOME", "AMSL"];
const KEY_STEP_M = 20;
const CEILING_AGL_M = 120;
const SVG_NS = "http://www.w3.org/2000/svg";
const PATTERNS = ["expanding_square", "sector_search", "parallel_track"];
const ROUTE_WITHOUT_VERDICT_MS = 400; // a check of 1,000 items takes ~0.2 s on a 2-core machine

addStrings({
  en: {
    "plan.heading": "Mission planning",
    "plan.new": "New mission",
    "plan.add": "Add waypoints on the map",
    "plan.addHint": "Adding waypoints: click the map, or press Enter for the map centre. Esc stops.",
    "plan.altDefault": "Altitude of new waypoints (m)",
    "plan.frameDefault": "Altitude frame",
    "plan.frame.AGL": "above ground (AGL)",
    "plan.frame.REL_HOME": "above home",
    "plan.frame.AMSL": "above sea level (AMSL)",
    "plan.items": "Items",
    "plan.item": "{n}. {kind}",
    "plan.kind.takeoff": "take-off",
    "plan.kind.waypoint": "waypoint",
    "plan.kind.loiter": "loiter",
    "plan.kind.orbit": "orbit",
    "plan.kind.land": "land",
    "plan.kind.rtl": "return to launch",
    "plan.kind.camera_trigger_distance": "camera trigger by distance",
    "plan.kind.camera_trigger_time": "camera trigger by time",
    "plan.kind.camera_stop": "camera stop",
    "plan.kind.gimbal_pitch": "gimbal tilt",
    "plan.kind.roi": "region of interest",
    "plan.kind.change_speed": "speed change",
    "plan.kind.do_jump": "jump",
    "plan.kind.other": "other command",
    "plan.itemAlt": "Altitude of item {n} (m)",
    "plan.itemFrame": "Altitude frame of item {n}",
    "plan.itemDelete": "Delete item {n}",
    "plan.delete": "Delete",
    "plan.marker": "Item {n}, {kind}, {alt} m {frame}. Drag or arrow keys move it, Delete removes it",
    "plan.verdict.empty": "No mission being planned",
    "plan.verdict.checking": "Checking…",
    "plan.verdict.legal": "LEGAL: no errors",
    "plan.verdict.illegal": "NOT LEGAL: {errors} error(s)",
    "plan.verdict.warnings": "{warnings} warning(s)",
    "plan.verdict.failed": "Validation unavailable: {reason}",
    "plan.violations": "Violations",
    "plan.sev.ERROR": "Error",
    "plan.sev.WARNING": "Warning",
    "plan.showOnMap": "Show on the map",
    "plan.where.item": "item {n}",
    "plan.where.leg": "leg to item {n}",
    "plan.coverage": "What was checked against what",
    "plan.coverage.none": "Nothing could be checked (the path cannot be built).",
    "plan.coverage.leg": "Leg to item {item}: zones {zones}, border {border}, terrain {terrain}",
    "plan.coverage.sources": "Zone data: {sources}",
    "plan.yes": "complete",
    "plan.no": "MISSING",
    "plan.save": "Save version",
    "plan.upload": "Upload to {id}",
    "plan.uploadNone": "Upload (select a vehicle)",
    "plan.start": "Start mission on {id}",
    "plan.overrideReason": "Override reason (commander, audited)",
    "plan.override": "Upload despite errors (override)",
    "plan.saved": "Saved as version {version}.",
    "plan.uploaded": "Uploaded version {version} to {id}.",
    "plan.started": "Mission started on {id}.",
    "plan.failed": "Failed: {reason}",
    "plan.progress": "{id}: item {current} of {total}",
    "plan.progressLabel": "Mission progress",
    "plan.pattern": "SAR pattern",
    "plan.patternSize": "Track spacing or radius (m)",
    "plan.patternAdd": "Add pattern at the map centre",
    "plan.pattern.expanding_square": "Expanding square",
    "plan.pattern.sector_search": "Sector search",
    "plan.pattern.parallel_track": "Parallel track",
    "plan.patternAdded": "Added {kind}: {n} waypoints.",
    "plan.profile": "Altitude profile over terrain",
    "plan.profileSummary": "Altitude profile over {km} km: {min}–{max} m above ground; ceiling {ceiling} m AGL{above}",
    "plan.profileAbove": ", ABOVE THE CEILING on part of the path",
    "plan.profileUnknown": "Altitude profile: terrain unknown along the path",
    "plan.import": "Import .plan",
    "plan.export": "Export .plan",
    "plan.imported": "Imported as a new mission ({items} items).",
    "plan.startCancelled": "Start cancelled.",
    "plan.uploadCancelled": "Upload cancelled.",
  },
  cs: {
    "plan.heading": "Plánování mise",
    "plan.new": "Nová mise",
    "plan.add": "Přidávat body na mapě",
    "plan.addHint": "Přidávání bodů: klikněte do mapy, nebo Enter pro střed mapy. Esc končí.",
    "plan.altDefault": "Výška nových bodů (m)",
    "plan.frameDefault": "Vztažná výška",
    "plan.frame.AGL": "nad terénem (AGL)",
    "plan.frame.REL_HOME": "nad místem startu",
    "plan.frame.AMSL": "nad mořem (AMSL)",
    "plan.items": "Položky",
    "plan.item": "{n}. {kind}",
    "plan.kind.takeoff": "vzlet",
    "plan.kind.waypoint": "trasový bod",
    "plan.kind.loiter": "vyčkávání",
    "plan.kind.orbit": "kroužení",
    "plan.kind.land": "přistání",
    "plan.kind.rtl": "návrat na start",
    "plan.kind.camera_trigger_distance": "spoušť kamery podle vzdálenosti",
    "plan.kind.camera_trigger_time": "spoušť kamery podle času",
    "plan.kind.camera_stop": "zastavení kamery",
    "plan.kind.gimbal_pitch": "náklon závěsu kamery",
    "plan.kind.roi": "oblast zájmu",
    "plan.kind.change_speed": "změna rychlosti",
    "plan.kind.do_jump": "skok",
    "plan.kind.other": "jiný příkaz",
    "plan.itemAlt": "Výška položky {n} (m)",
    "plan.itemFrame": "Vztažná výška položky {n}",
    "plan.itemDelete": "Smazat položku {n}",
    "plan.delete": "Smazat",
    "plan.marker": "Položka {n}, {kind}, {alt} m {frame}. Tažením nebo šipkami ji posunete, Delete ji smaže",
    "plan.verdict.empty": "Žádná mise se neplánuje",
    "plan.verdict.checking": "Kontroluji…",
    "plan.verdict.legal": "POVOLENO: bez chyb",
    "plan.verdict.illegal": "NEPOVOLENO: chyb {errors}",
    "plan.verdict.warnings": "varování {warnings}",
    "plan.verdict.failed": "Kontrola nedostupná: {reason}",
    "plan.violations": "Porušení",
    "plan.sev.ERROR": "Chyba",
    "plan.sev.WARNING": "Varování",
    "plan.showOnMap": "Ukázat na mapě",
    "plan.where.item": "položka {n}",
    "plan.where.leg": "úsek k položce {n}",
    "plan.coverage": "Co bylo zkontrolováno proti čemu",
    "plan.coverage.none": "Nic nešlo zkontrolovat (trasu nelze sestavit).",
    "plan.coverage.leg": "Úsek k položce {item}: zóny {zones}, hranice {border}, terén {terrain}",
    "plan.coverage.sources": "Data zón: {sources}",
    "plan.yes": "úplná",
    "plan.no": "CHYBÍ",
    "plan.save": "Uložit verzi",
    "plan.upload": "Nahrát do {id}",
    "plan.uploadNone": "Nahrát (vyberte stroj)",
    "plan.start": "Spustit misi na {id}",
    "plan.overrideReason": "Důvod přebití (velitel, auditováno)",
    "plan.override": "Nahrát přes chyby (přebití)",
    "plan.saved": "Uloženo jako verze {version}.",
    "plan.uploaded": "Verze {version} nahrána do {id}.",
    "plan.started": "Mise na {id} spuštěna.",
    "plan.failed": "Selhalo: {reason}",
    "plan.progress": "{id}: položka {current} z {total}",
    "plan.progressLabel": "Průběh mise",
    "plan.pattern": "Pátrací vzor SAR",
    "plan.patternSize": "Rozestup tratí nebo poloměr (m)",
    "plan.patternAdd": "Přidat vzor do středu mapy",
    "plan.pattern.expanding_square": "Rozšiřující se čtverec",
    "plan.pattern.sector_search": "Sektorové pátrání",
    "plan.pattern.parallel_track": "Rovnoběžné tratě",
    "plan.patternAdded": "Přidáno: {kind}, bodů {n}.",
    "plan.profile": "Výškový profil nad terénem",
    "plan.profileSummary": "Výškový profil na {km} km: {min}–{max} m nad terénem; strop {ceiling} m AGL{above}",
    "plan.profileAbove": ", NAD STROPEM na části trasy",
    "plan.profileUnknown": "Výškový profil: terén podél trasy neznámý",
    "plan.import": "Importovat .plan",
    "plan.export": "Exportovat .plan",
    "plan.imported": "Importováno jako nová mise ({items} položek).",
    "plan.startCancelled": "Spuštění zrušeno.",
    "plan.uploadCancelled": "Nahrání zrušeno.",
  },
  pl: {
    "plan.heading": "Planowanie misji",
    "plan.new": "Nowa misja",
    "plan.add": "Dodawaj punkty na mapie",
    "plan.addHint": "Dodawanie punktów: kliknij mapę lub Enter dla środka mapy. Esc kończy.",
    "plan.altDefault": "Wysokość nowych punktów (m)",
    "plan.frameDefault": "Odniesienie wysokości",
    "plan.frame.AGL": "nad terenem (AGL)",
    "plan.frame.REL_HOME": "nad startem",
    "plan.frame.AMSL": "nad poziomem morza (AMSL)",
    "plan.items": "Elementy",
    "plan.item": "{n}. {kind}",
    "plan.kind.takeoff": "start",
    "plan.kind.waypoint": "punkt trasy",
    "plan.kind.loiter": "oczekiwanie",
    "plan.kind.orbit": "krążenie",
    "plan.kind.land": "lądowanie",
    "plan.kind.rtl": "powrót do startu",
    "plan.kind.camera_trigger_distance": "wyzwalanie kamery co odległość",
    "plan.kind.camera_trigger_time": "wyzwalanie kamery co czas",
    "plan.kind.camera_stop": "zatrzymanie kamery",
    "plan.kind.gimbal_pitch": "pochylenie gimbala",
    "plan.kind.roi": "obszar zainteresowania",
    "plan.kind.change_speed": "zmiana prędkości",
    "plan.kind.do_jump": "skok",
    "plan.kind.other": "inne polecenie",
    "plan.itemAlt": "Wysokość elementu {n} (m)",
    "plan.itemFrame": "Odniesienie wysokości elementu {n}",
    "plan.itemDelete": "Usuń element {n}",
    "plan.delete": "Usuń",
    "plan.marker": "Element {n}, {kind}, {alt} m {frame}. Przeciągnij lub strzałki przesuwają, Delete usuwa",
    "plan.verdict.empty": "Brak planowanej misji",
    "plan.verdict.checking": "Sprawdzam…",
    "plan.verdict.legal": "DOZWOLONA: bez błędów",
    "plan.verdict.illegal": "NIEDOZWOLONA: błędów {errors}",
    "plan.verdict.warnings": "ostrzeżeń {warnings}",
    "plan.verdict.failed": "Sprawdzenie niedostępne: {reason}",
    "plan.violations": "Naruszenia",
    "plan.sev.ERROR": "Błąd",
    "plan.sev.WARNING": "Ostrzeżenie",
    "plan.showOnMap": "Pokaż na mapie",
    "plan.where.item": "element {n}",
    "plan.where.leg": "odcinek do elementu {n}",
    "plan.coverage": "Co sprawdzono względem czego",
    "plan.coverage.none": "Nic nie dało się sprawdzić (trasy nie można zbudować).",
    "plan.coverage.leg": "Odcinek do elementu {item}: strefy {zones}, granica {border}, teren {terrain}",
    "plan.coverage.sources": "Dane stref: {sources}",
    "plan.yes": "kompletne",
    "plan.no": "BRAK",
    "plan.save": "Zapisz wersję",
    "plan.upload": "Wyślij do {id}",
    "plan.uploadNone": "Wyślij (wybierz statek)",
    "plan.start": "Rozpocznij misję na {id}",
    "plan.overrideReason": "Powód obejścia (dowódca, audytowane)",
    "plan.override": "Wyślij mimo błędów (obejście)",
    "plan.saved": "Zapisano jako wersję {version}.",
    "plan.uploaded": "Wersję {version} wysłano do {id}.",
    "plan.started": "Misja na {id} rozpoczęta.",
    "plan.failed": "Niepowodzenie: {reason}",
    "plan.progress": "{id}: element {current} z {total}",
    "plan.progressLabel": "Postęp misji",
    "plan.pattern": "Wzór poszukiwań SAR",
    "plan.patternSize": "Odstęp tras lub promień (m)",
    "plan.patternAdd": "Dodaj wzór w środku mapy",
    "plan.pattern.expanding_square": "Rozszerzający się kwadrat",
    "plan.pattern.sector_search": "Przeszukiwanie sektorowe",
    "plan.pattern.parallel_track": "Trasy równoległe",
    "plan.patternAdded": "Dodano: {kind}, punktów {n}.",
    "plan.profile": "Profil wysokości nad terenem",
    "plan.profileSummary": "Profil wysokości na {km} km: {min}–{max} m nad terenem; pułap {ceiling} m AGL{above}",
    "plan.profileAbove": ", POWYŻEJ PUŁAPU na części trasy",
    "plan.profileUnknown": "Profil wysokości: teren wzdłuż trasy nieznany",
    "plan.import": "Importuj .plan",
    "plan.export": "Eksportuj .plan",
    "plan.imported": "Zaimportowano jako nową misję ({items} elementów).",
    "plan.startCancelled": "Rozpoczęcie anulowane.",
    "plan.uploadCancelled": "Wysyłanie anulowane.",
  },
});

export type Item = Record<string, any> & { kind: string };
export interface Draft {
  name: string;
  items: Item[];
  home: { lon: number; lat: number; alt_amsl_m?: number | null };
  [key: string]: any;
}
interface Violation {
  rule_id: string;
  severity: "ERROR" | "WARNING";
  item_index: number | null;
  leg_index: number | null;
  lon: number | null;
  lat: number | null;
  zone_id: string | null;
  zone_name: string | null;
  message: string;
  messages: Record<string, string>;
}
interface CheckResult {
  ok: boolean;
  violations: Violation[];
  checked: { path_items: number[]; legs: any[]; zone_sources: string[] } | null;
}

export interface PlannerHost {
  /** The vehicle the HUD has selected, with its position if known. */
  vehicle(): { id: string; lon?: number; lat?: number; missionCurrent?: number | null; missionTotal?: number | null } | null;
  can(permission: string): boolean;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const hasPosition = (item: Item) => typeof item.lon === "number" && typeof item.lat === "number";

export function errorText(body: any, status: number): string {
  const detail = body?.detail;
  if (typeof detail === "string") return detail;
  if (detail?.message) return detail.message;
  if (Array.isArray(detail)) return detail.map((d: any) => d.msg).join("; ");
  return `HTTP ${status}`;
}

export class Planner {
  draft: Draft | null = null;
  missionId: string | null = null;
  savedVersion: number | null = null;
  dirty = false;
  result: CheckResult | null = null;
  failure: string | null = null;
  checking = false;
  adding = false;
  uploadedTo: string | null = null;
  private seq = 0;
  private checkInFlight = false;
  private routeTimer: number | undefined = undefined;
  private releaseRedraws: () => void = () => undefined;
  private checkDeferred = false;
  private markers: maplibregl.Marker[] = [];
  private status: { key: string; params: Record<string, string | number> } | null = null;
  private missionListeners: Array<() => void> = [];

  constructor(
    private readonly map: maplibregl.Map,
    private readonly host: PlannerHost,
  ) {
    (window as any).borderwatchPlanner = this; // for the browser tests
    // Route and violations share one source: an edit then costs one map repaint, not one per source (each
    // repaint took ~0.2 s in software WebGL, bench/bench_planner.py). Features carry part: route | violation.
    map.addSource("plan", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    const part = (name: string): maplibregl.ExpressionSpecification => ["==", ["get", "part"], name];
    map.addLayer({ id: "plan-route", type: "line", source: "plan", filter: part("route"), paint: { "line-color": "#0050d0", "line-width": 3 } });
    map.addLayer({
      id: "plan-violations-line",
      type: "line",
      source: "plan",
      filter: ["all", part("violation"), ["==", ["geometry-type"], "LineString"]],
      paint: {
        "line-color": ["case", ["==", ["get", "severity"], "ERROR"], "#e00000", "#ff9900"],
        "line-width": 6,
        "line-opacity": 0.85,
      },
    });
    map.addLayer({
      id: "plan-violations-point",
      type: "circle",
      source: "plan",
      filter: ["all", part("violation"), ["==", ["geometry-type"], "Point"]],
      paint: {
        "circle-radius": 9,
        "circle-color": ["case", ["==", ["get", "severity"], "ERROR"], "#e00000", "#ff9900"],
        "circle-stroke-color": "#000",
        "circle-stroke-width": 2,
      },
    });
    this.setupFrames($("plan-frame"), "AGL");
    this.setupPatterns();
    $("plan-pattern-add").addEventListener("click", () => void this.addPattern());
    $("plan-new").addEventListener("click", () => this.newMission());
    $("plan-add").addEventListener("click", () => this.setAdding(!this.adding));
    $("plan-save").addEventListener("click", () => void this.save().catch((e) => this.fail(e)));
    $("plan-upload").addEventListener("click", () => void this.upload(false));
    $("plan-override").addEventListener("click", () => void this.upload(true));
    $("plan-override-reason").addEventListener("input", () => this.renderButtons());
    $("plan-start").addEventListener("click", () => void this.start());
    $("plan-export").addEventListener("click", () => void this.exportPlan());
    $<HTMLInputElement>("plan-import").addEventListener("change", (event) => {
      const file = (event.target as HTMLInputElement).files?.[0];
      if (file) void this.importPlan(file);
    });
    map.on("click", (event) => {
      if (this.adding) this.addWaypoint(event.lngLat.lng, event.lngLat.lat);
    });
    document.addEventListener("keydown", (event) => {
      if (!this.adding) return;
      if (event.key === "Escape") {
        event.preventDefault();
        this.setAdding(false);
      } else if (event.key === "Enter" && map.getContainer().contains(document.activeElement)) {
        event.preventDefault();
        const c = map.getCenter();
        this.addWaypoint(c.lng, c.lat);
      }
    });
    this.render();
  }

  private setupFrames(select: HTMLSelectElement, value: string): void {
    select.replaceChildren(
      ...FRAMES.map((frame) => Object.assign(document.createElement("option"), { value: frame, textContent: t(`plan.frame.${frame}`) })),
    );
    select.value = value;
  }

  private setupPatterns(): void {
    const select = $<HTMLSelectElement>("plan-pattern");
    const value = select.value || PATTERNS[0];
    select.replaceChildren(
      ...PATTERNS.map((kind) => Object.assign(document.createElement("option"), { value: kind, textContent: t(`plan.pattern.${kind}`) })),
    );
    select.value = value;
  }

  /** An IAMSAR pattern from the service around the map centre, at the altitude and frame of new waypoints. */
  async addPattern(): Promise<void> {
    if (!this.draft) this.newMission();
    const kind = $<HTMLSelectElement>("plan-pattern").value;
    const centre = this.map.getCenter();
    const query = new URLSearchParams({
      kind,
      lon: centre.lng.toFixed(7),
      lat: centre.lat.toFixed(7),
      size_m: $<HTMLInputElement>("plan-pattern-size").value || "100",
      alt_m: $<HTMLInputElement>("plan-alt").value || "50",
      frame: $<HTMLSelectElement>("plan-frame").value,
    });
    try {
      const response = await api(`/api/patterns/sar?${query}`);
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(errorText(body, response.status));
      const items = this.draft!.items;
      let at = items.length;
      while (at > 0 && ["rtl", "land"].includes(items[at - 1].kind)) at--;
      items.splice(at, 0, ...(body.items as Item[]));
      this.changed(true);
      this.say("plan.patternAdded", { kind: t(`plan.pattern.${kind}`), n: body.items.length });
    } catch (error) {
      this.fail(error);
    }
  }

  /** Called whenever the mission or its saved version changes (new, saved, imported, loaded). */
  onMissionChange(listener: () => void): void {
    this.missionListeners.push(listener);
  }

  private missionChanged(): void {
    for (const listener of this.missionListeners) listener();
  }

  /** Items from a pattern generator, inserted before the final return or landing, then validated. */
  insertItems(newItems: Item[]): void {
    if (!this.draft) this.newMission();
    const items = this.draft!.items;
    let at = items.length;
    while (at > 0 && ["rtl", "land"].includes(items[at - 1].kind)) at--;
    items.splice(at, 0, ...newItems);
    this.changed(true);
  }

  /** A stored mission version (from an import or the version list) becomes the draft being edited. */
  load(body: { mission: Draft; mission_id: string; version: number }, key: string, params: Record<string, string | number> = {}): void {
    this.setAdding(false);
    this.draft = body.mission;
    this.missionId = body.mission_id;
    this.savedVersion = body.version;
    this.uploadedTo = null;
    this.changed(true);
    this.dirty = false;
    this.say(key, { items: this.draft.items.length, version: body.version, ...params });
    const coords = this.coords();
    if (coords.length) {
      const bounds = coords.reduce((b, c) => b.extend(c), new maplibregl.LngLatBounds(coords[0], coords[0]));
      this.map.fitBounds(bounds, { padding: 80, maxZoom: 15, animate: false });
    }
    this.missionChanged();
  }

  // ------------------------------------------------------------ editing

  newMission(): void {
    const v = this.host.vehicle();
    const centre = this.map.getCenter();
    const lon = v?.lon ?? centre.lng;
    const lat = v?.lat ?? centre.lat;
    const alt = Number($<HTMLInputElement>("plan-alt").value) || 50;
    const frame = $<HTMLSelectElement>("plan-frame").value;
    this.draft = {
      name: `mission ${new Date().toISOString().slice(0, 16).replace("T", " ")}`,
      home: { lon, lat },
      items: [{ kind: "takeoff", lon, lat, alt_m: alt, alt_frame: frame }, { kind: "rtl" }],
    };
    this.missionId = null;
    this.savedVersion = null;
    this.uploadedTo = null;
    this.status = null;
    this.changed(true);
    this.setAdding(true);
    this.missionChanged();
  }

  setAdding(on: boolean): void {
    if (on && !this.draft) this.newMission();
    this.adding = on && !!this.draft;
    $("plan-add").setAttribute("aria-pressed", String(this.adding));
    $("plan-add-hint").hidden = !this.adding;
    if (this.adding) this.map.getCanvas().focus();
  }

  addWaypoint(lon: number, lat: number): void {
    if (!this.draft) return;
    const items = this.draft.items;
    let at = items.length;
    while (at > 0 && ["rtl", "land"].includes(items[at - 1].kind)) at--;
    const alt = Number($<HTMLInputElement>("plan-alt").value) || 50;
    items.splice(at, 0, { kind: "waypoint", lon, lat, alt_m: alt, alt_frame: $<HTMLSelectElement>("plan-frame").value });
    this.changed(true);
  }

  deleteItem(index: number): void {
    if (!this.draft) return;
    this.draft.items.splice(index, 1);
    this.changed(true);
  }

  moveItem(index: number, lon: number, lat: number, structural = false, check = true): void {
    const item = this.draft?.items[index];
    if (!item) return;
    item.lon = lon;
    item.lat = lat;
    if (item.kind === "takeoff" && index === 0 && this.draft) this.draft.home = { ...this.draft.home, lon, lat };
    this.changed(structural, check);
  }

  /** Every edit ends here: redraw, mark unsaved, and validate again (``check`` false only while a marker is
   * being dragged: the drop is checked; each check also leaves an audit row). */
  changed(structural: boolean, check = true): void {
    this.dirty = true;
    this.result = null;
    this.failure = null;
    if (structural) {
      this.renderItems();
      this.renderMarkers();
    }
    const checkingNow = check && !!this.draft && !this.checkInFlight;
    this.scheduleCheck(check);
    if (checkingNow) {
      // The check started at once: the map keeps the last drawn route and violations until the new
      // route is drawn together with its verdict, one repaint instead of two (each blocks the page on
      // software WebGL); the markers have moved already. A slow verdict does not hold the route back.
      this.routeLate(ROUTE_WITHOUT_VERDICT_MS);
    } else {
      this.drawPlan(); // the new route, no violations until the check: one repaint
    }
    this.render();
  }

  /** Draws the route (without the older draft's violations) if no verdict came within ``ms``. */
  private routeLate(ms: number): void {
    const mine = this.seq;
    window.clearTimeout(this.routeTimer);
    this.routeTimer = window.setTimeout(() => {
      if (mine === this.seq && this.checking) this.drawPlan();
    }, ms);
  }

  // ------------------------------------------------------------ validation

  /**
   * The first edit after a pause is checked at once (a fixed debounce would add its whole delay to every
   * verdict); edits made while a check runs are coalesced into one follow-up check of the newest draft,
   * so quick edits are checked at the service's pace (~0.2 s for 1,000 items). ``now`` is false while a
   * marker is dragged: the draft is "checking" until the drop is checked (each check writes an audit row).
   */
  private scheduleCheck(now: boolean): void {
    this.seq++; // a check still in flight is for an older draft now
    this.checking = !!this.draft;
    this.checkDeferred = !now;
    if (now && this.draft && !this.checkInFlight) void this.check();
  }

  private async check(): Promise<void> {
    if (!this.draft) return;
    const mine = this.seq;
    this.checkInFlight = true;
    this.releaseRedraws();
    this.releaseRedraws = holdDeferrableRedraws(); // trails wait until this verdict is drawn
    let result: CheckResult | null = null;
    let failure: string | null = null;
    try {
      const response = await postJson("/api/missions/check", this.draft);
      const body = await response.json().catch(() => ({}));
      if (response.ok) result = body as CheckResult;
      else failure = errorText(body, response.status);
    } catch (error) {
      failure = String(error);
    } finally {
      this.checkInFlight = false;
    }
    if (mine !== this.seq) {
      // edits came meanwhile: check the newest draft (nothing if it was cleared; later if a drag goes on)
      if (!this.checkDeferred) void this.check();
      return;
    }
    this.result = result;
    this.failure = failure;
    this.checking = false;
    window.clearTimeout(this.routeTimer);
    this.drawPlan();
    this.render();
    requestAnimationFrame(() => requestAnimationFrame(() => this.releaseRedraws()));
    // the terrain profile after the verdict: both in the service at once would slow the verdict down
    void this.profile(mine);
  }

  // ------------------------------------------------------------ altitude profile

  /** Terrain along the path from the service; planned heights resolved per frame and drawn with the ceiling. */
  private async profile(mine: number): Promise<void> {
    const svg = $("plan-profile") as unknown as SVGSVGElement;
    const draft = this.draft;
    const items = (draft?.items ?? []).filter(hasPosition);
    if (!draft || items.length < 2) {
      svg.replaceChildren();
      svg.removeAttribute("data-max-agl");
      return;
    }
    const path = items.map((i) => `${i.lon.toFixed(7)},${i.lat.toFixed(7)}`).join(";");
    const response = await api(`/api/terrain/profile?path=${encodeURIComponent(path)}&spacing_m=20`);
    if (mine !== this.seq || !response.ok) return;
    const body = await response.json();
    const ground: (number | null)[] = body.elevation_amsl_m;
    const dist: number[] = body.distance_m;
    const vertex: number[] = body.vertex_index;
    const homeGround = draft.home.alt_amsl_m ?? ground[vertex[0]];
    const planned = new Array<number | null>(dist.length).fill(null);
    const vertexAlt = items.map((item, k) => {
      const g = ground[vertex[k]];
      if (item.alt_frame === "AMSL") return item.alt_m as number;
      if (item.alt_frame === "AGL") return g === null ? null : g + item.alt_m;
      return homeGround === null || homeGround === undefined ? null : homeGround + item.alt_m;
    });
    for (let k = 0; k + 1 < items.length; k++) {
      const [a, b] = [vertex[k], vertex[k + 1]];
      const [za, zb] = [vertexAlt[k], vertexAlt[k + 1]];
      for (let j = a; j <= b; j++) {
        const f = b > a ? (dist[j] - dist[a]) / (dist[b] - dist[a]) : 0;
        planned[j] = za === null || zb === null ? null : za + (zb - za) * f;
      }
    }
    const agl = planned.map((z, j) => (z === null || ground[j] === null ? null : z - (ground[j] as number)));
    const known = agl.filter((v): v is number => v !== null);
    svg.replaceChildren();
    if (!known.length) {
      svg.setAttribute("aria-label", t("plan.profileUnknown"));
      svg.removeAttribute("data-max-agl");
      return;
    }
    const maxAgl = Math.max(...known);
    const minAgl = Math.min(...known);
    const above = maxAgl > CEILING_AGL_M + 0.5;
    svg.dataset.maxAgl = maxAgl.toFixed(1);
    svg.dataset.aboveCeiling = String(above);
    svg.setAttribute(
      "aria-label",
      t("plan.profileSummary", {
        km: formatNumber(dist[dist.length - 1] / 1000, 2),
        min: formatNumber(minAgl),
        max: formatNumber(maxAgl),
        ceiling: CEILING_AGL_M,
        above: above ? t("plan.profileAbove") : "",
      }),
    );
    const W = 360;
    const H = 150;
    const values = [...ground, ...planned].filter((v): v is number => v !== null);
    const lo = Math.min(...values) - 10;
    const hi = Math.max(Math.max(...values), Math.max(...(ground.filter((g) => g !== null) as number[])) + CEILING_AGL_M) + 10;
    const x = (d: number) => (d / Math.max(dist[dist.length - 1], 1)) * (W - 4) + 2;
    const y = (z: number) => H - 2 - ((z - lo) / (hi - lo)) * (H - 4);
    const line = (zs: (number | null)[], cls: string) => {
      const el = document.createElementNS(SVG_NS, "polyline");
      el.setAttribute("points", zs.map((z, j) => (z === null ? "" : `${x(dist[j]).toFixed(1)},${y(z).toFixed(1)}`)).join(" "));
      el.setAttribute("class", cls);
      svg.append(el);
    };
    const terrain = document.createElementNS(SVG_NS, "polygon");
    terrain.setAttribute(
      "points",
      [`2,${H}`, ...ground.map((g, j) => (g === null ? "" : `${x(dist[j]).toFixed(1)},${y(g).toFixed(1)}`)), `${W - 2},${H}`].join(" "),
    );
    terrain.setAttribute("class", "profile-terrain");
    svg.append(terrain);
    line(ground.map((g) => (g === null ? null : g + CEILING_AGL_M)), "profile-ceiling");
    line(planned, "profile-planned");
    agl.forEach((v, j) => {
      if (v === null || v <= CEILING_AGL_M + 0.5) return;
      const dot = document.createElementNS(SVG_NS, "circle");
      dot.setAttribute("cx", x(dist[j]).toFixed(1));
      dot.setAttribute("cy", y(planned[j] as number).toFixed(1));
      dot.setAttribute("r", "2.5");
      dot.setAttribute("class", "profile-above");
      svg.append(dot);
    });
  }

  // ------------------------------------------------------------ drawing

  private coords(): [number, number][] {
    const items = this.draft?.items ?? [];
    return items.filter(hasPosition).map((i) => [i.lon, i.lat]);
  }

  /** The route and the current result's violations, in one setData (one repaint). */
  private drawPlan(): void {
    const coords = this.coords();
    const route: GeoJSON.Feature[] =
      coords.length > 1
        ? [{ type: "Feature", properties: { part: "route" }, geometry: { type: "LineString", coordinates: coords } }]
        : [];
    const features = [...route, ...this.violationFeatures()];
    (this.map.getSource("plan") as maplibregl.GeoJSONSource).setData({ type: "FeatureCollection", features });
  }

  /** The segment a leg violation is about: from the path vertex before the leg's item to that item. */
  private legGeometry(v: Violation): [number, number][] | null {
    if (!this.draft || v.leg_index === null) return null;
    const items = this.draft.items;
    const leg = this.result?.checked?.legs.find((l: any) => l.leg_index === v.leg_index);
    const target = leg ? leg.item_index : v.item_index;
    if (target === null || target === undefined || !items[target] || !hasPosition(items[target])) return null;
    const path = (this.result?.checked?.path_items ?? items.map((_, i) => i).filter((i) => hasPosition(items[i]))).filter(
      (i) => items[i] && hasPosition(items[i]),
    );
    const before = path.filter((i) => i < target).pop();
    const from = before === undefined ? [this.draft.home.lon, this.draft.home.lat] : [items[before].lon, items[before].lat];
    return [from as [number, number], [items[target].lon, items[target].lat]];
  }

  private violationFeatures(): GeoJSON.Feature[] {
    const features: GeoJSON.Feature[] = [];
    (this.result?.violations ?? []).forEach((v, index) => {
      const properties = { part: "violation", index, severity: v.severity, rule: v.rule_id };
      const leg = this.legGeometry(v);
      if (leg) features.push({ type: "Feature", properties, geometry: { type: "LineString", coordinates: leg } });
      const point = this.violationPoint(v);
      if (point) features.push({ type: "Feature", properties, geometry: { type: "Point", coordinates: point } });
    });
    return features;
  }

  private violationPoint(v: Violation): [number, number] | null {
    if (v.lon !== null && v.lat !== null) return [v.lon, v.lat];
    const item = v.item_index !== null ? this.draft?.items[v.item_index] : undefined;
    return item && hasPosition(item) ? [item.lon, item.lat] : null;
  }

  private markerLabel(item: Item, index: number): string {
    return t("plan.marker", {
      n: index + 1,
      kind: t(`plan.kind.${item.kind}`),
      alt: item.alt_m === undefined ? "—" : formatNumber(item.alt_m),
      frame: item.alt_frame ?? "",
    });
  }

  private renderMarkers(): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.planIndex;
    for (const marker of this.markers) marker.remove();
    this.markers = [];
    this.draft?.items.forEach((item, index) => {
      if (!hasPosition(item)) return;
      const el = document.createElement("button");
      el.type = "button";
      el.className = `plan-marker kind-${item.kind}`;
      el.dataset.planIndex = String(index);
      el.textContent = String(index + 1);
      el.setAttribute("aria-label", this.markerLabel(item, index));
      const marker = new maplibregl.Marker({ element: el, draggable: true }).setLngLat([item.lon, item.lat]).addTo(this.map);
      marker.on("drag", () => {
        const p = marker.getLngLat();
        this.moveItem(index, p.lng, p.lat, false, false);
      });
      marker.on("dragend", () => {
        const p = marker.getLngLat();
        this.moveItem(index, p.lng, p.lat);
      });
      el.addEventListener("click", (event) => event.stopPropagation());
      el.addEventListener("keydown", (event) => {
        const step = (event.shiftKey ? 5 : 1) * KEY_STEP_M;
        const dLat = step / 110_540;
        const dLon = step / (111_320 * Math.cos((item.lat * Math.PI) / 180));
        const moves: Record<string, [number, number]> = {
          ArrowUp: [0, dLat],
          ArrowDown: [0, -dLat],
          ArrowLeft: [-dLon, 0],
          ArrowRight: [dLon, 0],
        };
        if (event.key in moves) {
          event.preventDefault();
          event.stopPropagation();
          const [dx, dy] = moves[event.key];
          marker.setLngLat([item.lon + dx, item.lat + dy]);
          this.moveItem(index, item.lon + dx, item.lat + dy);
        } else if (event.key === "Delete" || event.key === "Backspace") {
          event.preventDefault();
          event.stopPropagation();
          this.deleteItem(index);
        }
      });
      this.markers.push(marker);
      if (focused === String(index)) el.focus();
    });
  }

  // ------------------------------------------------------------ panel

  private renderItems(): void {
    const list = $("plan-items");
    list.replaceChildren(
      ...(this.draft?.items ?? []).map((item, index) => {
        const n = index + 1;
        const li = document.createElement("li");
        li.dataset.planIndex = String(index);
        const name = document.createElement("span");
        name.className = "plan-item-name";
        name.textContent = t("plan.item", { n, kind: t(`plan.kind.${item.kind}`) });
        li.append(name);
        if (hasPosition(item) && item.alt_m !== undefined) {
          const alt = document.createElement("input");
          alt.type = "number";
          alt.step = "1";
          alt.className = "plan-item-alt";
          alt.value = String(item.alt_m);
          alt.setAttribute("aria-label", t("plan.itemAlt", { n }));
          alt.addEventListener("change", () => {
            const value = Number(alt.value);
            if (!Number.isFinite(value)) return;
            item.alt_m = value;
            this.refreshMarkerLabels();
            this.changed(false);
          });
          const frame = document.createElement("select");
          frame.className = "plan-item-frame";
          frame.setAttribute("aria-label", t("plan.itemFrame", { n }));
          this.setupFrames(frame, item.alt_frame ?? "REL_HOME");
          frame.addEventListener("change", () => {
            item.alt_frame = frame.value;
            this.refreshMarkerLabels();
            this.changed(false);
          });
          li.append(alt, frame);
        }
        if (index > 0 || item.kind !== "takeoff") {
          const del = document.createElement("button");
          del.type = "button";
          del.className = "plan-item-delete";
          del.textContent = t("plan.delete");
          del.setAttribute("aria-label", t("plan.itemDelete", { n }));
          del.addEventListener("click", () => this.deleteItem(index));
          li.append(del);
        }
        return li;
      }),
    );
  }

  private refreshMarkerLabels(): void {
    for (const marker of this.markers) {
      const el = marker.getElement();
      const index = Number(el.dataset.planIndex);
      const item = this.draft?.items[index];
      if (item) el.setAttribute("aria-label", this.markerLabel(item, index));
    }
  }

  verdict(): string {
    if (!this.draft) return "empty";
    if (this.checking) return "checking";
    if (this.failure) return "failed";
    if (!this.result) return "checking";
    return this.result.ok ? "legal" : "illegal";
  }

  render(): void {
    const el = $("plan-verdict");
    const verdict = this.verdict();
    el.hidden = verdict === "empty";
    el.dataset.verdict = verdict;
    const errors = this.result?.violations.filter((v) => v.severity === "ERROR").length ?? 0;
    const warnings = (this.result?.violations.length ?? 0) - errors;
    let text = t(`plan.verdict.${verdict}`, { errors, reason: this.failure ?? "" });
    if (warnings && (verdict === "legal" || verdict === "illegal")) text += ` · ${t("plan.verdict.warnings", { warnings })}`;
    el.textContent = text;
    this.renderViolations();
    this.renderCoverage();
    this.renderButtons();
    this.renderStatus();
    this.renderProgress();
  }

  private renderViolations(): void {
    const list = $("plan-violations");
    const violations = this.result?.violations ?? [];
    list.hidden = !violations.length;
    list.replaceChildren(
      ...violations.map((v, index) => {
        const li = document.createElement("li");
        li.className = `plan-violation sev-${v.severity}`;
        li.dataset.rule = v.rule_id;
        li.dataset.severity = v.severity;
        const head = document.createElement("strong");
        const where =
          v.leg_index !== null && this.legGeometry(v)
            ? t("plan.where.leg", { n: (this.result?.checked?.legs.find((l: any) => l.leg_index === v.leg_index)?.item_index ?? v.item_index ?? 0) + 1 })
            : v.item_index !== null
              ? t("plan.where.item", { n: v.item_index + 1 })
              : "";
        head.textContent = `${t(`plan.sev.${v.severity}`)}${where ? ` · ${where}` : ""}`;
        const text = document.createElement("p");
        text.className = "plan-violation-text";
        text.lang = lang();
        text.textContent = v.messages?.[lang()] ?? v.message;
        li.append(head, text);
        const point = this.violationPoint(v) ?? this.legGeometry(v)?.[1];
        if (point) {
          const show = document.createElement("button");
          show.type = "button";
          show.textContent = t("plan.showOnMap");
          show.setAttribute("aria-label", `${t("plan.showOnMap")}: ${t(`plan.sev.${v.severity}`)} ${index + 1}`);
          show.addEventListener("click", () => this.map.flyTo({ center: point, zoom: Math.max(this.map.getZoom(), 13) }));
          li.append(show);
        }
        return li;
      }),
    );
  }

  private renderCoverage(): void {
    const body = $("plan-coverage-body");
    const checked = this.result?.checked;
    $("plan-coverage").hidden = !this.result;
    if (!this.result) return;
    if (!checked) {
      body.textContent = t("plan.coverage.none");
      return;
    }
    const yes = (ok: boolean) => (ok ? t("plan.yes") : t("plan.no"));
    const lines = checked.legs.map((leg: any) =>
      t("plan.coverage.leg", { item: leg.item_index + 1, zones: yes(leg.zones), border: yes(leg.border), terrain: leg.terrain }),
    );
    lines.push(t("plan.coverage.sources", { sources: checked.zone_sources.join(", ") || "—" }));
    body.replaceChildren(...lines.map((line) => Object.assign(document.createElement("p"), { textContent: line })));
  }

  renderButtons(): void {
    const v = this.host.vehicle();
    const legal = this.verdict() === "legal";
    const upload = $<HTMLButtonElement>("plan-upload");
    upload.textContent = v ? t("plan.upload", { id: v.id }) : t("plan.uploadNone");
    upload.disabled = !v || !legal || !this.host.can("upload_missions");
    $<HTMLButtonElement>("plan-save").disabled = !this.draft || !this.host.can("edit_missions");
    $<HTMLButtonElement>("plan-export").disabled = !this.draft;
    const start = $<HTMLButtonElement>("plan-start");
    start.textContent = t("plan.start", { id: v?.id ?? "—" });
    start.disabled = !v || this.uploadedTo !== v.id || !this.host.can("command_vehicles");
    const overrideBox = $("plan-override-box");
    overrideBox.hidden = !(this.verdict() === "illegal" && this.host.can("override_validation") && v);
    const reason = $<HTMLInputElement>("plan-override-reason").value.trim();
    $<HTMLButtonElement>("plan-override").disabled = reason.length < 10;
  }

  private renderStatus(): void {
    const el = $("plan-status");
    el.textContent = this.status ? t(this.status.key, this.status.params) : "";
    el.dataset.key = this.status?.key ?? "";
  }

  renderProgress(): void {
    const el = $("plan-progress");
    const v = this.host.vehicle();
    if (!v || this.uploadedTo !== v.id || !v.missionTotal) {
      el.textContent = "";
      return;
    }
    const current = (v.missionCurrent ?? 0) + 1;
    el.dataset.current = String(v.missionCurrent ?? 0);
    el.dataset.total = String(v.missionTotal);
    el.textContent = t("plan.progress", { id: v.id, current, total: v.missionTotal });
    const meter = $<HTMLProgressElement>("plan-progress-bar");
    meter.max = v.missionTotal;
    meter.value = Math.min(current, v.missionTotal);
  }

  say(key: string, params: Record<string, string | number> = {}): void {
    this.status = { key, params };
    this.renderStatus();
  }

  fail(error: unknown): void {
    this.say("plan.failed", { reason: error instanceof Error ? error.message : String(error) });
  }

  // ------------------------------------------------------------ service

  /** Saves the draft as a new mission or a new version of it; no-op when nothing changed. */
  async save(): Promise<void> {
    if (!this.draft) return;
    if (!this.dirty && this.missionId) return;
    const response = this.missionId
      ? await api(`/api/missions/${this.missionId}`, {
          method: "PUT",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(this.draft),
        })
      : await postJson("/api/missions", this.draft);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(errorText(body, response.status));
    this.missionId = body.mission_id;
    this.savedVersion = body.version;
    this.dirty = false;
    this.say("plan.saved", { version: body.version });
    this.missionChanged();
  }

  async upload(override: boolean): Promise<void> {
    const v = this.host.vehicle();
    if (!v || !this.draft) return;
    const reason = $<HTMLInputElement>("plan-override-reason").value.trim();
    if (override && !(await this.confirm("override", v.id, reason))) {
      this.say("plan.uploadCancelled");
      return;
    }
    try {
      await this.save();
      const request: Record<string, unknown> = { mission_id: this.missionId, version: this.savedVersion };
      if (override) request.override_reason = reason;
      const response = await postJson(`/api/vehicles/${encodeURIComponent(v.id)}/mission`, request);
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(errorText(body, response.status));
      this.uploadedTo = v.id;
      this.say("plan.uploaded", { version: body.version, id: v.id });
    } catch (error) {
      this.fail(error);
    }
    this.renderButtons();
  }

  /** The pilot sees what is about to fly where, and must confirm it. */
  private confirm(action: "start" | "override", vehicle: string, reason?: string): Promise<boolean> {
    const errors = this.result?.violations.filter((x) => x.severity === "ERROR").length ?? 0;
    return confirmMission({
      action,
      name: this.draft?.name ?? "—",
      items: this.draft?.items.length ?? 0,
      version: this.savedVersion,
      verdict: this.verdict(),
      verdictText: $("plan-verdict").textContent ?? "",
      errors,
      vehicle,
      reason,
    });
  }

  async start(): Promise<void> {
    const v = this.host.vehicle();
    if (!v) return;
    if (!(await this.confirm("start", v.id))) {
      this.say("plan.startCancelled");
      return;
    }
    for (const path of ["arm", "mission/start"]) {
      const response = await postJson(`/api/vehicles/${encodeURIComponent(v.id)}/${path}`, {});
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        this.fail(body.reason ?? errorText(body, response.status));
        return;
      }
    }
    this.say("plan.started", { id: v.id });
  }

  async importPlan(file: File): Promise<void> {
    try {
      const response = await api("/api/missions/plan", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: await file.text(),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const problems = (body.detail?.problems ?? []).map((p: any) => `${p.location}: ${p.message}`).join("; ");
        throw new Error(problems || errorText(body, response.status));
      }
      this.load(body, "plan.imported");
    } catch (error) {
      this.fail(error);
    }
  }

  async exportPlan(): Promise<void> {
    try {
      await this.save();
      const response = await api(`/api/missions/${this.missionId}/plan?version=${this.savedVersion}`);
      if (!response.ok) throw new Error(errorText(await response.json().catch(() => ({})), response.status));
      const blob = await response.blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `${(this.draft?.name || "mission").replace(/[^\w.-]+/g, "_")}.plan`;
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Language changed: everything with words is drawn again. */
  relabel(): void {
    this.setupPatterns();
    this.setupFrames($("plan-frame"), $<HTMLSelectElement>("plan-frame").value);
    this.renderItems();
    this.refreshMarkerLabels();
    this.render();
  }
}
