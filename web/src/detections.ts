// Geo-located detections (issue 13) on the map: the latest position of every tracked person and vehicle
// of the last minute, with its uncertainty radius drawn as a circle, fading with age.
//
// Polled from GET /api/detections about once a second rather than pushed over the telemetry WebSocket:
// that socket is per vehicle (vehicle.<id>.<topic>, coalesced per vehicle) and carries no camera topics,
// and the stored history gives a page that opens late the last minute too. The poll asks only for what
// is newer than what it already has (minus a margin for the recorder's flush delay).
import maplibregl from "maplibre-gl";
import { api, AuthError } from "./api";
import { addStrings, formatNumber, t, timeElement } from "./i18n";

addStrings({
  en: {
    "detection.person": "Person",
    "detection.vehicle": "Vehicle",
    "detection.face": "Face",
    "detection.label": "{kind} seen by camera {camera}, {age} s ago, ±{radius} m",
    "detection.track": "Track",
    "detection.camera": "Camera",
    "detection.time": "Seen at",
    "detection.uncertainty": "Uncertainty",
    "detection.range": "Distance from camera",
  },
  cs: {
    "detection.person": "Osoba",
    "detection.vehicle": "Vozidlo",
    "detection.face": "Obličej",
    "detection.label": "{kind} z kamery {camera}, před {age} s, ±{radius} m",
    "detection.track": "Stopa",
    "detection.camera": "Kamera",
    "detection.time": "Viděno v",
    "detection.uncertainty": "Nejistota",
    "detection.range": "Vzdálenost od kamery",
  },
  pl: {
    "detection.person": "Osoba",
    "detection.vehicle": "Pojazd",
    "detection.face": "Twarz",
    "detection.label": "{kind} z kamery {camera}, {age} s temu, ±{radius} m",
    "detection.track": "Ślad",
    "detection.camera": "Kamera",
    "detection.time": "Widziano o",
    "detection.uncertainty": "Niepewność",
    "detection.range": "Odległość od kamery",
  },
});

/** One row of GET /api/detections. */
export interface Detection {
  camera_id: string;
  frame_seq: number;
  time_utc: string;
  track_id: number;
  kind: string;
  lon: number;
  lat: number;
  alt_amsl_m: number;
  uncertainty_m: number;
  range_m: number;
  score: number;
}

const WINDOW_MS = 60_000; // shown for a minute, fading
const POLL_MS = 1000;
const LATE_MARGIN_MS = 10_000; // capture -> detector -> recorder (0.25 s flushes) -> store: seconds when busy
const CIRCLE_STEPS = 32;
const SOURCE = "detections";

/** A circle of radius metres around (lon, lat) as a polygon (local flat-earth, fine below a few km). */
function circle(lon: number, lat: number, metres: number): GeoJSON.Polygon {
  const perDegLat = 110_540;
  const perDegLon = 111_320 * Math.cos((lat * Math.PI) / 180);
  const ring: [number, number][] = [];
  for (let i = 0; i <= CIRCLE_STEPS; i++) {
    const a = (2 * Math.PI * i) / CIRCLE_STEPS;
    ring.push([lon + (Math.sin(a) * metres) / perDegLon, lat + (Math.cos(a) * metres) / perDegLat]);
  }
  return { type: "Polygon", coordinates: [ring] };
}

function popupContent(d: Detection): HTMLElement {
  const box = document.createElement("div");
  box.className = "detection-popup";
  const title = document.createElement("h3");
  title.textContent = t(`detection.${d.kind}`);
  box.append(title);
  const dl = document.createElement("dl");
  const row = (label: string, value: string | Node) => {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.append(value);
    dl.append(dt, dd);
  };
  row(t("detection.track"), `#${d.track_id}`);
  row(t("detection.camera"), d.camera_id);
  row(t("detection.time"), timeElement(d.time_utc));
  row(t("detection.uncertainty"), `±${formatNumber(d.uncertainty_m, 1)} m`);
  row(t("detection.range"), `${formatNumber(d.range_m)} m`);
  box.append(dl);
  return box;
}

/** The detections layer: DOM markers (focusable, shaped by kind) and a GeoJSON source of radii. */
export class DetectionLayer {
  private latest = new Map<string, Detection>(); // camera/track -> newest detection
  private markers = new Map<string, { marker: maplibregl.Marker; el: HTMLButtonElement }>();
  private newestMs = 0;
  private timer: number | null = null;
  private popup: maplibregl.Popup | null = null;
  private drawnEmpty = false; // every setData repaints the whole map: costly with many zones (bench_planner)

  constructor(private readonly map: maplibregl.Map) {
    map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    const colour: any = ["match", ["get", "kind"], "vehicle", "#6a3d9a", "#e6550d"];
    map.addLayer({
      id: "detection-radius",
      type: "fill",
      source: SOURCE,
      paint: { "fill-color": colour, "fill-opacity": ["*", 0.25, ["get", "fresh"]] },
    });
    map.addLayer({
      id: "detection-radius-line",
      type: "line",
      source: SOURCE,
      paint: { "line-color": colour, "line-width": 1.2, "line-opacity": ["get", "fresh"] },
    });
  }

  start(): void {
    if (this.timer === null) this.timer = window.setTimeout(() => void this.poll(), 0);
  }

  stop(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    try {
      if (!document.hidden) await this.fetchNewer();
      this.draw();
    } catch (error) {
      if (error instanceof AuthError) {
        this.timer = null;
        return; // signed out: main shows the login; start() resumes after the next sign-in
      }
      console.warn("detections", error);
    }
    if (this.timer !== null) this.timer = window.setTimeout(() => void this.poll(), POLL_MS);
  }

  private async fetchNewer(): Promise<void> {
    const since = Math.max(Date.now() - WINDOW_MS, this.newestMs - LATE_MARGIN_MS);
    const url = `/api/detections?since=${encodeURIComponent(new Date(since).toISOString())}&limit=5000`;
    const response = await api(url);
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    for (const d of (await response.json()) as Detection[]) {
      const key = `${d.camera_id}/${d.track_id}`;
      const when = Date.parse(d.time_utc);
      const known = this.latest.get(key);
      if (!known || Date.parse(known.time_utc) <= when) this.latest.set(key, d);
      this.newestMs = Math.max(this.newestMs, when);
    }
  }

  /** Age 0 -> fresh 1, WINDOW_MS -> 0; gone beyond. */
  private draw(): void {
    const now = Date.now();
    const features: GeoJSON.Feature[] = [];
    for (const [key, d] of this.latest) {
      const age = Math.max(0, now - Date.parse(d.time_utc));
      if (age > WINDOW_MS) {
        this.latest.delete(key);
        this.markers.get(key)?.marker.remove();
        this.markers.delete(key);
        continue;
      }
      const fresh = 1 - age / WINDOW_MS;
      features.push({ type: "Feature", properties: { kind: d.kind, fresh }, geometry: circle(d.lon, d.lat, d.uncertainty_m) });
      this.place(key, d, fresh, age);
    }
    if (!(features.length === 0 && this.drawnEmpty)) {
      (this.map.getSource(SOURCE) as maplibregl.GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features });
      this.drawnEmpty = features.length === 0;
    }
    document.body.dataset.detections = String(this.latest.size);
  }

  private place(key: string, d: Detection, fresh: number, ageMs: number): void {
    let entry = this.markers.get(key);
    if (!entry) {
      const el = document.createElement("button");
      el.type = "button";
      el.className = "detection-marker";
      el.addEventListener("click", (event) => {
        event.stopPropagation();
        const shown = this.latest.get(key);
        if (!shown) return;
        this.popup?.remove();
        this.popup = new maplibregl.Popup({ closeButton: true })
          .setLngLat([shown.lon, shown.lat])
          .setDOMContent(popupContent(shown))
          .addTo(this.map);
      });
      entry = { marker: new maplibregl.Marker({ element: el }).setLngLat([d.lon, d.lat]).addTo(this.map), el };
      this.markers.set(key, entry);
    }
    const el = entry.el;
    entry.marker.setLngLat([d.lon, d.lat]);
    // classList, not className: MapLibre keeps its own marker classes (anchor, position) on the element
    for (const kind of ["person", "vehicle", "face"]) el.classList.toggle(`kind-${kind}`, d.kind === kind);
    el.style.opacity = String(0.25 + 0.75 * fresh);
    el.textContent = d.kind === "vehicle" ? "■" : "●";
    Object.assign(el.dataset, {
      kind: d.kind,
      camera: d.camera_id,
      track: String(d.track_id),
      lon: String(d.lon),
      lat: String(d.lat),
      timeUtc: d.time_utc,
      uncertaintyM: String(d.uncertainty_m),
    });
    const label = t("detection.label", {
      kind: t(`detection.${d.kind}`),
      camera: d.camera_id,
      age: Math.round(ageMs / 1000),
      radius: formatNumber(d.uncertainty_m, 1),
    });
    el.setAttribute("aria-label", label);
    el.title = label;
  }
}
