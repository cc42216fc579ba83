// Live video in the page: the organisation's streams (drone gimbals and fixed cameras), one watched at a
// time as MJPEG in an <img>. A ticket is single-use and bound to stream and picture variant, so every
// (re)connection asks the service for a new one; the service decides which variants a role may watch.
import { apiJson, AuthError, postJson } from "./api";
import { addStrings, t } from "./i18n";

addStrings({
  en: {
    "video.state.starting": "starting",
    "video.state.live": "live",
    "video.state.stalled": "no picture",
    "video.state.stopped": "stopped",
    "video.heading": "Video",
    "video.none": "No video streams.",
    "video.unavailable": "The video service is not running.",
    "video.variant": "Picture",
    "video.variant.raw": "Camera picture",
    "video.variant.annotated": "Camera picture with position overlay",
    "video.variant.anonymised": "Anonymised (people and vehicles pixelated)",
    "video.variant.analytic": "Analytic only (no camera pixels)",
    "video.stream": "{id} · {kind} · {state}",
    "video.kind.gimbal": "drone camera",
    "video.kind.fixed": "fixed camera",
    "video.connecting": "Connecting to {id}…",
    "video.live": "{id}: live ({variant})",
    "video.lost": "{id}: picture interrupted, reconnecting…",
    "video.refused": "{id}: {reason}",
    "video.image": "Live picture of {id} ({variant})",
    "video.stop": "Stop video",
  },
  cs: {
    "video.state.starting": "spouští se",
    "video.state.live": "živě",
    "video.state.stalled": "bez obrazu",
    "video.state.stopped": "zastaveno",
    "video.heading": "Video",
    "video.none": "Žádné video přenosy.",
    "video.unavailable": "Video služba neběží.",
    "video.variant": "Obraz",
    "video.variant.raw": "Obraz kamery",
    "video.variant.annotated": "Obraz kamery s údaji o poloze",
    "video.variant.anonymised": "Anonymizovaný (osoby a vozidla rozostřeny)",
    "video.variant.analytic": "Pouze analytická data (bez obrazu kamery)",
    "video.stream": "{id} · {kind} · {state}",
    "video.kind.gimbal": "kamera dronu",
    "video.kind.fixed": "pevná kamera",
    "video.connecting": "Připojuji {id}…",
    "video.live": "{id}: živě ({variant})",
    "video.lost": "{id}: obraz přerušen, znovu se připojuji…",
    "video.refused": "{id}: {reason}",
    "video.image": "Živý obraz {id} ({variant})",
    "video.stop": "Zastavit video",
  },
  pl: {
    "video.state.starting": "uruchamianie",
    "video.state.live": "na żywo",
    "video.state.stalled": "brak obrazu",
    "video.state.stopped": "zatrzymany",
    "video.heading": "Wideo",
    "video.none": "Brak strumieni wideo.",
    "video.unavailable": "Usługa wideo nie działa.",
    "video.variant": "Obraz",
    "video.variant.raw": "Obraz kamery",
    "video.variant.annotated": "Obraz kamery z danymi o pozycji",
    "video.variant.anonymised": "Zanonimizowany (osoby i pojazdy rozpikselowane)",
    "video.variant.analytic": "Tylko dane analityczne (bez obrazu kamery)",
    "video.stream": "{id} · {kind} · {state}",
    "video.kind.gimbal": "kamera drona",
    "video.kind.fixed": "kamera stacjonarna",
    "video.connecting": "Łączenie z {id}…",
    "video.live": "{id}: na żywo ({variant})",
    "video.lost": "{id}: obraz przerwany, ponowne łączenie…",
    "video.refused": "{id}: {reason}",
    "video.image": "Obraz na żywo z {id} ({variant})",
    "video.stop": "Zatrzymaj wideo",
  },
});

interface StreamInfo {
  id: string;
  sensor: { kind: string; vehicle_id: string | null };
  kind: string;
  state: string;
  variants: string[];
}

interface Ticket {
  mjpeg_url: string;
}

type Status = { key: string; params: Record<string, string> };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 15000;
const LIST_REFRESH_MS = 5000;

export class VideoPanel {
  private streams: StreamInfo[] = [];
  private watching: { stream: StreamInfo; variant: string } | null = null;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer: number | undefined;
  private refreshTimer: number | undefined;
  private status: Status | null = null;
  private readonly img = $<HTMLImageElement>("video-img");

  constructor(private readonly can: (permission: string) => boolean) {
    $("video").hidden = !can("view_vehicles");
    $<HTMLSelectElement>("video-variant").addEventListener("change", (event) => {
      if (this.watching) this.watch(this.watching.stream, (event.target as HTMLSelectElement).value);
    });
    $("video-stop").addEventListener("click", () => this.stop());
    this.img.addEventListener("load", () => {
      if (!this.watching) return;
      this.retryMs = RETRY_FIRST_MS;
      this.img.dataset.state = "live";
      this.setStatus("video.live", this.labels());
    });
    this.img.addEventListener("error", () => this.reconnectLater());
  }

  async load(): Promise<void> {
    if (!this.can("view_vehicles")) return;
    try {
      this.streams = await apiJson<StreamInfo[]>("/api/video/streams");
    } catch (error) {
      if (error instanceof AuthError) {
        window.clearInterval(this.refreshTimer); // signed out: the next sign-in starts it again
        this.refreshTimer = undefined;
        return;
      }
      this.streams = [];
      this.renderList("video.unavailable");
      return;
    }
    this.renderList(this.streams.length ? null : "video.none");
  }

  relabel(): void {
    this.renderList(this.streams.length ? null : "video.none");
    if (this.watching) this.renderVariants(this.watching.stream, this.watching.variant);
    if (this.status) this.setStatus(this.status.key, this.status.params);
    if (this.watching) this.img.alt = t("video.image", this.labels());
  }

  /** Keeps the streams' states current; the first call starts the refresh. */
  startRefresh(): void {
    if (this.refreshTimer === undefined) this.refreshTimer = window.setInterval(() => void this.load(), LIST_REFRESH_MS);
  }

  private renderList(emptyKey: string | null): void {
    const list = $("video-list");
    const buttons = [...list.querySelectorAll<HTMLButtonElement>("button.video-stream")];
    if (!emptyKey && buttons.length === this.streams.length && buttons.every((b, i) => b.dataset.streamId === this.streams[i].id)) {
      // the same streams: update in place, so focus and a pending click stay where they are
      buttons.forEach((button, i) => {
        const text = this.streamLabel(this.streams[i]);
        if (button.textContent !== text) button.textContent = text;
        button.setAttribute("aria-pressed", String(this.watching?.stream.id === this.streams[i].id));
      });
      return;
    }
    if (emptyKey) {
      const li = document.createElement("li");
      li.textContent = t(emptyKey);
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(
      ...this.streams.map((stream) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "video-stream";
        button.dataset.streamId = stream.id;
        button.setAttribute("aria-pressed", String(this.watching?.stream.id === stream.id));
        button.textContent = this.streamLabel(stream);
        button.addEventListener("click", () => {
          const current = this.streams.find((s) => s.id === stream.id) ?? stream;
          void this.watch(current, this.preferredVariant(current));
        });
        li.append(button);
        return li;
      }),
    );
  }

  /** The least revealing picture that still shows the scene: a pilot starts with the annotated
   * picture, a partner with the anonymised one (the only pictures the service lets them see). */
  private preferredVariant(stream: StreamInfo): string {
    for (const variant of ["annotated", "anonymised", "analytic", "raw"]) {
      if (stream.variants.includes(variant)) return variant;
    }
    return stream.variants[0];
  }

  private renderVariants(stream: StreamInfo, selected: string): void {
    const select = $<HTMLSelectElement>("video-variant");
    select.replaceChildren(
      ...stream.variants.map((variant) => {
        const option = document.createElement("option");
        option.value = variant;
        option.textContent = t(`video.variant.${variant}`);
        return option;
      }),
    );
    select.value = selected;
  }

  private streamLabel(stream: StreamInfo): string {
    return t("video.stream", {
      id: stream.id,
      kind: t(`video.kind.${stream.sensor.kind}`),
      state: t(`video.state.${stream.state}`),
    });
  }

  private labels(): Record<string, string> {
    const w = this.watching!;
    return { id: w.stream.id, variant: t(`video.variant.${w.variant}`) };
  }

  private async watch(stream: StreamInfo, variant: string): Promise<void> {
    window.clearTimeout(this.retryTimer);
    this.watching = { stream, variant };
    $("video-view").hidden = false;
    this.renderVariants(stream, variant);
    this.renderList(null);
    this.img.dataset.state = "connecting";
    this.img.alt = t("video.image", this.labels());
    this.setStatus("video.connecting", { id: stream.id });
    const response = await postJson(`/api/video/streams/${encodeURIComponent(stream.id)}/ticket`, { variant });
    if (this.watching?.stream !== stream || this.watching.variant !== variant) return; // switched meanwhile
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      this.img.dataset.state = "refused";
      this.img.removeAttribute("src");
      this.setStatus("video.refused", { id: stream.id, reason: String(body.detail ?? response.status) });
      return;
    }
    const ticket = (await response.json()) as Ticket;
    this.img.dataset.variant = variant;
    this.img.src = ticket.mjpeg_url;
    $("video-view").scrollIntoView({ block: "nearest" });
  }

  /** A broken or ended picture: a new ticket after a growing pause (the stream may be reconnecting). */
  private reconnectLater(): void {
    if (!this.watching || !this.img.getAttribute("src")) return;
    const { stream, variant } = this.watching;
    this.img.dataset.state = "lost";
    this.setStatus("video.lost", { id: stream.id });
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.watch(stream, variant), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private stop(): void {
    window.clearTimeout(this.retryTimer);
    this.watching = null;
    this.img.removeAttribute("src"); // closes the MJPEG connection
    this.img.dataset.state = "stopped";
    $("video-view").hidden = true;
    this.status = null;
    $("video-status").textContent = "";
    this.renderList(this.streams.length ? null : "video.none");
  }

  private setStatus(key: string, params: Record<string, string>): void {
    this.status = { key, params };
    $("video-status").textContent = t(key, params);
  }
}
