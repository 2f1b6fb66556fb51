// The client refreshes its token before it expires, so it reads the expiry
// from the JWT itself (without verifying it: the server does that).
/** The `exp` claim of a JWT as epoch milliseconds, or undefined when it has none or is not a JWT. */
export function jwtExpiryMs(token) {
    const part = token.split(".")[1];
    if (part === undefined)
        return undefined;
    try {
        const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
        const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
        const claims = JSON.parse(new TextDecoder().decode(bytes));
        const exp = claims?.exp;
        return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
    }
    catch {
        return undefined;
    }
}
/**
 * When to refresh a token that expires at `expiresAtMs`: a tenth of its
 * remaining life early, at least 5 s and at most 60 s early, never in the past.
 */
export function refreshDelayMs(expiresAtMs, nowMs) {
    const left = expiresAtMs - nowMs;
    const margin = Math.min(60_000, Math.max(5_000, left / 10));
    return Math.max(0, left - margin);
}
