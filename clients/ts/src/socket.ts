// The few WebSocket members the client uses, so the browser's WebSocket, the
// `ws` package's (Node 20 has no global one) or a test double all fit.

/** A close event as both browsers and `ws` report it. */
export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}

/** A message event; `data` is a string for text frames. */
export interface MessageEventLike {
  readonly data: unknown;
}

/**
 * The client's view of a WebSocket. Handler parameters are `never` so that
 * sockets whose handlers take richer event types are assignable.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** `WebSocket` itself, or `ws`'s default export. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket (the same constant in every implementation). */
export const OPEN = 1;

/** The constructor to use: the given one, else the global `WebSocket`. */
export function webSocketConstructor(given: WebSocketConstructor | undefined): WebSocketConstructor {
  const found = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (found === undefined) {
    throw new Error("no WebSocket available: pass the `WebSocket` option (e.g. the `ws` package's export in Node 20)");
  }
  return found;
}
