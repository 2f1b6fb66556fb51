// The few WebSocket members the client uses, so the browser's WebSocket, the
// `ws` package's (Node 20 has no global one) or a test double all fit.
/** `readyState` of an open socket (the same constant in every implementation). */
export const OPEN = 1;
/** The constructor to use: the given one, else the global `WebSocket`. */
export function webSocketConstructor(given) {
    const found = given ?? globalThis.WebSocket;
    if (found === undefined) {
        throw new Error("no WebSocket available: pass the `WebSocket` option (e.g. the `ws` package's export in Node 20)");
    }
    return found;
}
