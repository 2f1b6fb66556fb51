// Apps know a host ("http://127.0.0.1:8000", or the page's origin); the
// client needs one module's WebSocket endpoint. Both forms are accepted.
/**
 * The WebSocket URL of `module`: `url` itself when it already names a `/ws`
 * endpoint, else `url`'s origin and path followed by `/api/v1/{module}/ws`.
 * `http(s):` becomes `ws(s):`; a relative `url` resolves against the page.
 */
export function moduleSocketUrl(url, module) {
    const base = globalThis.location?.href;
    const parsed = new URL(url, base);
    if (parsed.protocol === "http:")
        parsed.protocol = "ws:";
    if (parsed.protocol === "https:")
        parsed.protocol = "wss:";
    if (!parsed.pathname.endsWith("/ws")) {
        parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/api/v1/${encodeURIComponent(module)}/ws`;
    }
    return parsed.toString();
}
/** `url` with `?token=` set (replacing an earlier one). */
export function withToken(url, token) {
    const parsed = new URL(url);
    parsed.searchParams.set("token", token);
    return parsed.toString();
}
