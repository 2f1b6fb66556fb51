// HTTP calls of the dashboard, with the configured credentials: the admin
// token for /api/v1/modules, the JWT for the broker's REST API.

import { settings } from "./settings.js";

function bearer(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** An answer that is not 2xx, with the server's explanation when it gave one. */
export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function json(response) {
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw new HttpError(response.status, explanation(body) ?? (text.trim() || `HTTP ${response.status}`));
  return body;
}

/**
 * The broker answers as FastAPI does: `{"detail": "..."}` for a refusal, and
 * `{"detail": [{"loc": ["body", "qty"], "msg": "..."}]}` for invalid input.
 */
function explanation(body) {
  const detail = body?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((item) => `${(item.loc ?? []).slice(1).join(".") || "body"}: ${item.msg}`).join("; ");
  return undefined;
}

/** `GET /api/v1/modules`. */
export async function getModules() {
  return json(await fetch("/api/v1/modules", { headers: bearer(settings.adminToken), cache: "no-store" }));
}

/** A call to the broker's REST API for `account`. */
export async function broker(method, path, account, body) {
  const headers = { "X-Account-Id": account, ...bearer(settings.jwt) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1/broker${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  return json(response);
}
