import "maplibre-gl/dist/maplibre-gl.css";
import "./style.css";
import maplibregl from "maplibre-gl";
import { api, apiJson, AuthError, login, logout, Me, onTokenRenewed, postJson, refresh } from "./api";
import { formatNumber, lang, Lang, LANGS, onLangChange, setLang, t, timeElement, translateDom } from "./i18n";
import { DetectionLayer } from "./detections";
import { addStaticLayers, createMap, RegionInfo, VehicleLayer, zonePopupContent } from "./map";
import { CameraPanel } from "./cameras";
import { MissionFiles } from "./files";
import { Planner } from "./planner";
import { Replay } from "./replay";
import { SurveyTool } from "./survey";
import { ConnectionState, Telemetry } from "./telemetry";
import { VideoPanel } from "./video";
import { VersionList } from "./versions";
import { WallLayout } from "./wall";
import { ZonePicker } from "./zonepick";

const STALE_AFTER_MS = 5000;
const LANG_NAMES: Record<Lang, string> = { en: "English", cs: "Čeština", pl: "Polski" };

interface Vehicle {
  id: string;
  state?: string;
  armed?: boolean;
  in_air?: boolean;
  flight_mode?: string | null;
  position?: {
    lon: number;
    lat: number;
    alt_amsl_m: number;
    alt_rel_m: number;
    ground_speed_mps: number;
    heading_deg: number | null;
    time_utc: string;
  } | null;
  ground_amsl_m?: number | null;
  battery_pct?: number | null;
  link_connected?: boolean;
  mission_current?: number | null;
  mission_total?: number | null;
  last_position_ms?: number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const state = {
  me: null as Me | null,
  vehicles: new Map<string, Vehicle>(),
  selected: null as string | null,
  alerts: new Map<string, any>(),
  region: null as RegionInfo | null,
  map: null as maplibregl.Map | null,
  layer: null as VehicleLayer | null,
  detections: null as DetectionLayer | null,
  telemetry: null as Telemetry | null,
  connection: "connecting" as ConnectionState,
  picking: false,
  planner: null as Planner | null,
  survey: null as SurveyTool | null,
  replay: null as Replay | null,
  video: null as VideoPanel | null,
  lastResult: null as { key: string; params: Record<string, string> } | null,
};
(window as any).borderwatch = state; // for the browser tests and the benchmark

// ---------------------------------------------------------------- language

function setupLanguageSelects(): void {
  document.querySelectorAll<HTMLSelectElement>("select.lang-select").forEach((select) => {
    select.replaceChildren(
      ...LANGS.map((code) => {
        const option = document.createElement("option");
        option.value = code;
        option.textContent = LANG_NAMES[code];
        option.lang = code;
        return option;
      }),
    );
    select.value = lang();
    select.addEventListener("change", () => setLang(select.value as Lang));
  });
  onLangChange(() => {
    document.querySelectorAll<HTMLSelectElement>("select.lang-select").forEach((s) => (s.value = lang()));
    translateDom();
    renderAll();
    state.planner?.relabel();
    state.replay?.relabel();
    state.video?.relabel();
  });
}

// ---------------------------------------------------------------- login

function showLogin(messageKey?: string): void {
  state.telemetry?.stop();
  state.detections?.stop();
  $("app").hidden = true;
  $("login").hidden = false;
  const message = $("login-message");
  message.textContent = messageKey ? t(messageKey) : "";
  message.dataset.key = messageKey ?? "";
  $<HTMLInputElement>("username").focus();
}

async function onLoginSubmit(event: Event): Promise<void> {
  event.preventDefault();
  const message = $("login-message");
  message.textContent = "";
  try {
    await login($<HTMLInputElement>("username").value, $<HTMLInputElement>("password").value);
    $<HTMLInputElement>("password").value = "";
    await startApp();
  } catch (error) {
    message.textContent = error instanceof AuthError ? t(error.message) : t("login.error", { reason: String(error) });
  }
}

// ---------------------------------------------------------------- app

function can(permission: string): boolean {
  return !!state.me?.permissions.includes(permission);
}

async function startApp(): Promise<void> {
  state.me = await apiJson<Me>("/api/auth/me");
  $("login").hidden = true;
  $("app").hidden = false;
  document.body.dataset.role = state.me.role;
  renderUser();
  $("plan").hidden = !can("view_missions");
  if (!state.map) {
    state.map = createMap($("map"));
    state.map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), "top-left");
    state.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
    state.layer = new VehicleLayer(state.map, selectVehicle);
    state.map.on("click", (event) => {
      if (state.picking) finishPick(event.lngLat);
    });
    // While picking a go-to target the keyboard works from anywhere: Enter takes the map centre (move it
    // with the arrow keys on the focused map), Escape cancels.
    document.addEventListener("keydown", (event) => {
      if (!state.picking) {
        // "i" on the focused map: the zones at its centre (the keyboard's way to click a zone)
        if (event.key === "i" && state.map!.getContainer().contains(document.activeElement)) {
          const centre = state.map!.getCenter();
          const zone = zonePicker?.at(centre.lng, centre.lat);
          if (zone) showZone(zone, centre);
        }
        return;
      }
      if (event.key === "Enter") {
        event.preventDefault();
        void finishPick(state.map!.getCenter());
      } else if (event.key === "Escape") {
        event.preventDefault();
        cancelPick();
      }
    });
    (window as any).borderwatchMap = state.map;
    let idles = 0;
    state.map.on("idle", () => (document.body.dataset.mapIdle = String(++idles)));
    try {
      state.region = await apiJson<RegionInfo>("/api/map/region");
      $("terrain-notice").hidden = state.region.terrain.loaded;
      document.body.dataset.terrain = state.region.terrain.loaded ? "loaded" : "none";
      zonePicker = await addStaticLayers(state.map, state.region, showZone);
      state.planner = new Planner(state.map, {
        vehicle: () => {
          const v = state.selected ? state.vehicles.get(state.selected) : undefined;
          if (!v) return null;
          return {
            id: v.id,
            lon: v.position?.lon,
            lat: v.position?.lat,
            missionCurrent: v.mission_current,
            missionTotal: v.mission_total,
          };
        },
        can,
      });
      state.survey = new SurveyTool(state.map, state.planner, $("plan-area-box"));
      new MissionFiles(state.planner, $("plan-files"));
      new VersionList(state.planner, $("plan-versions-box"));
      state.replay = new Replay(state.map, can);
      state.detections = new DetectionLayer(state.map);
      new CameraPanel(state.map, $("alerts-heading").closest("section"));
      new WallLayout(state.map);
      document.body.dataset.layers = "ready";
    } catch (error) {
      console.error("map layers", error);
    }
  }
  state.video ??= new VideoPanel(can);
  void state.video.load();
  state.video.startRefresh();
  state.detections?.start();
  const vehicles = await apiJson<any[]>("/api/vehicles");
  for (const v of vehicles) {
    state.vehicles.set(v.vehicle_id, {
      id: v.vehicle_id,
      state: v.state,
      armed: v.armed,
      in_air: v.in_air,
      flight_mode: v.flight_mode,
      position: v.position,
      battery_pct: v.battery_remaining_pct,
      link_connected: v.link_connected,
      mission_current: v.mission_current,
      mission_total: v.mission_total,
      last_position_ms: v.position ? performance.now() : undefined,
    });
    if (v.position) state.layer!.update(v.vehicle_id, v.position);
  }
  await reloadAlerts();
  if (!state.selected && vehicles.length) state.selected = vehicles[0].vehicle_id;
  renderAll();
  state.telemetry?.stop();
  state.telemetry = new Telemetry({
    onTelemetry,
    onAlert: (alert) => {
      const known = state.alerts.get(alert.alert_id);
      state.alerts.set(alert.alert_id, { ...known, ...alert });
      renderAlerts();
    },
    onState: (connection) => {
      const reconnected = connection === "live" && state.connection === "reconnecting";
      state.connection = connection;
      renderConnection();
      if (reconnected) void reloadAlerts(); // alerts raised while the socket was down
    },
    onAuthLost: (reason) => showLogin(reason === "disabled" ? "login.disabled" : "login.expired"),
  });
  state.telemetry.start();
}

async function reloadAlerts(): Promise<void> {
  const alerts = await apiJson<any[]>("/api/alerts?limit=200");
  state.alerts.clear();
  for (const alert of alerts) state.alerts.set(alert.alert_id, alert);
  renderAlerts();
}

onTokenRenewed((accessToken) => state.telemetry?.renew(accessToken));

function onTelemetry(id: string, data: Record<string, any>): void {
  const v = state.vehicles.get(id) ?? { id };
  state.vehicles.set(id, v);
  if (data.position) {
    const p = data.position;
    v.position = {
      lon: p.lon,
      lat: p.lat,
      alt_amsl_m: p.alt_amsl_m,
      alt_rel_m: p.alt_rel_m,
      ground_speed_mps: Math.hypot(p.vn_mps, p.ve_mps),
      heading_deg: p.heading_deg ?? null,
      time_utc: p.time_utc,
    };
    v.last_position_ms = performance.now();
    state.layer?.update(id, v.position);
    state.layer?.setStale(id, false);
  }
  if (data.status) {
    Object.assign(v, {
      state: data.status.state,
      armed: data.status.armed,
      in_air: data.status.in_air,
      flight_mode: data.status.flight_mode,
    });
  }
  if (data.battery) v.battery_pct = data.battery.remaining_pct;
  if (data.link) v.link_connected = data.link.connected;
  if (data.mission) {
    v.mission_current = data.mission.current;
    v.mission_total = data.mission.total;
  }
  scheduleRender();
}

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderFleet();
    renderHud();
  });
}

function renderAll(): void {
  renderUser();
  renderConnection();
  renderFleet();
  renderHud();
  renderAlerts();
}

function renderUser(): void {
  if (!state.me) return;
  $("user").textContent = t("user.as", { user: state.me.username, role: t(`role.${state.me.role}`) });
}

function renderConnection(): void {
  const el = $("connection");
  el.dataset.state = state.connection;
  el.textContent = t(`conn.${state.connection}`);
}

function isStale(v: Vehicle): boolean {
  return v.last_position_ms === undefined || performance.now() - v.last_position_ms > STALE_AFTER_MS;
}

/** Updates the fleet buttons in place (never re-created per frame: focus and clicks stay put). */
function renderFleet(): void {
  const list = $("fleet-list");
  if (!state.vehicles.size) {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: t("fleet.none") }));
    return;
  }
  const present = new Map<string, HTMLButtonElement>();
  list.querySelectorAll<HTMLButtonElement>("button.fleet-item").forEach((b) => present.set(b.dataset.vehicleId!, b));
  if (present.size !== state.vehicles.size) list.replaceChildren();
  for (const v of state.vehicles.values()) {
    let button = present.get(v.id);
    if (!button || !button.isConnected) {
      const li = document.createElement("li");
      button = document.createElement("button");
      button.type = "button";
      button.className = "fleet-item";
      button.dataset.vehicleId = v.id;
      const id = v.id;
      button.addEventListener("click", () => selectVehicle(id));
      li.append(button);
      list.append(li);
    }
    const stale = isStale(v) ? ` · ${t("hud.stale")}` : "";
    const text = `${v.id} · ${v.flight_mode ?? v.state ?? "—"}${stale}`;
    if (button.textContent !== text) button.textContent = text;
    const pressed = String(v.id === state.selected);
    if (button.getAttribute("aria-pressed") !== pressed) button.setAttribute("aria-pressed", pressed);
  }
}

function selectVehicle(id: string): void {
  state.selected = id;
  state.layer?.setSelected(id);
  renderFleet();
  renderHud();
}

/** Sets one HUD value, creating its row once; labels follow the language, values update in place. */
function hudRow(dl: HTMLElement, key: string, value: string, field: string): void {
  let dd = dl.querySelector<HTMLElement>(`dd[data-field="${field}"]`);
  if (!dd) {
    const dt = document.createElement("dt");
    dt.dataset.key = key;
    dd = document.createElement("dd");
    dd.dataset.field = field;
    dl.append(dt, dd);
  }
  const dt = dd.previousElementSibling as HTMLElement;
  if (dt.textContent !== t(key)) dt.textContent = t(key);
  if (dd.textContent !== value) dd.textContent = value;
}

function renderHud(): void {
  const v = state.selected ? state.vehicles.get(state.selected) : undefined;
  const title = $("hud-title");
  const dl = $("hud-values");
  renderCommands(!!v);
  if (!v) {
    title.textContent = t("hud.none");
    dl.replaceChildren();
    return;
  }
  title.textContent = t("hud.heading", { id: v.id });
  const p = v.position;
  const stale = isStale(v);
  hudRow(dl, "hud.state", v.state ?? t("unknown"), "state");
  hudRow(dl, "hud.mode", v.flight_mode ?? t("unknown"), "mode");
  hudRow(dl, "hud.armed", v.armed ? t("hud.yes") : t("hud.no"), "armed");
  const terrainKnown = state.region?.terrain.loaded && v.ground_amsl_m != null;
  hudRow(
    dl,
    "hud.agl",
    p && terrainKnown ? `${formatNumber(p.alt_amsl_m - v.ground_amsl_m!)} m` : t("hud.terrainUnknown"),
    "agl",
  );
  hudRow(dl, "hud.amsl", p ? `${formatNumber(p.alt_amsl_m)} m` : "—", "amsl");
  hudRow(dl, "hud.speed", p ? `${formatNumber(p.ground_speed_mps, 1)} m/s` : "—", "speed");
  hudRow(dl, "hud.heading_deg", p?.heading_deg != null ? `${formatNumber(p.heading_deg)}°` : "—", "heading");
  hudRow(dl, "hud.battery", v.battery_pct != null ? `${formatNumber(v.battery_pct)} %` : "—", "battery");
  const age = v.last_position_ms === undefined ? null : (performance.now() - v.last_position_ms) / 1000;
  const ageText = age === null ? "" : `${formatNumber(age, age < 10 ? 1 : 0)} s`;
  hudRow(
    dl,
    "hud.gps",
    p ? (stale ? `${t("hud.stale")} (${ageText})` : t("hud.fix", { age: ageText })) : t("hud.noFix"),
    "gps",
  );
  hudRow(dl, "hud.link", v.link_connected ? t("hud.linkUp") : t("hud.linkDown"), "link");
  hudRow(
    dl,
    "hud.mission",
    v.mission_total ? t("hud.missionProgress", { current: (v.mission_current ?? 0) + 1, total: v.mission_total }) : t("hud.missionNone"),
    "mission",
  );
  if (p && state.region?.terrain.loaded) void fetchGround(v);
  renderResult();
  state.planner?.renderButtons();
  state.planner?.renderProgress();
}

const groundRequests = new Map<string, number>();
async function fetchGround(v: Vehicle): Promise<void> {
  const now = performance.now();
  if ((groundRequests.get(v.id) ?? 0) > now - 2000 || !v.position) return;
  groundRequests.set(v.id, now);
  const response = await api(`/api/terrain/elevation?lon=${v.position.lon}&lat=${v.position.lat}`);
  if (!response.ok) return;
  const body = await response.json();
  v.ground_amsl_m = body.elevation_amsl_m; // refreshed every 2 s at most; kept in between (no flicker)
  scheduleRender();
}

// ---------------------------------------------------------------- commands

const COMMANDS = ["arm", "takeoff", "mission_start", "pause", "resume", "goto", "rtl", "land", "disarm"];

/** Command buttons exist only for roles that may command (a partner viewer gets none in the page). */
function renderCommands(show: boolean): void {
  const box = $("commands");
  const allowed = show && can("command_vehicles");
  box.hidden = !allowed;
  if (!allowed) {
    box.replaceChildren();
    return;
  }
  const existing = box.querySelectorAll("button[data-command]");
  if (existing.length === COMMANDS.length && box.dataset.lang === lang()) return; // keep focus stable
  const heading = document.createElement("h3");
  heading.textContent = t("cmd.heading");
  heading.id = "commands-heading";
  const buttons = COMMANDS.map((name) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `command cmd-${name}`;
    button.dataset.command = name;
    button.textContent = t(`cmd.${name}`);
    button.addEventListener("click", () => void command(name));
    return button;
  });
  box.dataset.lang = lang();
  box.replaceChildren(heading, ...buttons);
}

const COMMAND_PATHS: Record<string, string> = {
  arm: "arm",
  disarm: "disarm",
  takeoff: "takeoff",
  mission_start: "mission/start",
  pause: "pause",
  resume: "resume",
  rtl: "rtl",
  land: "land",
  goto: "goto",
};

function confirmDialog(text: string): Promise<boolean> {
  const dialog = $<HTMLDialogElement>("confirm");
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      dialog.close();
      $("confirm-yes").onclick = null;
      $("confirm-no").onclick = null;
      resolve(answer);
    };
    $("confirm-yes").onclick = () => done(true);
    $("confirm-no").onclick = () => done(false);
    dialog.oncancel = () => done(false);
    dialog.showModal();
    $("confirm-no").focus();
  });
}

async function command(name: string): Promise<void> {
  const id = state.selected;
  if (!id) return;
  if (name === "goto") {
    state.picking = true;
    $("pick-hint").hidden = false;
    state.map?.getCanvas().focus();
    return;
  }
  if (!(await confirmDialog(t("cmd.confirm", { command: t(`cmd.${name}`), id })))) return;
  await send(id, name, name === "takeoff" ? {} : undefined);
}

function cancelPick(): void {
  state.picking = false;
  $("pick-hint").hidden = true;
}

async function finishPick(lngLat: maplibregl.LngLat): Promise<void> {
  cancelPick();
  const id = state.selected;
  const v = id ? state.vehicles.get(id) : undefined;
  if (!id || !v) return;
  const alt = v.position ? v.position.alt_amsl_m : 0;
  const text = t("cmd.confirmGoto", {
    id,
    lat: formatNumber(lngLat.lat, 5),
    lon: formatNumber(lngLat.lng, 5),
    alt: formatNumber(alt),
  });
  if (!(await confirmDialog(text))) return;
  await send(id, "goto", { lon: lngLat.lng, lat: lngLat.lat, alt_amsl_m: alt });
}

async function send(id: string, name: string, body?: unknown): Promise<void> {
  const params = { id, command: name };
  state.lastResult = { key: "cmd.sending", params };
  renderResult();
  const response = await postJson(`/api/vehicles/${encodeURIComponent(id)}/${COMMAND_PATHS[name]}`, body);
  if (response.ok) {
    state.lastResult = { key: "cmd.accepted", params };
  } else {
    const error = await response.json().catch(() => ({}));
    const reasonKey = error.code
      ? `refusal.${error.code}`
      : response.status === 403
        ? "refusal.forbidden"
        : "refusal.other";
    state.lastResult = {
      key: "cmd.refused",
      params: {
        ...params,
        reasonKey,
        reason: error.reason ?? "",
        said: error.autopilot_text ?? "",
        status: String(response.status),
        code: error.code ?? "",
      },
    };
  }
  renderResult();
}

function renderResult(): void {
  const el = $("command-result");
  const result = state.lastResult;
  if (!result || result.params.id !== state.selected) {
    el.textContent = "";
    el.dataset.outcome = "";
    return;
  }
  const p: Record<string, string> = { ...result.params, command: t(`cmd.${result.params.command}`) };
  if (result.key === "cmd.refused") {
    const known = p.reason ? t(`result.${p.reason}`) : "";
    const autopilot = known && known !== `result.${p.reason}` ? known : p.reason || t("unknown");
    const reason = t(p.reasonKey, { reason: autopilot, status: p.status });
    // the autopilot's own words (English, as PX4 sends them) follow the translated reason
    el.textContent = t("cmd.refused", { ...p, reason }) + (p.said ? ` — ${p.said}` : "");
    el.dataset.outcome = "refused";
    el.dataset.code = p.code;
  } else {
    el.textContent = t(result.key, p);
    el.dataset.outcome = result.key === "cmd.accepted" ? "accepted" : "sending";
  }
}

// ---------------------------------------------------------------- alerts

const alertMarkers = new Map<string, maplibregl.Marker>();

function renderAlerts(): void {
  const list = $("alert-list");
  const alerts = [...state.alerts.values()].sort((a, b) => (a.time_utc < b.time_utc ? 1 : -1));
  const open = alerts.filter((a) => !a.acknowledged_by && a.active !== false);
  const critical = open.find((a) => a.severity === "CRITICAL");
  const banner = $("critical-banner");
  banner.hidden = !critical;
  banner.textContent = critical ? t("alerts.critical", { message: alertText(critical) }) : "";
  document.body.classList.toggle("critical", !!critical);
  if (!alerts.length) {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: t("alerts.none") }));
  } else {
    list.replaceChildren(...alerts.slice(0, 100).map(alertItem));
  }
  if (!state.map) return;
  for (const [id, marker] of alertMarkers) {
    if (!open.some((a) => a.alert_id === id)) {
      marker.remove();
      alertMarkers.delete(id);
    }
  }
  for (const alert of open) {
    if (alert.lon == null || alert.lat == null || alertMarkers.has(alert.alert_id)) continue;
    const el = document.createElement("div");
    el.className = `alert-marker sev-${alert.severity}`;
    el.setAttribute("role", "img");
    el.setAttribute("aria-label", `${t(`sev.${alert.severity}`)}: ${alertText(alert)}`);
    el.title = alertText(alert);
    el.textContent = "!";
    alertMarkers.set(alert.alert_id, new maplibregl.Marker({ element: el, offset: [16, -16] }).setLngLat([alert.lon, alert.lat]).addTo(state.map));
  }
}

function alertText(alert: any): string {
  return alert.messages?.[lang()] ?? alert.message;
}

function alertItem(alert: any): HTMLElement {
  const li = document.createElement("li");
  li.className = `alert sev-${alert.severity}`;
  li.dataset.alertId = alert.alert_id;
  const head = document.createElement("div");
  const sev = document.createElement("strong");
  sev.textContent = t(`sev.${alert.severity}`);
  head.append(sev, ` · ${alert.vehicle_id ?? "—"} · `, timeElement(alert.time_utc));
  const text = document.createElement("p");
  text.textContent = alertText(alert);
  li.append(head, text);
  if (alert.acknowledged_by) {
    const note = document.createElement("p");
    note.className = "acked";
    note.textContent = t("alerts.acked", { user: alert.acknowledged_by });
    li.append(note);
  } else if (can("acknowledge_alerts")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "ack";
    button.textContent = t("alerts.ack");
    button.setAttribute("aria-label", t("alerts.ackLabel", { kind: alert.kind, vehicle: alert.vehicle_id ?? "—" }));
    button.addEventListener("click", async () => {
      const response = await postJson(`/api/alerts/${encodeURIComponent(alert.alert_id)}/acknowledge`);
      if (response.ok) {
        state.alerts.set(alert.alert_id, await response.json());
        renderAlerts();
      }
    });
    li.append(button);
  }
  return li;
}

let zonePicker: ZonePicker | null = null;

function showZone(zone: any, lngLat: maplibregl.LngLat): void {
  if (state.planner?.adding || state.survey?.drawing) return; // a click while planning draws, not a popup
  new maplibregl.Popup({ closeButton: true, maxWidth: "320px" })
    .setLngLat(lngLat)
    .setDOMContent(zonePopupContent(zone))
    .addTo(state.map!);
}

// ---------------------------------------------------------------- start

window.setInterval(() => {
  for (const v of state.vehicles.values()) state.layer?.setStale(v.id, isStale(v));
  if (state.me) {
    renderFleet();
    renderHud();
  }
}, 1000);

// A session that can no longer be refreshed (logged out elsewhere, expired, user disabled) ends here.
window.addEventListener("unhandledrejection", (event) => {
  if (event.reason instanceof AuthError) {
    event.preventDefault();
    state.me = null;
    showLogin(event.reason.message);
  }
});

async function boot(): Promise<void> {
  document.documentElement.lang = lang();
  setupLanguageSelects();
  translateDom();
  $("login-form").addEventListener("submit", (e) => void onLoginSubmit(e));
  $("logout").addEventListener("click", async () => {
    await logout();
    state.me = null;
    showLogin();
  });
  if (await refresh()) {
    try {
      await startApp();
      return;
    } catch (error) {
      console.error(error);
    }
  }
  showLogin();
}

void boot();
