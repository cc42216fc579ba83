// The telemetry WebSocket: authenticates with its first message (never a token in the URL), renews the
// token when the server says it is expiring, and reconnects by itself after a dropped socket.
import { refresh, token } from "./api";

export type ConnectionState = "connecting" | "live" | "reconnecting";

export interface TelemetryHandlers {
  onTelemetry(vehicleId: string, data: Record<string, any>): void;
  onAlert(alert: any): void;
  onState(state: ConnectionState): void;
  onAuthLost(reason: "expired" | "disabled"): void;
}

const MAX_BACKOFF_MS = 8000;

export class Telemetry {
  private socket: WebSocket | null = null;
  private stopped = false;
  private backoffMs = 500;
  private timer: number | undefined;
  /** Sessions established (hello received) since start: the reconnect test and the status read it. */
  connects = 0;
  /** Token renewals the server confirmed (auth_ok) on a live socket. */
  renewals = 0;

  constructor(private readonly handlers: TelemetryHandlers) {}

  start(): void {
    this.stopped = false;
    this.connect("connecting");
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.socket?.close(1000, "bye");
    this.socket = null;
  }

  /** Sends a renewed access token over the open socket (the server answers auth_ok). */
  renew(accessToken: string): void {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "auth", token: accessToken }));
    }
  }

  /** For tests and the dropped-socket drill: closes the socket as a network failure would. */
  drop(): void {
    this.socket?.close(4000, "dropped by client");
  }

  private connect(state: ConnectionState): void {
    this.handlers.onState(state);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/telemetry`);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token: token() ?? "" }));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      switch (message.type) {
        case "hello":
          this.connects += 1;
          this.backoffMs = 500;
          this.handlers.onState("live");
          break;
        case "telemetry":
          this.handlers.onTelemetry(message.vehicle_id, message.data);
          break;
        case "alert":
          this.handlers.onAlert(message.alert);
          break;
        case "auth_ok":
          this.renewals += 1;
          break;
        case "token_expiring":
          void refresh(); // the renewed token reaches renew() through onTokenRenewed
          break;
        default:
          break;
      }
    };
    socket.onclose = (event) => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      if (event.code === 4403) {
        this.handlers.onAuthLost("disabled");
        return;
      }
      this.handlers.onState("reconnecting");
      const retry = async () => {
        if (this.stopped) return;
        if (event.code === 4401 && !(await refresh())) {
          this.handlers.onAuthLost("expired");
          return;
        }
        this.connect("reconnecting");
      };
      this.timer = window.setTimeout(() => void retry(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    };
  }
}
