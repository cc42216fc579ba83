// The saved versions of the mission being planned (the service keeps every one, immutable): listed with
// author and time, and any of them loaded back into the editor. Saving after that makes a new version;
// nothing is overwritten.
import { api, apiJson } from "./api";
import { addStrings, onLangChange, t, timeElement } from "./i18n";
import { Planner } from "./planner";

addStrings({
  en: {
    "versions.heading": "Saved versions",
    "versions.none": "Not saved yet: “Save version” keeps one.",
    "versions.entry": "Version {version}, {items} items, by {user}",
    "versions.load": "Load",
    "versions.loadLabel": "Load version {version} into the editor",
    "versions.current": "(in the editor)",
    "versions.loaded": "Loaded version {version} ({items} items) into the editor.",
  },
  cs: {
    "versions.heading": "Uložené verze",
    "versions.none": "Zatím neuloženo: „Uložit verzi“ jednu uchová.",
    "versions.entry": "Verze {version}, položek {items}, uložil(a) {user}",
    "versions.load": "Načíst",
    "versions.loadLabel": "Načíst verzi {version} do editoru",
    "versions.current": "(v editoru)",
    "versions.loaded": "Verze {version} ({items} položek) načtena do editoru.",
  },
  pl: {
    "versions.heading": "Zapisane wersje",
    "versions.none": "Jeszcze niezapisana: „Zapisz wersję” zachowuje jedną.",
    "versions.entry": "Wersja {version}, elementów {items}, zapisał(a) {user}",
    "versions.load": "Wczytaj",
    "versions.loadLabel": "Wczytaj wersję {version} do edytora",
    "versions.current": "(w edytorze)",
    "versions.loaded": "Wczytano wersję {version} ({items} elementów) do edytora.",
  },
});

interface VersionView {
  mission_id: string;
  version: number;
  created_by: string;
  created_at: string;
  mission: { items: unknown[] };
}

export class VersionList {
  versions: VersionView[] = [];
  private readonly heading: HTMLElement;
  private readonly list: HTMLOListElement;
  private loaded: string | null = null;

  constructor(
    private readonly planner: Planner,
    container: HTMLElement,
  ) {
    const details = document.createElement("details");
    details.id = "plan-versions";
    details.className = "plan-versions";
    details.open = true;
    this.heading = document.createElement("summary");
    this.list = document.createElement("ol");
    this.list.id = "plan-version-list";
    this.list.className = "plan-version-list";
    details.append(this.heading, this.list);
    container.replaceChildren(details);
    planner.onMissionChange(() => void this.refresh());
    onLangChange(() => this.render());
    this.render();
  }

  /** The list of the planner's mission from the service (once per save, import or load). */
  async refresh(): Promise<void> {
    const id = this.planner.missionId;
    if (!id) {
      this.versions = [];
      this.loaded = null;
      this.render();
      return;
    }
    const versions = await apiJson<VersionView[]>(`/api/missions/${id}/versions`);
    if (id !== this.planner.missionId) return; // the planner moved on meanwhile
    this.versions = versions.sort((a, b) => b.version - a.version);
    this.loaded = id;
    this.render();
  }

  async load(version: number): Promise<void> {
    const id = this.planner.missionId;
    if (!id) return;
    try {
      const response = await api(`/api/missions/${id}/versions/${version}`);
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail ?? String(response.status));
      this.planner.load(body, "versions.loaded");
    } catch (error) {
      this.planner.fail(error);
    }
  }

  private render(): void {
    this.heading.textContent = t("versions.heading");
    const list = this.list;
    list.dataset.missionId = this.loaded ?? "";
    list.dataset.count = String(this.versions.length);
    if (!this.versions.length) {
      list.replaceChildren(Object.assign(document.createElement("li"), { textContent: t("versions.none") }));
      return;
    }
    list.replaceChildren(
      ...this.versions.map((v) => {
        const li = document.createElement("li");
        li.dataset.version = String(v.version);
        const current = v.version === this.planner.savedVersion && !this.planner.dirty;
        if (current) li.setAttribute("aria-current", "true");
        const text = document.createElement("span");
        text.textContent = `${t("versions.entry", { version: v.version, items: v.mission.items.length, user: v.created_by })} · `;
        li.append(text, timeElement(v.created_at));
        if (current) li.append(` ${t("versions.current")}`);
        const button = document.createElement("button");
        button.type = "button";
        button.className = "plan-version-load";
        button.textContent = t("versions.load");
        button.setAttribute("aria-label", t("versions.loadLabel", { version: v.version }));
        button.addEventListener("click", () => void this.load(v.version));
        li.append(button);
        return li;
      }),
    );
  }
}
