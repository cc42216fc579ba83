// Area patterns in the planner: draw a survey polygon or a corridor line on the map (clicks, or Enter for
// the map centre; Backspace removes the last vertex; Esc cancels), then the service generates the
// lawn-mower or corridor items (POST /api/patterns/survey|corridor) and they join the draft, which the
// planner validates like any edit.
import maplibregl from "maplibre-gl";
import { postJson } from "./api";
import { addStrings, onLangChange, t } from "./i18n";
import { errorText, Item, Planner } from "./planner";

const KINDS = ["survey", "corridor"] as const;
type AreaKind = (typeof KINDS)[number];

addStrings({
  en: {
    "area.legend": "Survey area or corridor",
    "area.kind": "Area pattern",
    "area.kind.survey": "Survey area (polygon)",
    "area.kind.corridor": "Corridor (line and width)",
    "area.spacing": "Line spacing (m)",
    "area.width": "Corridor width (m)",
    "area.draw": "Draw on the map",
    "area.finish": "Finish and add items",
    "area.cancel": "Cancel drawing",
    "area.hint.survey": "Survey area: click the corners on the map (Enter adds the map centre, Backspace removes the last). Then “Finish”. Esc cancels.",
    "area.hint.corridor": "Corridor: click along the line on the map (Enter adds the map centre, Backspace removes the last). Then “Finish”. Esc cancels.",
    "area.vertices": "{n} point(s) drawn",
    "area.tooFew": "Draw at least {n} points first.",
    "area.added": "Added {kind}: {n} waypoints on {lines} lines, {km} km.",
  },
  cs: {
    "area.legend": "Plošný průzkum nebo koridor",
    "area.kind": "Plošný vzor",
    "area.kind.survey": "Průzkum plochy (mnohoúhelník)",
    "area.kind.corridor": "Koridor (čára a šířka)",
    "area.spacing": "Rozestup linií (m)",
    "area.width": "Šířka koridoru (m)",
    "area.draw": "Kreslit na mapě",
    "area.finish": "Dokončit a přidat položky",
    "area.cancel": "Zrušit kreslení",
    "area.hint.survey": "Plocha průzkumu: klikejte rohy do mapy (Enter přidá střed mapy, Backspace odebere poslední). Pak „Dokončit“. Esc ruší.",
    "area.hint.corridor": "Koridor: klikejte body čáry do mapy (Enter přidá střed mapy, Backspace odebere poslední). Pak „Dokončit“. Esc ruší.",
    "area.vertices": "Nakresleno bodů: {n}",
    "area.tooFew": "Nejprve nakreslete alespoň {n} body.",
    "area.added": "Přidáno: {kind}, {n} bodů na {lines} liniích, {km} km.",
  },
  pl: {
    "area.legend": "Obszar pomiaru lub korytarz",
    "area.kind": "Wzór obszarowy",
    "area.kind.survey": "Pomiar obszaru (wielokąt)",
    "area.kind.corridor": "Korytarz (linia i szerokość)",
    "area.spacing": "Odstęp linii (m)",
    "area.width": "Szerokość korytarza (m)",
    "area.draw": "Rysuj na mapie",
    "area.finish": "Zakończ i dodaj elementy",
    "area.cancel": "Anuluj rysowanie",
    "area.hint.survey": "Obszar pomiaru: klikaj narożniki na mapie (Enter dodaje środek mapy, Backspace usuwa ostatni). Potem „Zakończ”. Esc anuluje.",
    "area.hint.corridor": "Korytarz: klikaj punkty linii na mapie (Enter dodaje środek mapy, Backspace usuwa ostatni). Potem „Zakończ”. Esc anuluje.",
    "area.vertices": "Narysowano punktów: {n}",
    "area.tooFew": "Najpierw narysuj co najmniej {n} punkty.",
    "area.added": "Dodano: {kind}, {n} punktów na {lines} liniach, {km} km.",
  },
});

const SOURCE = "plan-area";

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, any> = {}): HTMLElementTagNameMap[K] {
  return Object.assign(document.createElement(tag), props);
}

export class SurveyTool {
  drawing = false;
  vertices: [number, number][] = [];
  private readonly kind: HTMLSelectElement;
  private readonly spacing: HTMLInputElement;
  private readonly width: HTMLInputElement;
  private readonly widthLabel: HTMLLabelElement;
  private readonly draw: HTMLButtonElement;
  private readonly finish: HTMLButtonElement;
  private readonly cancel: HTMLButtonElement;
  private readonly count: HTMLParagraphElement;
  private readonly hint: HTMLParagraphElement;
  private readonly legend: HTMLLegendElement;
  private readonly labels: [HTMLLabelElement, string][] = [];

  constructor(
    private readonly map: maplibregl.Map,
    private readonly planner: Planner,
    container: HTMLElement,
  ) {
    (window as any).borderwatchSurvey = this; // for the browser tests
    const box = element("fieldset", { className: "plan-area-tool" });
    this.legend = element("legend");
    const label = (forId: string, key: string) => {
      const el = element("label", { htmlFor: forId });
      this.labels.push([el, key]);
      return el;
    };
    this.kind = element("select", { id: "plan-area-kind" });
    this.spacing = element("input", { id: "plan-area-spacing", type: "number", min: "5", max: "2000", step: "5", value: "50" });
    this.width = element("input", { id: "plan-area-width", type: "number", min: "1", max: "5000", step: "10", value: "100" });
    this.widthLabel = label("plan-area-width", "area.width");
    this.draw = element("button", { type: "button", id: "plan-area-draw" });
    this.draw.setAttribute("aria-pressed", "false");
    this.finish = element("button", { type: "button", id: "plan-area-finish", className: "primary" });
    this.cancel = element("button", { type: "button", id: "plan-area-cancel" });
    this.count = element("p", { id: "plan-area-count", className: "plan-area-count" });
    this.count.setAttribute("aria-live", "polite");
    const row1 = element("div", { className: "plan-row" });
    row1.append(label("plan-area-kind", "area.kind"), this.kind);
    const row2 = element("div", { className: "plan-row" });
    row2.append(label("plan-area-spacing", "area.spacing"), this.spacing, this.widthLabel, this.width);
    const row3 = element("div", { className: "plan-row" });
    row3.append(this.draw, this.finish, this.cancel);
    box.append(this.legend, row1, row2, row3, this.count);
    container.replaceChildren(box);

    this.hint = element("p", { id: "plan-area-hint", className: "pick-hint" });
    this.hint.setAttribute("role", "status");
    this.hint.hidden = true;
    map.getContainer().parentElement?.append(this.hint);

    const empty: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };
    map.addSource(SOURCE, { type: "geojson", data: empty });
    map.addLayer({
      id: "plan-area-fill",
      type: "fill",
      source: SOURCE,
      filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": "#0050d0", "fill-opacity": 0.12 },
    });
    map.addLayer({
      id: "plan-area-line",
      type: "line",
      source: SOURCE,
      filter: ["!=", ["geometry-type"], "Point"],
      paint: { "line-color": "#0050d0", "line-width": 2, "line-dasharray": [3, 2] },
    });
    map.addLayer({
      id: "plan-area-vertex",
      type: "circle",
      source: SOURCE,
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 5, "circle-color": "#fff", "circle-stroke-color": "#0050d0", "circle-stroke-width": 2 },
    });

    this.kind.addEventListener("change", () => {
      this.redraw();
      this.render();
    });
    this.draw.addEventListener("click", () => (this.drawing ? this.stop() : this.start()));
    this.finish.addEventListener("click", () => void this.generate());
    this.cancel.addEventListener("click", () => this.stop(true));
    map.on("click", (event) => {
      if (this.drawing) this.addVertex(event.lngLat.lng, event.lngLat.lat);
    });
    document.addEventListener("keydown", (event) => {
      if (!this.drawing) return;
      const onMap = map.getContainer().contains(document.activeElement);
      if (event.key === "Escape") {
        event.preventDefault();
        this.stop(true);
      } else if (event.key === "Enter" && onMap) {
        event.preventDefault();
        const c = map.getCenter();
        this.addVertex(c.lng, c.lat);
      } else if (event.key === "Backspace" && onMap) {
        event.preventDefault();
        this.vertices.pop();
        this.redraw();
        this.render();
      }
    });
    onLangChange(() => this.relabel());
    this.relabel();
  }

  private get areaKind(): AreaKind {
    return (this.kind.value as AreaKind) || "survey";
  }

  private get needed(): number {
    return this.areaKind === "survey" ? 3 : 2;
  }

  start(): void {
    this.planner.setAdding(false);
    if (!this.planner.draft) {
      this.planner.newMission();
      this.planner.setAdding(false);
    }
    this.drawing = true;
    this.vertices = [];
    this.redraw();
    this.render();
    this.map.getCanvas().focus();
  }

  stop(discard = false): void {
    this.drawing = false;
    if (discard) this.vertices = [];
    this.redraw();
    this.render();
  }

  addVertex(lon: number, lat: number): void {
    this.vertices.push([lon, lat]);
    this.redraw();
    this.render();
  }

  /** Asks the service for the pattern over what was drawn and hands its items to the planner. */
  async generate(): Promise<void> {
    const kind = this.areaKind;
    if (this.vertices.length < this.needed) {
      this.planner.say("area.tooFew", { n: this.needed });
      return;
    }
    const points = this.vertices.map(([lon, lat]) => ({ lon, lat }));
    const common = {
      spacing_m: Number(this.spacing.value) || 50,
      alt_m: Number((document.getElementById("plan-alt") as HTMLInputElement).value) || 50,
      frame: (document.getElementById("plan-frame") as HTMLSelectElement).value,
    };
    const body = kind === "survey" ? { ...common, polygon: points } : { ...common, line: points, width_m: Number(this.width.value) || 100 };
    try {
      const response = await postJson(`/api/patterns/${kind}`, body);
      const result = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(errorText(result, response.status));
      this.drawing = false;
      this.render();
      this.planner.insertItems(result.items as Item[]);
      this.planner.say("area.added", {
        kind: t(`area.kind.${kind}`),
        n: result.waypoints,
        lines: result.lines,
        km: (result.length_m / 1000).toFixed(2),
      });
    } catch (error) {
      this.planner.fail(error);
    }
  }

  private redraw(): void {
    const features: GeoJSON.Feature[] = this.vertices.map((c, index) => ({
      type: "Feature",
      properties: { index },
      geometry: { type: "Point", coordinates: c },
    }));
    if (this.areaKind === "survey" && this.vertices.length >= 3) {
      features.push({ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [[...this.vertices, this.vertices[0]]] } });
    } else if (this.vertices.length >= 2) {
      features.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: this.vertices } });
    }
    (this.map.getSource(SOURCE) as maplibregl.GeoJSONSource).setData({ type: "FeatureCollection", features });
  }

  private render(): void {
    const corridor = this.areaKind === "corridor";
    this.width.hidden = !corridor;
    this.widthLabel.hidden = !corridor;
    this.draw.setAttribute("aria-pressed", String(this.drawing));
    this.finish.disabled = this.vertices.length < this.needed;
    this.cancel.disabled = !this.drawing && !this.vertices.length;
    this.hint.hidden = !this.drawing;
    this.hint.textContent = t(`area.hint.${this.areaKind}`);
    this.count.textContent = this.vertices.length ? t("area.vertices", { n: this.vertices.length }) : "";
    this.count.dataset.vertices = String(this.vertices.length);
  }

  relabel(): void {
    const value = this.kind.value || KINDS[0];
    this.kind.replaceChildren(...KINDS.map((k) => element("option", { value: k, textContent: t(`area.kind.${k}`) })));
    this.kind.value = value;
    this.legend.textContent = t("area.legend");
    for (const [el, key] of this.labels) el.textContent = t(key);
    this.draw.textContent = t("area.draw");
    this.finish.textContent = t("area.finish");
    this.cancel.textContent = t("area.cancel");
    this.render();
  }
}
