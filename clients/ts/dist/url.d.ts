/**
 * The WebSocket URL of `module`: `url` itself when it already names a `/ws`
 * endpoint, else `url`'s origin and path followed by `/api/v1/{module}/ws`.
 * `http(s):` becomes `ws(s):`; a relative `url` resolves against the page.
 */
export declare function moduleSocketUrl(url: string, module: string): string;
/** `url` with `?token=` set (replacing an earlier one). */
export declare function withToken(url: string, token: string): string;
