// One module's WebSocket, kept open: the connection state machine
// (disconnected → connecting → connected), reconnect with backoff, the token
// sent on connect (refreshed by refresh.ts), and the matching of replies to
// requests. It knows nothing of topics (see topics.ts).
import { backoffDelay } from "./backoff.js";
import { describeError } from "./errors.js";
import { Emitter } from "./events.js";
import { classifyClose, parseServerMessage, requestFrame } from "./protocol.js";
import { TokenRefresher } from "./refresh.js";
import { OPEN, webSocketConstructor, } from "./socket.js";
import { withToken } from "./url.js";
/** Code used when the client itself closes or abandons a socket. */
const CLIENT_CLOSE = 1000;
/** A connection open this long was a success: the next drop starts the backoff afresh. */
const STABLE_MS = 5000;
/** A module's connection. Opens on `open()`, keeps reconnecting until `close()`. */
export class Connection extends Emitter {
    options;
    stateValue = "disconnected";
    socket;
    /** Replies arrive in request order (the server answers each frame in turn). */
    pending = [];
    attempt = 0;
    /** When the current socket opened, ms; undefined while it has not. */
    openedAt;
    /** Bumped on every attempt and on close, so callbacks of an abandoned attempt do nothing. */
    generation = 0;
    reconnectTimer;
    connectTimer;
    refresher;
    WebSocketImpl;
    constructor(options) {
        super();
        this.options = options;
        this.WebSocketImpl = webSocketConstructor(options.WebSocket);
        if (options.token !== undefined) {
            const report = (message, cause) => this.emit("error", { message, cause });
            this.refresher = new TokenRefresher(options.token, (frame) => this.send(frame), report);
        }
    }
    get state() {
        return this.stateValue;
    }
    /** Starts connecting unless already connecting or connected. */
    open() {
        if (this.stateValue === "disconnected")
            void this.attemptConnect();
    }
    /** Closes the socket and stops reconnecting; pending requests get no reply. */
    close() {
        this.abandon();
        this.attempt = 0;
        this.setState("disconnected");
    }
    /**
     * Sends `<route>.<op>` with `request` when connected; `onReply` gets its
     * reply. Returns false (and sends nothing) when not connected.
     */
    request(route, op, request, onReply, since) {
        if (this.stateValue !== "connected" || !this.send(requestFrame(route, op, request, since)))
            return false;
        this.pending.push({ route, op, onReply });
        return true;
    }
    /** Sends `frame` if the socket is open. */
    send(frame) {
        if (this.socket?.readyState !== OPEN)
            return false;
        this.socket.send(frame);
        return true;
    }
    async attemptConnect() {
        const generation = ++this.generation;
        this.setState("connecting");
        let url = this.options.url;
        let token;
        if (this.options.token !== undefined) {
            try {
                token = await this.options.token();
            }
            catch (cause) {
                if (generation !== this.generation)
                    return;
                this.emit("error", { message: `token provider failed: ${describeError(cause)}`, cause });
                return this.scheduleReconnect(0, "token provider failed", "unauthorized");
            }
            if (generation !== this.generation)
                return;
            url = withToken(url, token);
        }
        let socket;
        try {
            socket = new this.WebSocketImpl(url);
        }
        catch (cause) {
            this.emit("error", { message: `cannot open ${this.options.url}: ${describeError(cause)}`, cause });
            return this.scheduleReconnect(0, "cannot open socket", "network");
        }
        this.socket = socket;
        this.connectTimer = setTimeout(() => {
            if (generation === this.generation)
                this.lost({ code: 1006, reason: "connect timeout" });
        }, this.options.connectTimeoutMs ?? 10_000);
        socket.onopen = () => {
            if (generation !== this.generation)
                return;
            clearTimeout(this.connectTimer);
            this.openedAt = Date.now();
            if (token !== undefined)
                this.refresher?.start(token);
            this.setState("connected");
            this.emit("connected", {});
        };
        socket.onmessage = (event) => {
            if (generation === this.generation && typeof event.data === "string")
                this.receive(event.data);
        };
        socket.onclose = (event) => {
            if (generation === this.generation)
                this.lost(event);
        };
        // Browsers report no detail on errors; the close event that follows carries the code.
        socket.onerror = () => { };
    }
    receive(text) {
        const message = parseServerMessage(text);
        if (message === undefined)
            return;
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
    takePending(route, op) {
        const index = this.pending.findIndex((entry) => entry.route === route && entry.op === op);
        return index < 0 ? undefined : this.pending.splice(index, 1)[0];
    }
    /** The socket closed (or never opened in time): reconnect unless the code forbids it. */
    lost(event) {
        // A server that accepts and drops at once must not be hammered: only a stable connection resets the backoff.
        if (this.openedAt !== undefined && Date.now() - this.openedAt >= STABLE_MS)
            this.attempt = 0;
        this.abandon();
        const info = classifyClose(event.code);
        if (!info.reconnect) {
            this.emit("closed", { code: event.code, reason: event.reason, kind: info.kind, reconnect: false });
            return this.setState("disconnected");
        }
        this.scheduleReconnect(event.code, event.reason, info.kind);
    }
    scheduleReconnect(code, reason, kind) {
        const delayMs = backoffDelay(this.attempt++, this.options.backoff);
        this.setState("connecting");
        this.emit("closed", { code, reason, kind, reconnect: true, delayMs });
        this.reconnectTimer = setTimeout(() => void this.attemptConnect(), delayMs);
    }
    /** Drops the current socket (closing it if need be), its timers and its pending requests. */
    abandon() {
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
        for (const entry of pending)
            entry.onReply(undefined);
    }
    setState(state) {
        const previous = this.stateValue;
        if (previous === state)
            return;
        this.stateValue = state;
        this.emit("state", { state, previous });
    }
}
/** Stops a socket's callbacks from reaching the client. */
function detach(socket) {
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => { };
}
