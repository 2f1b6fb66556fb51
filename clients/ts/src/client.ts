// The client of one module: one WebSocket, its routes and its events.
// Generated clients (`DatafeedClient`, ...) extend it with one typed `Route`
// per route; `route()` also serves modules without generated code.

import { Connection, type ConnectionEvents, type ConnectionState } from "./connection.js";
import type { BackoffOptions } from "./backoff.js";
import type { TokenProvider } from "./refresh.js";
import type { Unsubscribe } from "./events.js";
import { Route } from "./route.js";
import type { RequestShape } from "./shape.js";
import type { RouteOptions } from "./subscription.js";
import type { WebSocketConstructor } from "./socket.js";
import { Topics, type TopicsEvents, type Warn } from "./topics.js";
import { moduleSocketUrl } from "./url.js";

/** Options of a module client. */
export interface ClientOptions {
  /** The host (`http://127.0.0.1:8000`, `location.origin`) or the module's own `ws://…/api/v1/{module}/ws`. */
  readonly url: string;
  /** WebSocket constructor; default the global `WebSocket` (pass `ws`'s in Node 20). */
  readonly WebSocket?: WebSocketConstructor;
  /** JWT provider for authenticated hosts: sent as `?token=`, refreshed before expiry. */
  readonly token?: TokenProvider;
  /** Reconnect delay bounds. */
  readonly backoff?: BackoffOptions;
  /** How long opening a socket may take before it is retried, ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Where warnings go (e.g. a topic computed differently from the server's). Default `console.warn`. */
  readonly warn?: Warn;
}

/** The events `Topics` emits; the others are the connection's. */
const TOPICS_EVENTS: ReadonlySet<string> = new Set<keyof TopicsEvents>(["dropped", "subscription", "recovered", "lost", "duplicate", "gap"]);

/** Every event of a client. */
export type ClientEvents = ConnectionEvents & TopicsEvents;

/** A module's client: connects on the first subscribe, reconnects until `close()`. */
export class ModuleClient {
  /** The module's WebSocket URL. */
  readonly url: string;
  private readonly connection: Connection;
  private readonly topics: Topics;

  constructor(
    /** The module's name, e.g. `datafeed`. */
    readonly module: string,
    options: ClientOptions,
  ) {
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
  get state(): ConnectionState {
    return this.connection.state;
  }

  /** Calls `handler` on every `event` until the returned function is called. */
  on<K extends keyof ClientEvents>(event: K, handler: (payload: ClientEvents[K]) => void): Unsubscribe {
    if (TOPICS_EVENTS.has(event)) {
      return this.topics.on(event as keyof TopicsEvents, handler as (payload: TopicsEvents[keyof TopicsEvents]) => void);
    }
    return this.connection.on(event as keyof ConnectionEvents, handler as (payload: ConnectionEvents[keyof ConnectionEvents]) => void);
  }

  /** Opens the connection now rather than on the first subscribe. */
  connect(): void {
    this.connection.open();
  }

  /** A route of this module; generated clients call it once per route with what its schema and declaration tell. */
  route<Request = unknown, Update = unknown>(name: string, shape?: RequestShape, options?: RouteOptions): Route<Request, Update> {
    return new Route<Request, Update>(this.topics, name, shape, options);
  }

  /** Closes the connection and forgets every listener; pending subscribes reject. A later subscribe reconnects. */
  close(): void {
    this.topics.clear("client closed");
    this.connection.close();
  }
}
