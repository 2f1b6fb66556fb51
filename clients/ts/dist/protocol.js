// The Topicwire wire protocol as the client sees it: the frames it sends, the
// frames it reads (classified once, here, so the rest of the client never
// inspects raw JSON), and what each close code means for reconnecting.
/** `{"type":"<route>.<op>","payload":request}`, with `"since"` to recover from a position. */
export function requestFrame(route, op, request, since) {
    return JSON.stringify({ type: `${route}.${op}`, payload: request, ...(since === undefined ? {} : { since }) });
}
/** `{"type":"auth.refresh","payload":{"token":...}}`. */
export function refreshFrame(token) {
    return JSON.stringify({ type: "auth.refresh", payload: { token } });
}
/** Classifies one text frame; undefined for a frame this client does not understand. */
export function parseServerMessage(text) {
    let frame;
    try {
        frame = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    if (frame === null || typeof frame !== "object" || typeof frame.type !== "string")
        return undefined;
    const payload = (frame.payload ?? {});
    const type = frame.type;
    if (type === "error") {
        const message = String(payload.message ?? "");
        return typeof payload.topic === "string"
            ? { kind: "dropped", topic: payload.topic, message }
            : { kind: "error", message };
    }
    if (type === "auth.refresh.response")
        return { kind: "auth-refresh", payload: statusOf(payload) };
    const update = /^(.+)\.update$/.exec(type);
    if (update !== null && typeof payload.topic === "string") {
        const position = positionOf(payload);
        return { kind: "update", route: update[1], topic: payload.topic, data: payload.payload, ...(position ? { position } : {}) };
    }
    const reply = /^(.+)\.(subscribe|unsubscribe)\.response$/.exec(type);
    if (reply !== null) {
        return { kind: "reply", route: reply[1], op: reply[2], payload: statusOf(payload) };
    }
    return undefined;
}
function statusOf(payload) {
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
function positionOf(payload) {
    const { epoch, offset } = payload;
    return typeof epoch === "string" && Number.isSafeInteger(offset) ? { epoch, offset: offset } : undefined;
}
/** Classifies a close code. */
export function classifyClose(code) {
    const known = {
        1000: "lifespan",
        1001: "going-away",
        1008: "policy",
        1009: "too-big",
        4001: "token-expired",
    };
    const kind = known[code];
    if (kind !== undefined)
        return { kind, reconnect: true };
    if (code >= 4000 && code < 4500)
        return { kind: "unauthorized", reconnect: true };
    if (code >= 4500 && code < 5000)
        return { kind: "forbidden", reconnect: false };
    return { kind: "network", reconnect: true };
}
