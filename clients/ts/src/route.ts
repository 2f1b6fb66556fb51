// The typed face of one route: what generated clients expose as `.bars`,
// `.quotes`, ... Requests are normalized the way the server validates them,
// so the topic computed here is the server's.

import { topicOf } from "./canonical.js";
import { normalizeRequest, type RequestShape } from "./shape.js";
import type { RouteOptions, SubscriptionState } from "./subscription.js";
import type { Topics } from "./topics.js";

/** One route of a module, typed by its request and update. */
export class Route<Request, Update> {
  constructor(
    private readonly topics: Topics,
    /** The route's name, e.g. `bars`. */
    readonly name: string,
    private readonly shape?: RequestShape,
    /** How the route delivers and keeps its updates. */
    readonly options: RouteOptions = {},
  ) {}

  /**
   * Calls `onUpdate` with every update of `request`'s topic until
   * `unsubscribe(listenerId)`. Listeners of one topic share one server
   * subscription; subscribing an existing `listenerId` again moves it to the
   * new request. Resolves once the server confirmed; rejects with a
   * `TopicwireError` carrying the server's message if it refused.
   */
  subscribe(listenerId: string, request: Request, onUpdate: (update: Update, topic: string) => void): Promise<void> {
    const normalized = normalizeRequest(request, this.shape);
    const listener = onUpdate as (data: unknown, topic: string) => void;
    return this.topics.add(this.name, listenerId, topicOf(this.name, normalized), normalized, listener, this.options);
  }

  /** Removes the listener; the topic's last listener unsubscribes on the server. */
  unsubscribe(listenerId: string): Promise<void> {
    return this.topics.remove(this.name, listenerId);
  }

  /** The topic `request` subscribes to, as the server names it. */
  topic(request: Request): string {
    return topicOf(this.name, normalizeRequest(request, this.shape));
  }

  /** The state of the subscription `listenerId` is on. */
  state(listenerId: string): SubscriptionState {
    return this.topics.stateOf(this.name, listenerId);
  }
}
