// The last look before a mission flies: a modal dialog naming the mission, its item count and version, the
// validation verdict and the vehicle, for Start and for an upload that overrides failed validation. Cancel
// is focused first; Escape cancels.
import { addStrings, t } from "./i18n";

addStrings({
  en: {
    "confirm.start.title": "Start this mission?",
    "confirm.override.title": "Upload this mission despite its errors?",
    "confirm.mission": "Mission",
    "confirm.items": "Items",
    "confirm.version": "Version",
    "confirm.verdict": "Verdict",
    "confirm.vehicle": "Vehicle",
    "confirm.reason": "Override reason (goes to the audit log)",
    "confirm.unsaved": "not saved yet",
    "confirm.start.yes": "Start mission",
    "confirm.override.yes": "Upload with override",
    "confirm.cancel": "Cancel",
    "confirm.notLegal": "The mission is NOT LEGAL ({errors} error(s)).",
  },
  cs: {
    "confirm.start.title": "Spustit tuto misi?",
    "confirm.override.title": "Nahrát tuto misi přes chyby?",
    "confirm.mission": "Mise",
    "confirm.items": "Položky",
    "confirm.version": "Verze",
    "confirm.verdict": "Výsledek kontroly",
    "confirm.vehicle": "Stroj",
    "confirm.reason": "Důvod přebití (zapíše se do auditu)",
    "confirm.unsaved": "zatím neuloženo",
    "confirm.start.yes": "Spustit misi",
    "confirm.override.yes": "Nahrát s přebitím",
    "confirm.cancel": "Zrušit",
    "confirm.notLegal": "Mise NENÍ POVOLENA (chyb: {errors}).",
  },
  pl: {
    "confirm.start.title": "Rozpocząć tę misję?",
    "confirm.override.title": "Wysłać tę misję mimo błędów?",
    "confirm.mission": "Misja",
    "confirm.items": "Elementy",
    "confirm.version": "Wersja",
    "confirm.verdict": "Wynik sprawdzenia",
    "confirm.vehicle": "Statek",
    "confirm.reason": "Powód obejścia (trafia do dziennika audytu)",
    "confirm.unsaved": "jeszcze niezapisana",
    "confirm.start.yes": "Rozpocznij misję",
    "confirm.override.yes": "Wyślij z obejściem",
    "confirm.cancel": "Anuluj",
    "confirm.notLegal": "Misja jest NIEDOZWOLONA (błędów: {errors}).",
  },
});

export interface MissionConfirmation {
  action: "start" | "override";
  name: string;
  items: number;
  version: number | null;
  verdict: string;
  verdictText: string;
  errors: number;
  vehicle: string;
  reason?: string;
}

function dialog(): HTMLDialogElement {
  let el = document.getElementById("mission-confirm") as HTMLDialogElement | null;
  if (el) return el;
  el = document.createElement("dialog");
  el.id = "mission-confirm";
  el.className = "mission-confirm";
  el.setAttribute("aria-labelledby", "mission-confirm-title");
  el.setAttribute("aria-describedby", "mission-confirm-facts");
  document.body.append(el);
  return el;
}

/** Resolves true only when the pilot presses the confirm button. */
export function confirmMission(c: MissionConfirmation): Promise<boolean> {
  const el = dialog();
  const title = document.createElement("h2");
  title.id = "mission-confirm-title";
  title.textContent = t(`confirm.${c.action}.title`);
  const facts = document.createElement("dl");
  facts.id = "mission-confirm-facts";
  facts.className = "mission-confirm-facts";
  const row = (key: string, value: string, field: string) => {
    const dt = document.createElement("dt");
    dt.textContent = t(key);
    const dd = document.createElement("dd");
    dd.dataset.field = field;
    dd.textContent = value;
    facts.append(dt, dd);
  };
  row("confirm.mission", c.name, "name");
  row("confirm.items", String(c.items), "items");
  row("confirm.version", c.version === null ? t("confirm.unsaved") : String(c.version), "version");
  row("confirm.verdict", c.verdictText, "verdict");
  row("confirm.vehicle", c.vehicle, "vehicle");
  if (c.reason) row("confirm.reason", c.reason, "reason");
  const children: HTMLElement[] = [title, facts];
  if (c.verdict !== "legal") {
    const warning = document.createElement("p");
    warning.className = "mission-confirm-warning";
    warning.setAttribute("role", "alert");
    warning.textContent = t("confirm.notLegal", { errors: c.errors });
    children.push(warning);
  }
  const buttons = document.createElement("div");
  buttons.className = "dialog-buttons";
  const no = document.createElement("button");
  no.type = "button";
  no.id = "mission-confirm-no";
  no.textContent = t("confirm.cancel");
  const yes = document.createElement("button");
  yes.type = "button";
  yes.id = "mission-confirm-yes";
  yes.className = "primary";
  yes.textContent = t(`confirm.${c.action}.yes`);
  buttons.append(no, yes);
  children.push(buttons);
  el.replaceChildren(...children);
  el.dataset.action = c.action;
  el.dataset.verdict = c.verdict;
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      el.oncancel = null;
      if (el.open) el.close();
      resolve(answer);
    };
    yes.addEventListener("click", () => done(true));
    no.addEventListener("click", () => done(false));
    el.oncancel = () => done(false);
    el.showModal();
    no.focus();
  });
}
