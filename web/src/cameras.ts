// Cameras for the commander: every camera the station knows (GET /api/cameras: configured streams and the
// region's poles with their pose) and every video stream (GET /api/video/streams) with the pose of its
// latest picture: a drone's gimbal from its KLV metadata, a pole from the region. Streams with a position
// are drawn on the map next to the vehicles: a marker pointing where the camera looks and its approximate
// field-of-view footprint on flat ground. (The region poles' terrain-aware footprints are the map's static
// layer; this adds what moves.)
import maplibregl from "maplibre-gl";
import { api, apiJson } from "./api";
import { addStrings, formatNumber, onLangChange, t } from "./i18n";

addStrings({
  en: {
    "cams.heading": "Cameras",
    "cams.none": "No cameras known.",
    "cams.videoOff": "Video service not running: positions only.",
    "cams.entry": "{name} · {kind}",
    "cams.kind.fixed": "fixed camera",
    "cams.kind.gimbal": "drone camera",
    "cams.state.live": "live",
    "cams.state.off": "no picture",
    "cams.pose": "heading {heading}°, field of view {hfov}°",
    "cams.poseUnknown": "position unknown",
    "cams.show": "Show on map",
    "cams.showLabel": "Show camera {name} on the map",
    "cams.marker": "Camera {name}, looking {heading}°, {state}",
  },
  cs: {
    "cams.heading": "Kamery",
    "cams.none": "Žádné známé kamery.",
    "cams.videoOff": "Videoslužba neběží: jen polohy.",
    "cams.entry": "{name} · {kind}",
    "cams.kind.fixed": "pevná kamera",
    "cams.kind.gimbal": "kamera dronu",
    "cams.state.live": "živě",
    "cams.state.off": "bez obrazu",
    "cams.pose": "směr {heading}°, zorné pole {hfov}°",
    "cams.poseUnknown": "poloha neznámá",
    "cams.show": "Ukázat na mapě",
    "cams.showLabel": "Ukázat kameru {name} na mapě",
    "cams.marker": "Kamera {name}, směr pohledu {heading}°, {state}",
  },
  pl: {
    "cams.heading": "Kamery",
    "cams.none": "Brak znanych kamer.",
    "cams.videoOff": "Usługa wideo nie działa: tylko pozycje.",
    "cams.entry": "{name} · {kind}",
    "cams.kind.fixed": "kamera stała",
    "cams.kind.gimbal": "kamera drona",
    "cams.state.live": "na żywo",
    "cams.state.off": "brak obrazu",
    "cams.pose": "kierunek {heading}°, pole widzenia {hfov}°",
    "cams.poseUnknown": "pozycja nieznana",
    "cams.show": "Pokaż na mapie",
    "cams.showLabel": "Pokaż kamerę {name} na mapie",
    "cams.marker": "Kamera {name}, kierunek patrzenia {heading}°, {state}",
  },
});

const REFRESH_MS = 3000;
const DEFAULT_HFOV_DEG = 60;
const DEFAULT_RANGE_M = 300;
const MAX_RANGE_M = 2000;
const SOURCE = "camera-streams";

interface CameraInfo {
  id: string;
  kind: string;
  name: string | null;
  vehicle_id: string | null;
  lon: number | null;
  lat: number | null;
  heading_deg: number | null;
  tilt_deg: number | null;
  hfov_deg: number | null;
  max_range_m: number | null;
}

interface Pose {
  lon: number | null;
  lat: number | null;
  alt_agl_m: number | null;
  heading_deg: number | null;
  pitch_deg: number | null;
  source: string;
}

interface Stream {
  id: string;
  live: boolean;
  sensor: { sensor_id: string; kind: string; vehicle_id: string | null; lon: number | null; lat: number | null; heading_deg: number | null };
  pose: Pose | null;
}

/** One row of the list, merged from /api/cameras and /api/video/streams. */
export interface CameraRow {
  id: string;
  name: string;
  kind: "fixed" | "gimbal";
  live: boolean | null;
  lon: number | null;
  lat: number | null;
  heading: number | null;
  hfov: number;
  footprint: [number, number][] | null;
  stream: boolean;
}

function destination(lon: number, lat: number, bearingDeg: number, metres: number): [number, number] {
  const b = (bearingDeg * Math.PI) / 180;
  return [lon + (metres * Math.sin(b)) / (111_320 * Math.cos((lat * Math.PI) / 180)), lat + (metres * Math.cos(b)) / 110_540];
}

/** The ground a camera sees, on flat ground: a trapezoid for a camera pitched down (near and far edge
 * from its height and pitch), else a sector out to its range. Approximate by design: no terrain. */
export function footprint(
  lon: number,
  lat: number,
  heading: number,
  hfov: number,
  heightAgl: number | null,
  pitch: number | null,
  range: number,
): [number, number][] {
  const half = hfov / 2;
  const vhalf = (hfov * 9) / 32; // a 16:9 picture
  if (heightAgl !== null && heightAgl > 0 && pitch !== null && pitch < 0) {
    const down = -pitch;
    const near = heightAgl / Math.tan(((Math.min(89, down + vhalf)) * Math.PI) / 180);
    const far = down - vhalf > 1 ? Math.min(MAX_RANGE_M, heightAgl / Math.tan(((down - vhalf) * Math.PI) / 180)) : range;
    const side = (d: number) => d / Math.cos((half * Math.PI) / 180);
    return [
      destination(lon, lat, heading - half, side(near)),
      destination(lon, lat, heading - half, side(far)),
      destination(lon, lat, heading + half, side(far)),
      destination(lon, lat, heading + half, side(near)),
      destination(lon, lat, heading - half, side(near)),
    ];
  }
  const ring: [number, number][] = [[lon, lat]];
  for (let k = 0; k <= 8; k++) ring.push(destination(lon, lat, heading - half + (hfov * k) / 8, range));
  ring.push([lon, lat]);
  return ring;
}

export class CameraPanel {
  rows: CameraRow[] = [];
  videoRunning = true;
  private readonly section: HTMLElement;
  private readonly heading: HTMLHeadingElement;
  private readonly note: HTMLParagraphElement;
  private readonly list: HTMLUListElement;
  private readonly markers = new Map<string, maplibregl.Marker>();
  private drawnFootprints = ""; // every setData repaints the whole map: only when the footprints change

  constructor(
    private readonly map: maplibregl.Map,
    before: Element | null,
  ) {
    (window as any).borderwatchCameras = this; // for the browser tests
    this.section = document.createElement("section");
    this.section.id = "cameras";
    this.section.className = "cameras";
    this.section.setAttribute("aria-labelledby", "cameras-heading");
    this.heading = Object.assign(document.createElement("h2"), { id: "cameras-heading" });
    this.note = Object.assign(document.createElement("p"), { id: "cameras-note", className: "cameras-note" });
    this.list = Object.assign(document.createElement("ul"), { id: "camera-list", className: "camera-list" });
    this.section.append(this.heading, this.note, this.list);
    if (before?.parentElement) before.parentElement.insertBefore(this.section, before);
    map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({
      id: "camera-streams-fill",
      type: "fill",
      source: SOURCE,
      paint: { "fill-color": "#e66101", "fill-opacity": 0.2 },
    });
    map.addLayer({
      id: "camera-streams-line",
      type: "line",
      source: SOURCE,
      paint: { "line-color": "#e66101", "line-width": 2 },
    });
    onLangChange(() => this.render());
    void this.refresh();
    window.setInterval(() => void this.refresh().catch(() => undefined), REFRESH_MS);
  }

  async refresh(): Promise<void> {
    const cameras = await apiJson<CameraInfo[]>("/api/cameras");
    const response = await api("/api/video/streams");
    this.videoRunning = response.ok;
    const streams: Stream[] = response.ok ? await response.json() : [];
    const info = new Map(cameras.map((c) => [c.id, c]));
    const rows: CameraRow[] = [];
    const seen = new Set<string>();
    for (const s of streams) {
      const camera = info.get(s.sensor.sensor_id) ?? info.get(s.id);
      const lon = s.pose?.lon ?? s.sensor.lon ?? camera?.lon ?? null;
      const lat = s.pose?.lat ?? s.sensor.lat ?? camera?.lat ?? null;
      const heading = s.pose?.heading_deg ?? s.sensor.heading_deg ?? camera?.heading_deg ?? null;
      const hfov = camera?.hfov_deg ?? DEFAULT_HFOV_DEG;
      const pitch = s.pose?.pitch_deg ?? (camera?.tilt_deg != null ? -camera.tilt_deg : null);
      const range = camera?.max_range_m ?? DEFAULT_RANGE_M;
      rows.push({
        id: s.id,
        name: camera?.name ?? (s.sensor.vehicle_id ? `${s.sensor.vehicle_id} · ${s.id}` : s.id),
        kind: s.sensor.kind === "gimbal" ? "gimbal" : "fixed",
        live: s.live,
        lon,
        lat,
        heading,
        hfov,
        footprint:
          lon !== null && lat !== null && heading !== null
            ? footprint(lon, lat, heading, hfov, s.pose?.alt_agl_m ?? null, pitch, range)
            : null,
        stream: true,
      });
      seen.add(s.sensor.sensor_id);
      seen.add(s.id);
    }
    for (const c of cameras) {
      if (seen.has(c.id)) continue;
      rows.push({
        id: c.id,
        name: c.name ?? c.id,
        kind: c.kind === "gimbal" || c.vehicle_id ? "gimbal" : "fixed",
        live: null,
        lon: c.lon,
        lat: c.lat,
        heading: c.heading_deg,
        hfov: c.hfov_deg ?? DEFAULT_HFOV_DEG,
        footprint: null, // the region poles' footprints are the map's own static layer
        stream: false,
      });
    }
    this.rows = rows;
    this.draw();
    this.render();
  }

  private stateText(row: CameraRow): string {
    return row.live === null ? "" : t(row.live ? "cams.state.live" : "cams.state.off");
  }

  private draw(): void {
    const features: GeoJSON.Feature[] = this.rows
      .filter((r) => r.footprint)
      .map((r) => ({
        type: "Feature",
        properties: { id: r.id, live: r.live },
        geometry: { type: "Polygon", coordinates: [r.footprint!] },
      }));
    const footprints = JSON.stringify(features);
    if (footprints !== this.drawnFootprints) {
      (this.map.getSource(SOURCE) as maplibregl.GeoJSONSource).setData({ type: "FeatureCollection", features });
      this.drawnFootprints = footprints;
    }
    const wanted = new Set(this.rows.filter((r) => r.stream && r.lon !== null && r.lat !== null).map((r) => r.id));
    for (const [id, marker] of this.markers) {
      if (!wanted.has(id)) {
        marker.remove();
        this.markers.delete(id);
      }
    }
    for (const row of this.rows) {
      if (!wanted.has(row.id)) continue;
      let marker = this.markers.get(row.id);
      if (!marker) {
        const el = document.createElement("div");
        el.className = "stream-camera-marker";
        el.dataset.streamId = row.id;
        el.setAttribute("role", "img");
        el.textContent = "▲";
        marker = new maplibregl.Marker({ element: el, rotationAlignment: "map" }).setLngLat([row.lon!, row.lat!]).addTo(this.map);
        this.markers.set(row.id, marker);
      }
      marker.setLngLat([row.lon!, row.lat!]);
      marker.setRotation(row.heading ?? 0);
      const el = marker.getElement();
      el.dataset.live = String(row.live);
      el.dataset.heading = String(row.heading ?? "");
      const label = t("cams.marker", { name: row.name, heading: row.heading === null ? "—" : formatNumber(row.heading), state: this.stateText(row) });
      el.setAttribute("aria-label", label);
      el.title = label;
    }
  }

  private shown = "";

  /** Redraws the list only when what it says changed (a refresh every few seconds must not steal focus). */
  private render(): void {
    const key = JSON.stringify([document.documentElement.lang, this.videoRunning, this.rows.map((r) => [r.id, r.name, r.live, r.heading?.toFixed(0), r.lon !== null])]);
    if (key === this.shown) return;
    this.shown = key;
    this.heading.textContent = t("cams.heading");
    this.note.textContent = this.videoRunning ? "" : t("cams.videoOff");
    this.note.hidden = this.videoRunning;
    this.list.dataset.count = String(this.rows.length);
    if (!this.rows.length) {
      this.list.replaceChildren(Object.assign(document.createElement("li"), { textContent: t("cams.none") }));
      return;
    }
    this.list.replaceChildren(
      ...this.rows.map((row) => {
        const li = document.createElement("li");
        li.className = "camera-item";
        li.dataset.cameraId = row.id;
        li.dataset.stream = String(row.stream);
        const title = document.createElement("strong");
        title.textContent = t("cams.entry", { name: row.name, kind: t(`cams.kind.${row.kind}`) });
        const state = this.stateText(row);
        const pose = document.createElement("p");
        pose.textContent =
          row.lon === null || row.heading === null
            ? t("cams.poseUnknown")
            : t("cams.pose", { heading: formatNumber(row.heading), hfov: formatNumber(row.hfov) });
        if (state) pose.textContent += ` · ${state}`;
        li.append(title, pose);
        if (row.lon !== null && row.lat !== null) {
          const show = document.createElement("button");
          show.type = "button";
          show.textContent = t("cams.show");
          show.setAttribute("aria-label", t("cams.showLabel", { name: row.name }));
          show.addEventListener("click", () => this.map.flyTo({ center: [row.lon!, row.lat!], zoom: Math.max(this.map.getZoom(), 15) }));
          li.append(show);
        }
        return li;
      }),
    );
  }
}
