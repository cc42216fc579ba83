// The session: access token in memory only; the refresh token is an httpOnly cookie the page never sees.
export interface Me {
  username: string;
  organisation: string;
  role: string;
  permissions: string[];
}

export class AuthError extends Error {}

const WEB_HEADER = { "X-Borderwatch-Client": "web" };

let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;
const tokenListeners: Array<(token: string) => void> = [];

export function token(): string | null {
  return accessToken;
}

export function onTokenRenewed(listener: (token: string) => void): void {
  tokenListeners.push(listener);
}

function accept(body: { access_token: string }): void {
  accessToken = body.access_token;
  for (const listener of tokenListeners) listener(accessToken);
}

export async function login(username: string, password: string): Promise<void> {
  const response = await fetch("/api/auth/token", {
    method: "POST",
    headers: WEB_HEADER,
    body: new URLSearchParams({ username, password }),
    credentials: "same-origin",
  });
  if (response.status === 401) throw new AuthError("login.failed");
  if (!response.ok) throw new Error(`${response.status}`);
  accept(await response.json());
}

/** Exchanges the refresh cookie for a new access token; one exchange at a time (the token rotates). */
export function refresh(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const response = await fetch("/api/auth/refresh", {
          method: "POST",
          headers: WEB_HEADER,
          credentials: "same-origin",
        });
        if (!response.ok) {
          accessToken = null;
          return false;
        }
        accept(await response.json());
        return true;
      } catch {
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

export async function logout(): Promise<void> {
  accessToken = null;
  await fetch("/api/auth/logout", { method: "POST", headers: WEB_HEADER, credentials: "same-origin" });
}

/** fetch with the bearer token; one refresh-and-retry on 401. */
export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const send = () =>
    fetch(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${accessToken ?? ""}` },
    });
  let response = await send();
  if (response.status === 401 && (await refresh())) response = await send();
  if (response.status === 401) throw new AuthError("login.expired");
  return response;
}

export async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await api(path, init);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return (await response.json()) as T;
}

export async function postJson(path: string, body?: unknown): Promise<Response> {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
