// The big-screen layout for a commander's wall display (?layout=wall, or the toggle in the top bar): the map
// fills the middle, fleet and alerts stand in a column on its left, flights, audit trail and cameras on its
// right; planning and vehicle commands are hidden (a wall is for watching), and the type is larger.
import maplibregl from "maplibre-gl";
import { addStrings, onLangChange, t } from "./i18n";

addStrings({
  en: { "wall.toggle": "Wall layout", "wall.left": "Fleet and alerts" },
  cs: { "wall.toggle": "Rozložení pro velkou obrazovku", "wall.left": "Stroje a výstrahy" },
  pl: { "wall.toggle": "Układ na duży ekran", "wall.left": "Flota i alarmy" },
});

const MOVED = ["fleet-heading", "alerts-heading"];

export class WallLayout {
  on = false;
  private readonly button: HTMLButtonElement;
  private readonly left: HTMLElement;
  private readonly homes = new Map<HTMLElement, Comment>();

  constructor(private readonly map: maplibregl.Map) {
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.id = "wall-toggle";
    this.button.addEventListener("click", () => this.set(!this.on));
    document.getElementById("logout")?.before(this.button);
    this.left = document.createElement("aside");
    this.left.id = "wall-left";
    this.left.className = "side wall-left";
    this.left.hidden = true;
    document.querySelector(".map-area")?.before(this.left);
    onLangChange(() => this.relabel());
    this.relabel();
    this.set(new URLSearchParams(location.search).get("layout") === "wall");
  }

  set(on: boolean): void {
    this.on = on;
    document.body.dataset.layout = on ? "wall" : "desk";
    this.button.setAttribute("aria-pressed", String(on));
    this.left.hidden = !on;
    for (const id of MOVED) {
      const section = document.getElementById(id)?.closest("section");
      if (!section) continue;
      if (on && !this.homes.has(section)) {
        const home = document.createComment(`home of ${id}`);
        section.before(home);
        this.homes.set(section, home);
        this.left.append(section);
      } else if (!on && this.homes.has(section)) {
        this.homes.get(section)!.replaceWith(section);
        this.homes.delete(section);
      }
    }
    const url = new URL(location.href);
    if (on) url.searchParams.set("layout", "wall");
    else url.searchParams.delete("layout");
    history.replaceState(null, "", url);
    this.map.resize();
  }

  private relabel(): void {
    this.button.textContent = t("wall.toggle");
    this.left.setAttribute("aria-label", t("wall.left"));
  }
}
