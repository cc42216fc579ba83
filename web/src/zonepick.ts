// Which zone is at a point of the map. Clicks and the "i" key ask this instead of the rendered layers:
// at overview zooms zones are raster tiles (geodata/zones/tiles.py), which have no features to query.

const SEVERITY: Record<string, number> = { PROHIBITED: 4, REQ_AUTHORISATION: 3, CONDITIONAL: 2, NO_RESTRICTION: 1 };

type Rings = number[][][];

function polygons(geometry: GeoJSON.Geometry | null): Rings[] {
  if (geometry?.type === "Polygon") return [geometry.coordinates];
  if (geometry?.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

/** Even-odd over the exterior and its holes: inside the exterior and in no hole. */
function ringsContain(rings: Rings, lon: number, lat: number): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

export class ZonePicker {
  private readonly boxes: Float64Array;
  private readonly shapes: Rings[][];

  constructor(private readonly zones: GeoJSON.Feature[]) {
    this.shapes = zones.map((zone) => polygons(zone.geometry));
    this.boxes = new Float64Array(zones.length * 4);
    this.shapes.forEach((parts, k) => {
      let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const rings of parts)
        for (const [x, y] of rings[0] ?? []) {
          w = Math.min(w, x);
          e = Math.max(e, x);
          s = Math.min(s, y);
          n = Math.max(n, y);
        }
      this.boxes.set([w, s, e, n], k * 4);
    });
  }

  /** The zone a pilot most needs to know about at (lon, lat): the most restrictive one containing it,
   * among equals the one drawn last (on top). */
  at(lon: number, lat: number): GeoJSON.Feature | undefined {
    let best: GeoJSON.Feature | undefined;
    let bestSeverity = -1;
    for (let k = 0; k < this.zones.length; k++) {
      const b = k * 4;
      if (lon < this.boxes[b] || lat < this.boxes[b + 1] || lon > this.boxes[b + 2] || lat > this.boxes[b + 3]) continue;
      const severity = SEVERITY[String(this.zones[k].properties?.restriction)] ?? 0;
      if (severity < bestSeverity) continue;
      if (this.shapes[k].some((rings) => ringsContain(rings, lon, lat))) {
        best = this.zones[k];
        bestSeverity = severity;
      }
    }
    return best;
  }
}
