// One module's WebSocket, kept open: the connection state machine
// (disconnected → connecting → connected), reconnect with backoff, the token
// sent on connect (refreshed by refresh.ts), and the matching of replies to
// requests. It knows nothing of topics (see topics.ts).

import { backoffDelay, type BackoffOptions } from "./backoff.js";
import { describeError } from "./errors.js";
import { Emitter } from "./events.js";
import { classifyClose, parseServerMessage, requestFrame, type CloseKind, type Position, type ServerMessage, type StatusPayload } from "./protocol.js";
import { TokenRefresher, type TokenProvider } from "./refresh.js";
import {
  OPEN,
  webSocketConstructor,
  type CloseEventLike,
  type MessageEventLike,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./socket.js";
import { withToken } from "./url.js";

/** `connecting` covers the wait before a reconnect too; `disconnected` means the client gave up or was closed. */
export type ConnectionState = "disconnected" | "connecting" | "connected";

/** How to reach and keep a module's socket. */
export interface ConnectionOptions {
  /** The module's WebSocket URL. */
  readonly url: string;
  /** WebSocket constructor; default the global `WebSocket`. */
  readonly WebSocket?: WebSocketConstructor | undefined;
  /** JWT provider: sent as `?token=` on connect, refreshed with `auth.refresh` before its `exp`. */
  readonly token?: TokenProvider | undefined;
  /** Reconnect delays. */
  readonly backoff?: BackoffOptions | undefined;
  /** How long a socket may take to open before it is abandoned and retried, ms. Default 10000. */
  readonly connectTimeoutMs?: number | undefined;
}

/** The connection's events. */
export interface ConnectionEvents {
  /** Every state change. */
  state: { readonly state: ConnectionState; readonly previous: ConnectionState };
  /** The socket is open (again): subscriptions are to be (re)sent. */
  connected: Record<string, never>;
  /** The socket closed; `reconnect` tells whether another attempt follows after `delayMs`. */
  closed: {
    readonly code: number;
    readonly reason: string;
    readonly kind: CloseKind;
    readonly reconnect: boolean;
    readonly delayMs?: number;
  };
  /** An update or a dropped topic. */
  message: Extract<ServerMessage, { kind: "update" | "dropped" }>;
  /** Something the app may want to show: a server `error` frame, a failing token provider, a refused refresh. */
  error: { readonly message: string; readonly cause?: unknown };
}

/** Gets a request's reply, or `undefined` when the connection was lost before it came. */
export type ReplyHandler = (reply: StatusPayload | undefined) => void;

interface Pending {
  readonly route: string;
  readonly op: "subscribe" | "unsubscribe";
  readonly onReply: ReplyHandler;
}

/** Code used when the client itself closes or abandons a socket. */
const CLIENT_CLOSE = 1000;
/** A connection open this long was a success: the next drop starts the backoff afresh. */
const STABLE_MS = 5000;

/** A module's connection. Opens on `open()`, keeps reconnecting until `close()`. */
export class Connection extends Emitter<ConnectionEvents> {
  private stateValue: ConnectionState = "disconnected";
  private socket: WebSocketLike | undefined;
  /** Replies arrive in request order (the server answers each frame in turn). */
  private pending: Pending[] = [];
  private attempt = 0;
  /** When the current socket opened, ms; undefined while it has not. */
  private openedAt: number | undefined;
  /** Bumped on every attempt and on close, so callbacks of an abandoned attempt do nothing. */
  private generation = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly refresher: TokenRefresher | undefined;
  private readonly WebSocketImpl: WebSocketConstructor;

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.WebSocketImpl = webSocketConstructor(options.WebSocket);
    if (options.token !== undefined) {
      const report = (message: string, cause?: unknown) => this.emit("error", { message, cause });
      this.refresher = new TokenRefresher(options.token, (frame) => this.send(frame), report);
    }
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Starts connecting unless already connecting or connected. */
  open(): void {
    if (this.stateValue === "disconnected") void this.attemptConnect();
  }

  /** Closes the socket and stops reconnecting; pending requests get no reply. */
  close(): void {
    this.abandon();
    this.attempt = 0;
    this.setState("disconnected");
  }

  /**
   * Sends `<route>.<op>` with `request` when connected; `onReply` gets its
   * reply. Returns false (and sends nothing) when not connected.
   */
  request(route: string, op: "subscribe" | "unsubscribe", request: unknown, onReply: ReplyHandler, since?: Position): boolean {
    if (this.stateValue !== "connected" || !this.send(requestFrame(route, op, request, since))) return false;
    this.pending.push({ route, op, onReply });
    return true;
  }

  /** Sends `frame` if the socket is open. */
  private send(frame: string): boolean {
    if (this.socket?.readyState !== OPEN) return false;
    this.socket.send(frame);
    return true;
  }

  private async attemptConnect(): Promise<void> {
    const generation = ++this.generation;
    this.setState("connecting");
    let url = this.options.url;
    let token: string | undefined;
    if (this.options.token !== undefined) {
      try {
        token = await this.options.token();
      } catch (cause) {
        if (generation !== this.generation) return;
        this.emit("error", { message: `token provider failed: ${describeError(cause)}`, cause });
        return this.scheduleReconnect(0, "token provider failed", "unauthorized");
      }
      if (generation !== this.generation) return;
      url = withToken(url, token);
    }
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocketImpl(url);
    } catch (cause) {
      this.emit("error", { message: `cannot open ${this.options.url}: ${describeError(cause)}`, cause });
      return this.scheduleReconnect(0, "cannot open socket", "network");
    }
    this.socket = socket;
    this.connectTimer = setTimeout(() => {
      if (generation === this.generation) this.lost({ code: 1006, reason: "connect timeout" });
    }, this.options.connectTimeoutMs ?? 10_000);
    socket.onopen = () => {
      if (generation !== this.generation) return;
      clearTimeout(this.connectTimer);
      this.openedAt = Date.now();
      if (token !== undefined) this.refresher?.start(token);
      this.setState("connected");
      this.emit("connected", {});
    };
    socket.onmessage = (event: MessageEventLike) => {
      if (generation === this.generation && typeof event.data === "string") this.receive(event.data);
    };
    socket.onclose = (event: CloseEventLike) => {
      if (generation === this.generation) this.lost(event);
    };
    // Browsers report no detail on errors; the close event that follows carries the code.
    socket.onerror = () => {};
  }

  private receive(text: string): void {
    const message = parseServerMessage(text);
    if (message === undefined) return;
    switch (message.kind) {
      case "reply":
        return this.takePending(message.route, message.op)?.onReply(message.payload);
      case "auth-refresh":
        return this.refresher?.answered(message.payload);
      case "error":
        return this.emit("error", { message: message.message });
      default:
        return this.emit("message", message);
    }
  }

  /** The oldest pending request of `route`/`op`: normally the first one. */
  private takePending(route: string, op: "subscribe" | "unsubscribe"): Pending | undefined {
    const index = this.pending.findIndex((entry) => entry.route === route && entry.op === op);
    return index < 0 ? undefined : this.pending.splice(index, 1)[0];
  }

  /** The socket closed (or never opened in time): reconnect unless the code forbids it. */
  private lost(event: CloseEventLike): void {
    // A server that accepts and drops at once must not be hammered: only a stable connection resets the backoff.
    if (this.openedAt !== undefined && Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
    this.abandon();
    const info = classifyClose(event.code);
    if (!info.reconnect) {
      this.emit("closed", { code: event.code, reason: event.reason, kind: info.kind, reconnect: false });
      return this.setState("disconnected");
    }
    this.scheduleReconnect(event.code, event.reason, info.kind);
  }

  private scheduleReconnect(code: number, reason: string, kind: CloseKind): void {
    const delayMs = backoffDelay(this.attempt++, this.options.backoff);
    this.setState("connecting");
    this.emit("closed", { code, reason, kind, reconnect: true, delayMs });
    this.reconnectTimer = setTimeout(() => void this.attemptConnect(), delayMs);
  }

  /** Drops the current socket (closing it if need be), its timers and its pending requests. */
  private abandon(): void {
    this.generation++;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.connectTimer);
    this.refresher?.stop();
    this.openedAt = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      detach(socket);
      socket.close(CLIENT_CLOSE, "client closed");
    }
    const pending = this.pending;
    this.pending = [];
    for (const entry of pending) entry.onReply(undefined);
  }

  private setState(state: ConnectionState): void {
    const previous = this.stateValue;
    if (previous === state) return;
    this.stateValue = state;
    this.emit("state", { state, previous });
  }
}

/** Stops a socket's callbacks from reaching the client. */
function detach(socket: WebSocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  socket.onerror = () => {};
}
