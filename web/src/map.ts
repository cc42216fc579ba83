// The offline map: no tile server, no glyphs, no sprites. Vectors come from the service as GeoJSON, relief
// as hillshade PNG tiles rendered from the service's DEM; every label is a DOM element.
import maplibregl from "maplibre-gl";
import { apiJson, token } from "./api";
import { formatNumber, t } from "./i18n";
import { deferrableRedrawsHeld } from "./redraws";
import { ZonePicker } from "./zonepick";

export const RESTRICTION_COLOURS: Record<string, string> = {
  PROHIBITED: "#d7191c",
  REQ_AUTHORISATION: "#fd8d3c",
  CONDITIONAL: "#f2d422",
  NO_RESTRICTION: "#1a9641",
};

export interface RegionInfo {
  name: string;
  title: string;
  bbox: [number, number, number, number];
  terrain: { loaded: boolean; quality: string; message: string };
  zones: { tiles_version: string; detail_min_zoom: number };
}

const TRAIL_POINTS = 300;
const TRAIL_REDRAW_MS = 1000;

export function createMap(container: HTMLElement): maplibregl.Map {
  return new maplibregl.Map({
    container,
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#dcdad2" } }],
    },
    center: [17.2, 50.35],
    zoom: 9,
    attributionControl: false,
    transformRequest: (url: string) =>
      url.startsWith(`${location.origin}/api/`)
        ? { url, headers: { Authorization: `Bearer ${token() ?? ""}` } }
        : { url },
  });
}

export function loaded(map: maplibregl.Map): Promise<void> {
  return map.loaded() ? Promise.resolve() : new Promise((resolve) => map.once("load", () => resolve()));
}

function bandText(volume: any): string {
  const side = (metres: number | null, ref: string, text: string | null) =>
    text || (metres === null ? "∞" : `${formatNumber(metres)} m ${ref}`);
  return `${side(volume.lower_m, volume.lower_ref, volume.lower_text)} – ${side(
    volume.upper_m,
    volume.upper_ref,
    volume.upper_text,
  )}`;
}

export function zonePopupContent(zone: any): HTMLElement {
  const p = zone.properties;
  const box = document.createElement("div");
  box.className = "zone-popup";
  const title = document.createElement("h3");
  title.textContent = p.name || p.identifier;
  box.append(title);
  const dl = document.createElement("dl");
  const row = (label: string, value: string) => {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    dl.append(dt, dd);
  };
  row(t("zone.restriction"), String(p.restriction).replace(/_/g, " "));
  row(t("zone.band"), (p.volumes as any[]).map(bandText).join("; ") || t("unknown"));
  const authority = p.authority
    ? [p.authority.name, p.authority.service, p.authority.phone, p.authority.email].filter(Boolean).join(", ")
    : "";
  row(t("zone.authority"), authority || t("unknown"));
  box.append(dl);
  const note = document.createElement("p");
  note.className = p.approximate ? "approximate" : "";
  note.textContent = p.approximate ? `⚠ ${t("zone.approximate")}` : t("zone.exact");
  box.append(note);
  return box;
}

/** Sector a camera would see on flat ground, used only where terrain is unknown (drawn dashed). */
function nominalSector(props: any): GeoJSON.Polygon {
  const steps = 12;
  const ring: [number, number][] = [[props.lon, props.lat]];
  const metresPerDegLat = 111_320;
  const metresPerDegLon = metresPerDegLat * Math.cos((props.lat * Math.PI) / 180);
  for (let i = 0; i <= steps; i++) {
    const bearing = ((props.heading_deg - props.hfov_deg / 2 + (props.hfov_deg * i) / steps) * Math.PI) / 180;
    ring.push([
      props.lon + (Math.sin(bearing) * props.max_range_m) / metresPerDegLon,
      props.lat + (Math.cos(bearing) * props.max_range_m) / metresPerDegLat,
    ]);
  }
  ring.push([props.lon, props.lat]);
  return { type: "Polygon", coordinates: [ring] };
}

export async function addStaticLayers(
  map: maplibregl.Map,
  region: RegionInfo,
  onZoneClick: (zone: any, lngLat: maplibregl.LngLat) => void,
): Promise<ZonePicker> {
  await loaded(map);
  const [w, s, e, n] = region.bbox;
  map.fitBounds(
    [
      [w, s],
      [e, n],
    ],
    { padding: 20, animate: false },
  );
  if (region.terrain.loaded) {
    map.addSource("relief", {
      type: "raster",
      tiles: [`${location.origin}/api/map/hillshade/{z}/{x}/{y}.png`],
      tileSize: 256,
      bounds: region.bbox,
      maxzoom: 14,
    });
    map.addLayer({ id: "relief", type: "raster", source: "relief", paint: { "raster-opacity": 0.55 } });
  }
  const [zones, border, cameras] = await Promise.all([
    apiJson<GeoJSON.FeatureCollection>(`/api/zones?bbox=${region.bbox.join(",")}`),
    apiJson<GeoJSON.FeatureCollection>("/api/map/border"),
    apiJson<GeoJSON.FeatureCollection>("/api/map/cameras"),
  ]);
  map.addSource("countries", { type: "geojson", data: border });
  map.addLayer({
    id: "countries-outline",
    type: "line",
    source: "countries",
    filter: ["==", ["get", "kind"], "country"],
    paint: { "line-color": "#6b6b6b", "line-width": 1 },
  });
  // Zones: raster tiles below detail_min_zoom (their cost does not grow with the zone count: with 10,000
  // zones each vector repaint took ~0.4 s in software WebGL, bench/bench_planner.py), vectors from it.
  const detail = region.zones.detail_min_zoom;
  map.addSource("zones-overview", {
    type: "raster",
    tiles: [`${location.origin}/api/map/zones/{z}/{x}/{y}.png?v=${region.zones.tiles_version}`],
    tileSize: 256,
    bounds: region.bbox,
    maxzoom: detail + 1,
  });
  map.addLayer({ id: "zones-overview", type: "raster", source: "zones-overview", maxzoom: detail, paint: { "raster-fade-duration": 0 } });
  map.addSource("zones", { type: "geojson", data: zones });
  const colour: any = ["match", ["get", "restriction"]];
  for (const [name, value] of Object.entries(RESTRICTION_COLOURS)) colour.push(name, value);
  colour.push("#7f7f7f");
  map.addLayer({ id: "zones-fill", type: "fill", source: "zones", minzoom: detail, paint: { "fill-color": colour, "fill-opacity": 0.28 } });
  map.addLayer({
    id: "zones-line",
    type: "line",
    source: "zones",
    minzoom: detail,
    filter: ["!", ["get", "approximate"]],
    paint: { "line-color": colour, "line-width": 1.6 },
  });
  map.addLayer({
    id: "zones-line-approximate",
    type: "line",
    source: "zones",
    minzoom: detail,
    filter: ["get", "approximate"],
    paint: { "line-color": colour, "line-width": 1.6, "line-dasharray": [3, 2] },
  });
  map.addLayer({
    id: "border",
    type: "line",
    source: "countries",
    filter: ["==", ["get", "kind"], "border"],
    paint: { "line-color": "#3b0a57", "line-width": 3.5, "line-dasharray": [4, 1.5] },
  });
  for (const feature of cameras.features as any[]) {
    // no footprint, or one ray-cast onto the flat stand-in ground: drawn faint and said to be nominal
    feature.properties.nominal = !feature.geometry || feature.properties.terrain === "unknown";
    if (!feature.geometry) feature.geometry = nominalSector(feature.properties);
  }
  map.addSource("camera-footprints", { type: "geojson", data: cameras });
  map.addLayer({
    id: "camera-footprints",
    type: "fill",
    source: "camera-footprints",
    paint: { "fill-color": "#2b83ba", "fill-opacity": ["case", ["get", "nominal"], 0.08, 0.22] },
  });
  map.addLayer({
    id: "camera-footprints-line",
    type: "line",
    source: "camera-footprints",
    paint: { "line-color": "#2b83ba", "line-width": 1.2, "line-dasharray": [2, 2] },
  });
  for (const feature of cameras.features as any[]) {
    const p = feature.properties;
    const el = document.createElement("div");
    el.className = "camera-marker";
    el.setAttribute("role", "img");
    const label = `${t("camera.label", { name: p.name || p.id })}${p.nominal ? ` – ${t("camera.nominal")}` : ""}`;
    el.setAttribute("aria-label", label);
    el.title = label;
    el.textContent = "◉";
    new maplibregl.Marker({ element: el }).setLngLat([p.lon, p.lat]).addTo(map);
  }
  const picker = new ZonePicker(zones.features);
  map.on("click", (event) => {
    const zone = picker.at(event.lngLat.lng, event.lngLat.lat);
    if (zone) onZoneClick(zone, event.lngLat);
  });
  map.on("mousemove", (event) => {
    map.getCanvas().style.cursor = picker.at(event.lngLat.lng, event.lngLat.lat) ? "pointer" : "";
  });
  map.addSource("trails", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({
    id: "trails",
    type: "line",
    source: "trails",
    paint: { "line-color": "#08306b", "line-width": 2, "line-opacity": 0.8 },
  });
  return picker;
}

export interface VehiclePosition {
  lon: number;
  lat: number;
  heading_deg: number | null;
  time_utc: string;
}

/** One vehicle on the map: a focusable DOM marker (arrow turned to its heading, label) and its trail. */
export class VehicleLayer {
  private markers = new Map<string, { marker: maplibregl.Marker; el: HTMLButtonElement }>();
  private trails = new Map<string, [number, number][]>();
  private trailsDirty = false;
  private trailsDrawnMs = 0;
  private trailsInViewWhenDrawn = true;

  constructor(
    private readonly map: maplibregl.Map,
    private readonly onSelect: (id: string) => void,
  ) {
    const flush = () => {
      // bench/bench_ui.py: lag from a position's time_utc to the frame that draws it
      const bench = (window as any).borderwatchBench;
      if (bench?.pending.length) {
        const now = Date.now();
        for (const stamp of bench.pending) bench.lags.push(now - Date.parse(stamp));
        bench.pending.length = 0;
      }
      // Trails redraw the WebGL map (costly on software rendering): at most once a second, not while the
      // planner waits for a verdict (./redraws), and not while every trail is out of view (drawn when
      // the view comes to them). Markers are DOM elements that move every frame without a map repaint.
      const now = performance.now();
      if (
        this.trailsDirty &&
        now - this.trailsDrawnMs >= TRAIL_REDRAW_MS &&
        !deferrableRedrawsHeld() &&
        this.map.getSource("trails") &&
        this.anyTrailInView()
      ) {
        this.trailsDirty = false;
        this.trailsDrawnMs = now;
        (this.map.getSource("trails") as maplibregl.GeoJSONSource).setData({
          type: "FeatureCollection",
          features: [...this.trails].map(([id, coords]) => ({
            type: "Feature",
            properties: { id },
            geometry: { type: "LineString", coordinates: coords },
          })),
        });
      }
      requestAnimationFrame(flush);
    };
    requestAnimationFrame(flush);
  }

  /** Whether any trail's bounding box meets the view (or met it when trails were last drawn, so that a
   * trail leaving the view is drawn once more without its old end). */
  private anyTrailInView(): boolean {
    const view = this.map.getBounds();
    let inView = false;
    for (const trail of this.trails.values()) {
      let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const [lon, lat] of trail) {
        if (lon < w) w = lon;
        if (lon > e) e = lon;
        if (lat < s) s = lat;
        if (lat > n) n = lat;
      }
      if (e >= view.getWest() && w <= view.getEast() && n >= view.getSouth() && s <= view.getNorth()) {
        inView = true;
        break;
      }
    }
    const draw = inView || this.trailsInViewWhenDrawn;
    if (draw) this.trailsInViewWhenDrawn = inView;
    return draw;
  }

  update(id: string, position: VehiclePosition): void {
    let entry = this.markers.get(id);
    if (!entry) {
      const el = document.createElement("button");
      el.type = "button";
      el.className = "vehicle-marker";
      el.dataset.vehicleId = id;
      el.innerHTML = '<span class="arrow" aria-hidden="true">▲</span><span class="label"></span>';
      el.querySelector(".label")!.textContent = id;
      el.addEventListener("click", (event) => {
        event.stopPropagation();
        this.onSelect(id);
      });
      entry = { marker: new maplibregl.Marker({ element: el }).setLngLat([position.lon, position.lat]).addTo(this.map), el };
      this.markers.set(id, entry);
    }
    entry.marker.setLngLat([position.lon, position.lat]);
    (window as any).borderwatchBench?.pending.push(position.time_utc);
    const heading = position.heading_deg ?? 0;
    (entry.el.querySelector(".arrow") as HTMLElement).style.transform = `rotate(${heading}deg)`;
    entry.el.dataset.lon = String(position.lon);
    entry.el.dataset.lat = String(position.lat);
    entry.el.dataset.timeUtc = position.time_utc;
    entry.el.dataset.receivedMs = String(performance.now());
    // the accessible name changes only when the rounded heading does (not at every position)
    const label = t("vehicle.label", {
      id,
      heading: position.heading_deg === null ? t("unknown") : `${Math.round(heading / 5) * 5}°`,
    });
    if (entry.el.getAttribute("aria-label") !== label) entry.el.setAttribute("aria-label", label);
    const trail = this.trails.get(id) ?? [];
    const last = trail[trail.length - 1];
    if (last && last[0] === position.lon && last[1] === position.lat) return; // parked: no map repaint
    trail.push([position.lon, position.lat]);
    if (trail.length > TRAIL_POINTS) trail.splice(0, trail.length - TRAIL_POINTS);
    this.trails.set(id, trail);
    this.trailsDirty = true;
  }

  setStale(id: string, stale: boolean): void {
    const entry = this.markers.get(id);
    if (!entry) return;
    entry.el.classList.toggle("stale", stale);
    entry.el.dataset.stale = String(stale);
  }

  setSelected(id: string | null): void {
    for (const [vid, entry] of this.markers) entry.el.classList.toggle("selected", vid === id);
  }
}
