// The Topicwire wire protocol as the client sees it: the frames it sends, the
// frames it reads (classified once, here, so the rest of the client never
// inspects raw JSON), and what each close code means for reconnecting.

/** Where a topic's sequence stands: the offset of its last update, in the sequence `epoch` names. */
export interface Position {
  readonly epoch: string;
  readonly offset: number;
}

/**
 * `status`/`message` of every reply; `topic` on subscribe/unsubscribe
 * successes and dropped topics; on a subscribe's success the `position` the
 * updates that follow continue from (the first is `offset + 1`), and
 * `recovered` when the subscribe asked to recover.
 */
export interface StatusPayload {
  readonly status: "ok" | "error";
  readonly message: string;
  readonly topic?: string;
  readonly position?: Position;
  readonly recovered?: boolean;
}

/** A server frame, classified. */
export type ServerMessage =
  | { readonly kind: "reply"; readonly route: string; readonly op: "subscribe" | "unsubscribe"; readonly payload: StatusPayload }
  | { readonly kind: "update"; readonly route: string; readonly topic: string; readonly data: unknown; readonly position?: Position }
  | { readonly kind: "dropped"; readonly topic: string; readonly message: string }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "auth-refresh"; readonly payload: StatusPayload };

/** `{"type":"<route>.<op>","payload":request}`, with `"since"` to recover from a position. */
export function requestFrame(route: string, op: "subscribe" | "unsubscribe", request: unknown, since?: Position): string {
  return JSON.stringify({ type: `${route}.${op}`, payload: request, ...(since === undefined ? {} : { since }) });
}

/** `{"type":"auth.refresh","payload":{"token":...}}`. */
export function refreshFrame(token: string): string {
  return JSON.stringify({ type: "auth.refresh", payload: { token } });
}

/** Classifies one text frame; undefined for a frame this client does not understand. */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let frame: { type?: unknown; payload?: unknown };
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (frame === null || typeof frame !== "object" || typeof frame.type !== "string") return undefined;
  const payload = (frame.payload ?? {}) as Record<string, unknown>;
  const type = frame.type;
  if (type === "error") {
    const message = String(payload.message ?? "");
    return typeof payload.topic === "string"
      ? { kind: "dropped", topic: payload.topic, message }
      : { kind: "error", message };
  }
  if (type === "auth.refresh.response") return { kind: "auth-refresh", payload: statusOf(payload) };
  const update = /^(.+)\.update$/.exec(type);
  if (update !== null && typeof payload.topic === "string") {
    const position = positionOf(payload);
    return { kind: "update", route: update[1]!, topic: payload.topic, data: payload.payload, ...(position ? { position } : {}) };
  }
  const reply = /^(.+)\.(subscribe|unsubscribe)\.response$/.exec(type);
  if (reply !== null) {
    return { kind: "reply", route: reply[1]!, op: reply[2] as "subscribe" | "unsubscribe", payload: statusOf(payload) };
  }
  return undefined;
}

function statusOf(payload: Record<string, unknown>): StatusPayload {
  const position = positionOf(payload);
  return {
    status: payload.status === "ok" ? "ok" : "error",
    message: String(payload.message ?? ""),
    ...(typeof payload.topic === "string" ? { topic: payload.topic } : {}),
    ...(position ? { position } : {}),
    ...(typeof payload.recovered === "boolean" ? { recovered: payload.recovered } : {}),
  };
}

/** The `epoch`/`offset` a payload carries, if it carries both. */
function positionOf(payload: Record<string, unknown>): Position | undefined {
  const { epoch, offset } = payload;
  return typeof epoch === "string" && Number.isSafeInteger(offset) ? { epoch, offset: offset as number } : undefined;
}

/** Why a connection closed, from its close code. */
export type CloseKind =
  | "lifespan" // 1000: the server's connection lifespan was reached
  | "going-away" // 1001: server shutdown or module unloaded
  | "policy" // 1008: too many messages or a slow consumer
  | "too-big" // 1009: a frame over the server's limit
  | "token-expired" // 4001
  | "unauthorized" // other 4000–4499: authentication refused
  | "forbidden" // 4500–4999: refused for good; not retried
  | "network"; // anything else, e.g. 1006 (no close frame)

/** What a close code means and whether the client reconnects (after a backoff delay) on its own. */
export interface CloseInfo {
  readonly kind: CloseKind;
  readonly reconnect: boolean;
}

/** Classifies a close code. */
export function classifyClose(code: number): CloseInfo {
  const known: Record<number, CloseKind> = {
    1000: "lifespan",
    1001: "going-away",
    1008: "policy",
    1009: "too-big",
    4001: "token-expired",
  };
  const kind = known[code];
  if (kind !== undefined) return { kind, reconnect: true };
  if (code >= 4000 && code < 4500) return { kind: "unauthorized", reconnect: true };
  if (code >= 4500 && code < 5000) return { kind: "forbidden", reconnect: false };
  return { kind: "network", reconnect: true };
}
