// KML and GeoJSON in the planner: import a file as a new mission, export the draft's saved version. The
// service parses and writes them (missions.formats); KML is lossy (heights above home become heights
// above sea level, fence and rally points are dropped), GeoJSON from borderwatch reads back exactly.
import { api } from "./api";
import { addStrings, onLangChange, t } from "./i18n";
import { errorText, Planner } from "./planner";

addStrings({
  en: {
    "files.import": "Import KML or GeoJSON",
    "files.exportKml": "Export KML",
    "files.exportGeojson": "Export GeoJSON",
    "files.imported": "Imported {format} as a new mission ({items} items).",
    "files.unknown": "Unknown file type: use .kml, .geojson or .json",
    "files.lossy": "KML export is lossy: heights above home become heights above sea level, fence and rally points are left out.",
  },
  cs: {
    "files.import": "Importovat KML nebo GeoJSON",
    "files.exportKml": "Exportovat KML",
    "files.exportGeojson": "Exportovat GeoJSON",
    "files.imported": "{format} importováno jako nová mise ({items} položek).",
    "files.unknown": "Neznámý typ souboru: použijte .kml, .geojson nebo .json",
    "files.lossy": "Export do KML je ztrátový: výšky nad startem se převedou na výšky nad mořem, geoplot a záchranné body se vynechají.",
  },
  pl: {
    "files.import": "Importuj KML lub GeoJSON",
    "files.exportKml": "Eksportuj KML",
    "files.exportGeojson": "Eksportuj GeoJSON",
    "files.imported": "Zaimportowano {format} jako nową misję ({items} elementów).",
    "files.unknown": "Nieznany typ pliku: użyj .kml, .geojson lub .json",
    "files.lossy": "Eksport do KML jest stratny: wysokości nad startem stają się wysokościami nad poziomem morza, geoogrodzenie i punkty zbiórki są pomijane.",
  },
});

type Format = "kml" | "geojson";
const MEDIA: Record<Format, string> = { kml: "application/vnd.google-earth.kml+xml", geojson: "application/geo+json" };

function formatOf(file: File): Format | null {
  const name = file.name.toLowerCase();
  if (name.endsWith(".kml")) return "kml";
  if (name.endsWith(".geojson") || name.endsWith(".json")) return "geojson";
  return null;
}

export class MissionFiles {
  private readonly label: HTMLLabelElement;
  private readonly input: HTMLInputElement;
  private readonly exportKml: HTMLButtonElement;
  private readonly exportGeojson: HTMLButtonElement;
  private readonly note: HTMLParagraphElement;

  constructor(
    private readonly planner: Planner,
    container: HTMLElement,
  ) {
    const row = document.createElement("div");
    row.className = "plan-row";
    this.label = Object.assign(document.createElement("label"), { htmlFor: "plan-import-geo" });
    this.input = Object.assign(document.createElement("input"), {
      type: "file",
      id: "plan-import-geo",
      accept: ".kml,.geojson,.json,application/vnd.google-earth.kml+xml,application/geo+json",
    });
    this.exportKml = Object.assign(document.createElement("button"), { type: "button", id: "plan-export-kml" });
    this.exportGeojson = Object.assign(document.createElement("button"), { type: "button", id: "plan-export-geojson" });
    this.exportKml.setAttribute("aria-describedby", "plan-files-note");
    this.note = Object.assign(document.createElement("p"), { id: "plan-files-note", className: "plan-files-note" });
    row.append(this.label, this.input, this.exportGeojson, this.exportKml);
    container.replaceChildren(row, this.note);
    this.input.addEventListener("change", () => {
      const file = this.input.files?.[0];
      if (file) void this.importFile(file).finally(() => (this.input.value = ""));
    });
    this.exportKml.addEventListener("click", () => void this.exportAs("kml"));
    this.exportGeojson.addEventListener("click", () => void this.exportAs("geojson"));
    planner.onMissionChange(() => this.render());
    onLangChange(() => this.relabel());
    this.relabel();
  }

  async importFile(file: File): Promise<void> {
    const format = formatOf(file);
    try {
      if (!format) throw new Error(t("files.unknown"));
      const response = await api(`/api/missions/${format}`, {
        method: "POST",
        headers: { "Content-Type": MEDIA[format] },
        body: await file.text(),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const problems = (body.detail?.problems ?? []).map((p: any) => `${p.location}: ${p.message}`).join("; ");
        throw new Error(problems || errorText(body, response.status));
      }
      this.planner.load(body, "files.imported", { format: format === "kml" ? "KML" : "GeoJSON" });
    } catch (error) {
      this.planner.fail(error);
    }
  }

  async exportAs(format: Format): Promise<void> {
    try {
      await this.planner.save();
      const planner = this.planner;
      const response = await api(`/api/missions/${planner.missionId}/${format}?version=${planner.savedVersion}`);
      if (!response.ok) throw new Error(errorText(await response.json().catch(() => ({})), response.status));
      const blob = await response.blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `${(planner.draft?.name || "mission").replace(/[^\w.-]+/g, "_")}.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      this.planner.fail(error);
    }
  }

  private render(): void {
    const none = !this.planner.draft;
    this.exportKml.disabled = none;
    this.exportGeojson.disabled = none;
  }

  relabel(): void {
    this.label.textContent = t("files.import");
    this.exportKml.textContent = t("files.exportKml");
    this.exportGeojson.textContent = t("files.exportGeojson");
    this.note.textContent = t("files.lossy");
    this.render();
  }
}
