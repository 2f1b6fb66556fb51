import { type BackoffOptions } from "./backoff.js";
import { Emitter } from "./events.js";
import { type CloseKind, type Position, type ServerMessage, type StatusPayload } from "./protocol.js";
import { type TokenProvider } from "./refresh.js";
import { type WebSocketConstructor } from "./socket.js";
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
    state: {
        readonly state: ConnectionState;
        readonly previous: ConnectionState;
    };
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
    message: Extract<ServerMessage, {
        kind: "update" | "dropped";
    }>;
    /** Something the app may want to show: a server `error` frame, a failing token provider, a refused refresh. */
    error: {
        readonly message: string;
        readonly cause?: unknown;
    };
}
/** Gets a request's reply, or `undefined` when the connection was lost before it came. */
export type ReplyHandler = (reply: StatusPayload | undefined) => void;
/** A module's connection. Opens on `open()`, keeps reconnecting until `close()`. */
export declare class Connection extends Emitter<ConnectionEvents> {
    private readonly options;
    private stateValue;
    private socket;
    /** Replies arrive in request order (the server answers each frame in turn). */
    private pending;
    private attempt;
    /** When the current socket opened, ms; undefined while it has not. */
    private openedAt;
    /** Bumped on every attempt and on close, so callbacks of an abandoned attempt do nothing. */
    private generation;
    private reconnectTimer;
    private connectTimer;
    private readonly refresher;
    private readonly WebSocketImpl;
    constructor(options: ConnectionOptions);
    get state(): ConnectionState;
    /** Starts connecting unless already connecting or connected. */
    open(): void;
    /** Closes the socket and stops reconnecting; pending requests get no reply. */
    close(): void;
    /**
     * Sends `<route>.<op>` with `request` when connected; `onReply` gets its
     * reply. Returns false (and sends nothing) when not connected.
     */
    request(route: string, op: "subscribe" | "unsubscribe", request: unknown, onReply: ReplyHandler, since?: Position): boolean;
    /** Sends `frame` if the socket is open. */
    private send;
    private attemptConnect;
    private receive;
    /** The oldest pending request of `route`/`op`: normally the first one. */
    private takePending;
    /** The socket closed (or never opened in time): reconnect unless the code forbids it. */
    private lost;
    private scheduleReconnect;
    /** Drops the current socket (closing it if need be), its timers and its pending requests. */
    private abandon;
    private setState;
}
