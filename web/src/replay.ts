// The commander's look back: flights from the store, one replayed on the map with a time slider, and the
// audit trail (for roles that may read it).
import maplibregl from "maplibre-gl";
import { apiJson } from "./api";
import { addStrings, formatNumber, t, timeElement } from "./i18n";

addStrings({
  en: {
    "replay.heading": "Flights",
    "replay.refresh": "Refresh flights",
    "replay.none": "No flights recorded yet.",
    "replay.flight": "Replay {vehicle}, {start} – {end}",
    "replay.inAir": "still flying",
    "replay.slider": "Replay time",
    "replay.play": "Play",
    "replay.pause": "Pause",
    "replay.at": "{time} UTC · {alt} m AMSL · {rel} m above home · point {n} of {total}",
    "replay.empty": "This flight has no track.",
    "replay.marker": "Replayed position of {vehicle}",
    "audit.heading": "Audit trail",
    "audit.refresh": "Refresh audit trail",
    "audit.drafts": "Show the planner's draft checks",
    "audit.entry": "{actor}: {action} {target}",
  },
  cs: {
    "replay.heading": "Lety",
    "replay.refresh": "Obnovit lety",
    "replay.none": "Zatím žádné zaznamenané lety.",
    "replay.flight": "Přehrát {vehicle}, {start} – {end}",
    "replay.inAir": "stále letí",
    "replay.slider": "Čas přehrávání",
    "replay.play": "Přehrát",
    "replay.pause": "Pozastavit",
    "replay.at": "{time} UTC · {alt} m n. m. · {rel} m nad startem · bod {n} z {total}",
    "replay.empty": "Tento let nemá záznam trasy.",
    "replay.marker": "Přehrávaná poloha {vehicle}",
    "audit.heading": "Auditní záznam",
    "audit.refresh": "Obnovit auditní záznam",
    "audit.drafts": "Zobrazit průběžné kontroly rozpracovaných misí",
    "audit.entry": "{actor}: {action} {target}",
  },
  pl: {
    "replay.heading": "Loty",
    "replay.refresh": "Odśwież loty",
    "replay.none": "Brak zapisanych lotów.",
    "replay.flight": "Odtwórz {vehicle}, {start} – {end}",
    "replay.inAir": "nadal w locie",
    "replay.slider": "Czas odtwarzania",
    "replay.play": "Odtwórz",
    "replay.pause": "Wstrzymaj",
    "replay.at": "{time} UTC · {alt} m n.p.m. · {rel} m nad startem · punkt {n} z {total}",
    "replay.empty": "Ten lot nie ma zapisanej trasy.",
    "replay.marker": "Odtwarzana pozycja {vehicle}",
    "audit.heading": "Dziennik audytu",
    "audit.refresh": "Odśwież dziennik audytu",
    "audit.drafts": "Pokaż bieżące sprawdzenia szkiców misji",
    "audit.entry": "{actor}: {action} {target}",
  },
});

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const FLIGHTS_REFRESH_MS = 5000;
const PLAY_SECONDS = 20; // a whole flight plays in this long

interface Track {
  vehicle: string;
  coords: [number, number, number][];
  times: number[];
  rel: (number | null)[];
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export class Replay {
  flights: any[] = [];
  track: Track | null = null;
  private marker: maplibregl.Marker | null = null;
  private playing: number | undefined;

  constructor(
    private readonly map: maplibregl.Map,
    private readonly can: (permission: string) => boolean,
  ) {
    (window as any).borderwatchReplay = this;
    map.addSource("replay-track", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({
      id: "replay-track",
      type: "line",
      source: "replay-track",
      paint: { "line-color": "#7a0177", "line-width": 3, "line-dasharray": [2, 1] },
    });
    $("replay-refresh").addEventListener("click", () => void this.load());
    $("audit-refresh").addEventListener("click", () => void this.loadAudit());
    $("audit-drafts").addEventListener("change", () => void this.loadAudit());
    const slider = $<HTMLInputElement>("replay-slider");
    slider.addEventListener("input", () => this.show(Number(slider.value)));
    $("replay-play").addEventListener("click", () => this.togglePlay());
    $("flights").hidden = !can("view_flights");
    $("audit").hidden = !can("view_audit");
    void this.load();
    void this.loadAudit();
    // the store's flights, followed: a flight that lands shows up as finished without a reload
    window.setInterval(() => void this.load().catch(() => undefined), FLIGHTS_REFRESH_MS);
  }

  async load(): Promise<void> {
    if (!this.can("view_flights")) return;
    const flights = await apiJson<any[]>("/api/flights?limit=20");
    if (JSON.stringify(flights) === JSON.stringify(this.flights) && $("flight-list").childElementCount) return;
    this.flights = flights;
    this.renderFlights();
  }

  private renderFlights(): void {
    const list = $("flight-list");
    if (!this.flights.length) {
      list.replaceChildren(Object.assign(document.createElement("li"), { textContent: t("replay.none") }));
      return;
    }
    list.replaceChildren(
      ...this.flights.map((flight) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "flight-item";
        button.dataset.flightId = flight.id;
        button.dataset.ended = String(!!flight.ended_at);
        button.textContent = t("replay.flight", {
          vehicle: flight.vehicle_id,
          start: clock(Date.parse(flight.started_at)),
          end: flight.ended_at ? clock(Date.parse(flight.ended_at)) : t("replay.inAir"),
        });
        button.addEventListener("click", () => void this.open(flight));
        li.append(button);
        return li;
      }),
    );
  }

  async open(flight: any): Promise<void> {
    this.stop();
    const body = await apiJson<any>(`/api/flights/${encodeURIComponent(flight.id)}/track`);
    const feature = body.features[0];
    const geometry = feature.geometry;
    const coords: [number, number, number][] =
      geometry.type === "Point" ? [geometry.coordinates] : (geometry.coordinates as [number, number, number][]);
    this.track = {
      vehicle: flight.vehicle_id,
      coords,
      times: (feature.properties.times_utc as string[]).map((s) => Date.parse(s)),
      rel: feature.properties.alt_rel_m,
    };
    $("replay").hidden = false;
    $("replay").dataset.flightId = flight.id;
    (this.map.getSource("replay-track") as maplibregl.GeoJSONSource).setData({
      type: "FeatureCollection",
      features: coords.length > 1 ? [{ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: coords } }] : [],
    });
    const slider = $<HTMLInputElement>("replay-slider");
    if (!coords.length) {
      $("replay-at").textContent = t("replay.empty");
      slider.disabled = true;
      return;
    }
    slider.disabled = false;
    const t0 = this.track.times[0];
    slider.min = "0";
    // a whole number of steps, so the slider's end is the track's last point
    slider.max = String(Math.ceil((this.track.times[this.track.times.length - 1] - t0) / 100) * 100);
    slider.step = "100";
    slider.value = "0";
    const bounds = coords.reduce((b, c) => b.extend([c[0], c[1]]), new maplibregl.LngLatBounds([coords[0][0], coords[0][1]], [coords[0][0], coords[0][1]]));
    this.map.fitBounds(bounds, { padding: 80, maxZoom: 16, animate: false });
    this.show(0);
  }

  /** The replayed vehicle at ``offsetMs`` after the first point, interpolated between the two around it. */
  show(offsetMs: number): void {
    const track = this.track;
    if (!track || !track.coords.length) return;
    const at = Math.min(track.times[0] + offsetMs, track.times[track.times.length - 1]);
    let i = 0;
    while (i < track.times.length - 1 && track.times[i + 1] <= at) i++;
    const a = track.coords[i];
    const b = track.coords[Math.min(i + 1, track.coords.length - 1)];
    const span = track.times[Math.min(i + 1, track.times.length - 1)] - track.times[i];
    const f = span > 0 ? Math.min(1, Math.max(0, (at - track.times[i]) / span)) : 0;
    const lon = a[0] + (b[0] - a[0]) * f;
    const lat = a[1] + (b[1] - a[1]) * f;
    const alt = a[2] + (b[2] - a[2]) * f;
    if (!this.marker) {
      const el = document.createElement("div");
      el.className = "replay-marker";
      el.setAttribute("role", "img");
      this.marker = new maplibregl.Marker({ element: el }).setLngLat([lon, lat]).addTo(this.map);
    }
    const el = this.marker.getElement();
    el.setAttribute("aria-label", t("replay.marker", { vehicle: track.vehicle }));
    el.dataset.lon = String(lon);
    el.dataset.lat = String(lat);
    el.dataset.timeMs = String(at);
    this.marker.setLngLat([lon, lat]);
    const rel = track.rel[i];
    $("replay-at").textContent = t("replay.at", {
      time: new Date(at).toISOString().slice(11, 21),
      alt: formatNumber(alt, 1),
      rel: rel === null || rel === undefined ? "—" : formatNumber(rel, 1),
      n: i + 1,
      total: track.coords.length,
    });
  }

  private togglePlay(): void {
    if (this.playing !== undefined) {
      this.stop();
      return;
    }
    const slider = $<HTMLInputElement>("replay-slider");
    const max = Number(slider.max);
    if (Number(slider.value) >= max) slider.value = "0";
    const stepMs = Math.max(100, max / (PLAY_SECONDS * 10));
    $("replay-play").textContent = t("replay.pause");
    $("replay-play").setAttribute("aria-pressed", "true");
    this.playing = window.setInterval(() => {
      const next = Math.min(max, Number(slider.value) + stepMs);
      slider.value = String(next);
      this.show(next);
      if (next >= max) this.stop();
    }, 100);
  }

  private stop(): void {
    window.clearInterval(this.playing);
    this.playing = undefined;
    $("replay-play").textContent = t("replay.play");
    $("replay-play").setAttribute("aria-pressed", "false");
  }

  async loadAudit(): Promise<void> {
    if (!this.can("view_audit")) return;
    // the planner checks each edit and each check is audited: hidden by default, they would fill the list
    const drafts = $<HTMLInputElement>("audit-drafts").checked;
    const entries = await apiJson<any[]>(`/api/audit?limit=50&draft_checks=${drafts}`);
    $("audit-list").replaceChildren(
      ...entries.map((entry) => {
        const li = document.createElement("li");
        li.dataset.action = entry.action;
        li.append(timeElement(entry.time_utc), " ", t("audit.entry", { actor: entry.actor ?? "—", action: entry.action, target: entry.target ?? "" }));
        return li;
      }),
    );
  }

  relabel(): void {
    this.renderFlights();
    if (this.playing === undefined) $("replay-play").textContent = t("replay.play");
    const slider = $<HTMLInputElement>("replay-slider");
    if (this.track) this.show(Number(slider.value));
  }
}
