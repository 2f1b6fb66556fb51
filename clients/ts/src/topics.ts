// The listeners of one module and the server subscriptions they share:
// several listeners on one topic make one subscription, the last one leaving
// unsubscribes, every live subscription is re-sent after a reconnect, and
// updates and dropped topics are routed to the listeners concerned.

import type { Connection } from "./connection.js";
import { Emitter } from "./events.js";
import { TopicwireError } from "./errors.js";
import type { Position } from "./protocol.js";
import { Subscription, type RouteOptions, type SubscriptionHooks, type SubscriptionState, type UpdateListener } from "./subscription.js";

/** Events about subscriptions. */
export interface TopicsEvents {
  /** A subscription's state changed. */
  subscription: { readonly route: string; readonly topic: string; readonly state: SubscriptionState };
  /** The server dropped a topic (module quarantined, route gone); its listeners were removed. */
  dropped: { readonly route: string; readonly topic: string; readonly message: string; readonly listenerIds: readonly string[] };
  /** After a reconnect, a subscription got every update it missed back, in order: nothing to re-read. */
  recovered: { readonly route: string; readonly topic: string; readonly position: Position | undefined };
  /** A subscription could not get the updates it missed back (too old, the server restarted, …): re-read the state (e.g. over REST). */
  lost: { readonly route: string; readonly topic: string; readonly position: Position | undefined };
  /** An update seen already arrived again and was dropped. */
  duplicate: { readonly route: string; readonly topic: string; readonly position: Position };
  /** Updates were skipped: after `after`, `got` arrived (on a reliable route the hole is filled from the server, not passed on). */
  gap: { readonly route: string; readonly topic: string; readonly after: Position; readonly got: Position };
}

/** Reports what the app should know but need not act on (e.g. a topic computed differently from the server's). */
export type Warn = (message: string) => void;

/** The subscriptions of one connection. */
export class Topics extends Emitter<TopicsEvents> implements SubscriptionHooks {
  /** Client-side and server-side topic names → subscription (the same one when they agree). */
  private readonly byTopic = new Map<string, Subscription>();
  /** route → listener id → its subscription. */
  private readonly byListener = new Map<string, Map<string, Subscription>>();

  constructor(
    private readonly connection: Connection,
    private readonly warn: Warn,
  ) {
    super();
    connection.on("connected", () => this.resubscribe());
    connection.on("closed", ({ reconnect, reason }) => {
      if (reconnect) this.each((subscription) => subscription.interrupted());
      else this.clear(`connection closed for good: ${reason}`);
    });
    connection.on("message", (message) => {
      const subscription = this.byTopic.get(message.topic);
      if (message.kind === "update") subscription?.deliver(message.data, message.position);
      else if (subscription !== undefined) this.drop(subscription, message.message);
    });
  }

  /**
   * Adds (or moves) listener `listenerId` of `route` to `topic`, subscribing
   * on the server if it is the topic's first listener. Resolves once subscribed.
   */
  add(route: string, listenerId: string, topic: string, request: unknown, onUpdate: UpdateListener, options: RouteOptions = {}): Promise<void> {
    const current = this.listenersOf(route).get(listenerId);
    if (current !== undefined && current !== this.byTopic.get(topic)) {
      // The listener moves to another topic; its old one may be left empty.
      void this.remove(route, listenerId).catch(() => {});
    }
    let subscription = this.byTopic.get(topic);
    if (subscription === undefined) {
      subscription = new Subscription(this.connection, this, route, topic, request, options);
      this.byTopic.set(topic, subscription);
    }
    subscription.listeners.set(listenerId, onUpdate);
    this.listenersOf(route).set(listenerId, subscription);
    this.connection.open();
    return subscription.ready();
  }

  /** Removes a listener; the last one of a topic unsubscribes. Unknown listeners are ignored. */
  remove(route: string, listenerId: string): Promise<void> {
    const listeners = this.listenersOf(route);
    const subscription = listeners.get(listenerId);
    if (subscription === undefined) return Promise.resolve();
    listeners.delete(listenerId);
    subscription.listeners.delete(listenerId);
    if (subscription.listeners.size > 0) return Promise.resolve();
    this.forget(subscription);
    return subscription.release();
  }

  /** State of the subscription `listenerId` of `route` is on, `unsubscribed` when none. */
  stateOf(route: string, listenerId: string): SubscriptionState {
    return this.listenersOf(route).get(listenerId)?.state ?? "unsubscribed";
  }

  /** Forgets every listener and subscription (the client is closing); pending subscribes reject with `message`. */
  clear(message: string): void {
    const error = new TopicwireError("closed", message);
    this.each((subscription) => subscription.end(error));
    this.byTopic.clear();
    this.byListener.clear();
  }

  subscribed(subscription: Subscription, serverTopic: string): void {
    const existing = this.byTopic.get(serverTopic);
    if (existing === subscription) return;
    this.warn(`topic computed as ${subscription.topic} but the server named it ${serverTopic}; using the server's`);
    if (existing === undefined) {
      this.byTopic.set(serverTopic, subscription);
      return;
    }
    // Another request already named this topic: the server counts both as one
    // subscription, so their listeners must share one too.
    for (const [listenerId, listener] of subscription.listeners) {
      existing.listeners.set(listenerId, listener);
      this.listenersOf(subscription.route).set(listenerId, existing);
    }
    this.byTopic.set(subscription.topic, existing);
    subscription.end(undefined);
  }

  refused(subscription: Subscription): void {
    this.forget(subscription);
    const listeners = this.listenersOf(subscription.route);
    for (const listenerId of subscription.listeners.keys()) listeners.delete(listenerId);
  }

  changed(subscription: Subscription): void {
    this.emit("subscription", { route: subscription.route, topic: subscription.serverTopic, state: subscription.state });
  }

  recovery(subscription: Subscription, recovered: boolean): void {
    const event = { route: subscription.route, topic: subscription.serverTopic, position: subscription.position };
    this.emit(recovered ? "recovered" : "lost", event);
  }

  duplicate(subscription: Subscription, position: Position): void {
    this.emit("duplicate", { route: subscription.route, topic: subscription.serverTopic, position });
  }

  gap(subscription: Subscription, after: Position, got: Position): void {
    this.emit("gap", { route: subscription.route, topic: subscription.serverTopic, after, got });
  }

  private drop(subscription: Subscription, message: string): void {
    const listenerIds = [...subscription.listeners.keys()];
    this.refused(subscription);
    subscription.end(new TopicwireError("dropped", message, subscription.serverTopic));
    this.emit("dropped", { route: subscription.route, topic: subscription.serverTopic, message, listenerIds });
  }

  private resubscribe(): void {
    this.each((subscription) => {
      if (subscription.state !== "unsubscribed") subscription.send();
    });
  }

  /** Removes every name of `subscription` from the index. */
  private forget(subscription: Subscription): void {
    for (const [topic, entry] of this.byTopic) if (entry === subscription) this.byTopic.delete(topic);
  }

  /** Every distinct subscription once. */
  private each(visit: (subscription: Subscription) => void): void {
    for (const subscription of new Set(this.byTopic.values())) visit(subscription);
  }

  private listenersOf(route: string): Map<string, Subscription> {
    let listeners = this.byListener.get(route);
    if (listeners === undefined) this.byListener.set(route, (listeners = new Map()));
    return listeners;
  }
}
