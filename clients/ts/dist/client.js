// The client of one module: one WebSocket, its routes and its events.
// Generated clients (`DatafeedClient`, ...) extend it with one typed `Route`
// per route; `route()` also serves modules without generated code.
import { Connection } from "./connection.js";
import { Route } from "./route.js";
import { Topics } from "./topics.js";
import { moduleSocketUrl } from "./url.js";
/** The events `Topics` emits; the others are the connection's. */
const TOPICS_EVENTS = new Set(["dropped", "subscription", "recovered", "lost", "duplicate", "gap"]);
/** A module's client: connects on the first subscribe, reconnects until `close()`. */
export class ModuleClient {
    module;
    /** The module's WebSocket URL. */
    url;
    connection;
    topics;
    constructor(
    /** The module's name, e.g. `datafeed`. */
    module, options) {
        this.module = module;
        this.url = moduleSocketUrl(options.url, module);
        this.connection = new Connection({
            url: this.url,
            WebSocket: options.WebSocket,
            token: options.token,
            backoff: options.backoff,
            connectTimeoutMs: options.connectTimeoutMs,
        });
        this.topics = new Topics(this.connection, options.warn ?? ((message) => console.warn(`topicwire ${module}: ${message}`)));
    }
    /** `disconnected`, `connecting` (including waits before a reconnect) or `connected`. */
    get state() {
        return this.connection.state;
    }
    /** Calls `handler` on every `event` until the returned function is called. */
    on(event, handler) {
        if (TOPICS_EVENTS.has(event)) {
            return this.topics.on(event, handler);
        }
        return this.connection.on(event, handler);
    }
    /** Opens the connection now rather than on the first subscribe. */
    connect() {
        this.connection.open();
    }
    /** A route of this module; generated clients call it once per route with what its schema and declaration tell. */
    route(name, shape, options) {
        return new Route(this.topics, name, shape, options);
    }
    /** Closes the connection and forgets every listener; pending subscribes reject. A later subscribe reconnects. */
    close() {
        this.topics.clear("client closed");
        this.connection.close();
    }
}
