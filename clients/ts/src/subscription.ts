// One server subscription (one topic) shared by every local listener of it:
// its state machine (unsubscribed → subscribing → subscribed, back to
// subscribing while the connection is down), its listeners, the promises
// of those waiting for it to be subscribed, and its position: the last
// update seen, which a re-subscribe of a recoverable route sends back so the
// server replays exactly what was missed. An update already seen is dropped;
// a hole on a reliable route is not passed on but filled from the server.

import type { Connection } from "./connection.js";
import { reportListenerError } from "./events.js";
import { TopicwireError } from "./errors.js";
import type { Position, StatusPayload } from "./protocol.js";

/** A subscription's state. */
export type SubscriptionState = "unsubscribed" | "subscribing" | "subscribed";

/** Receives a topic's updates. */
export type UpdateListener = (data: unknown, topic: string) => void;

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** How a route delivers and keeps its updates, as the module declares (generated clients pass it). */
export interface RouteOptions {
  /** Never conflated: every update matters, so a hole is filled, never passed on. */
  readonly reliable?: boolean;
  /** The route keeps a history: after a reconnect the subscription recovers what it missed. */
  readonly recoverable?: boolean;
}

/** What the subscription tells its owner (see topics.ts). */
export interface SubscriptionHooks {
  /** The server accepted it and named its topic. */
  subscribed(subscription: Subscription, serverTopic: string): void;
  /** The server refused it; it is over. */
  refused(subscription: Subscription): void;
  /** Its state changed. */
  changed(subscription: Subscription): void;
  /** A re-subscribe got every missed update back (`true`), or could not: updates were lost (`false`). */
  recovery(subscription: Subscription, recovered: boolean): void;
  /** An update already seen arrived again; it was dropped. */
  duplicate(subscription: Subscription, position: Position): void;
  /** Updates after `after` were skipped (`got` arrived); on a reliable route it was not passed on. */
  gap(subscription: Subscription, after: Position, got: Position): void;
}

/** A topic this client is (or is becoming) subscribed to. */
export class Subscription {
  private stateValue: SubscriptionState = "unsubscribed";
  /** listener id → callback. */
  readonly listeners = new Map<string, UpdateListener>();
  private waiters: Waiter[] = [];
  /** The topic as the server names it; the client's own until the server answers. */
  serverTopic: string;
  /** The last update seen (or where the server said updates continue from). */
  position: Position | undefined;
  /** Set while a subscribe that asked to recover awaits its answer. */
  private recovering = false;
  /** Set while a hole is being filled: frames are dropped until the server replays. */
  private refilling = false;

  constructor(
    private readonly connection: Connection,
    private readonly hooks: SubscriptionHooks,
    readonly route: string,
    /** The topic computed client-side. */
    readonly topic: string,
    /** The request sent, already normalized. */
    readonly request: unknown,
    readonly options: RouteOptions = {},
  ) {
    this.serverTopic = topic;
  }

  get state(): SubscriptionState {
    return this.stateValue;
  }

  /** Resolves once subscribed, sending the subscribe first if nobody has. */
  ready(): Promise<void> {
    if (this.stateValue === "subscribed") return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.stateValue === "unsubscribed") this.send();
    return promise;
  }

  /**
   * Sends the subscribe now if connected, else when the connection opens (see
   * topics.ts); on a recoverable route that has seen a position, asks to
   * recover from it.
   */
  send(): void {
    this.setState("subscribing");
    const since = this.options.recoverable ? this.position : undefined;
    this.recovering = since !== undefined;
    this.connection.request(this.route, "subscribe", this.request, (reply) => this.answered(reply), since);
  }

  /** The connection dropped: the server forgot this subscription; it is re-sent on reconnect. */
  interrupted(): void {
    if (this.stateValue === "subscribed") this.setState("subscribing");
  }

  /**
   * Hands an update to every listener (one that throws does not starve the
   * others), unless it was seen already, or comes after a hole on a reliable
   * route (then the hole is filled first: the server replays from the last
   * update seen).
   */
  deliver(data: unknown, position?: Position): void {
    if (this.refilling || this.stateValue === "unsubscribed") return;
    const last = this.position;
    if (position !== undefined && last !== undefined && position.epoch === last.epoch) {
      if (position.offset <= last.offset) return this.hooks.duplicate(this, position);
      if (position.offset > last.offset + 1) {
        this.hooks.gap(this, last, position);
        if (this.options.reliable && this.options.recoverable) return this.refill();
      }
    } else if (position !== undefined && last !== undefined && this.options.reliable) {
      // A new sequence under a live subscription: what came between is unknown.
      this.hooks.recovery(this, false);
    }
    if (position !== undefined) this.position = position;
    for (const listener of [...this.listeners.values()]) {
      try {
        listener(data, this.serverTopic);
      } catch (error) {
        reportListenerError(error);
      }
    }
  }

  /** The last listener left: unsubscribes on the server if it knows this topic. */
  release(): Promise<void> {
    const known = this.stateValue !== "unsubscribed";
    this.end(new TopicwireError("cancelled", "unsubscribed before the subscription completed", this.topic));
    if (!known) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const sent = this.connection.request(this.route, "unsubscribe", this.request, (reply) => {
        if (reply === undefined || reply.status === "ok") resolve();
        else reject(new TopicwireError("refused", reply.message, this.serverTopic));
      });
      // Not connected: the server dropped the subscription with the connection.
      if (!sent) resolve();
    });
  }

  /** Over without unsubscribing (refused, dropped, closed, merged): waiters get `error`, or are resolved when it is undefined. */
  end(error: TopicwireError | undefined): void {
    this.setState("unsubscribed");
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /** Fills a hole on a live connection: unsubscribes and subscribes again from the last update seen. */
  private refill(): void {
    this.refilling = true;
    this.connection.request(this.route, "unsubscribe", this.request, () => {});
    this.send();
  }

  private answered(reply: StatusPayload | undefined): void {
    // No reply: the connection was lost and the subscribe will be re-sent.
    // Unsubscribed meanwhile: the listeners left and an unsubscribe followed it.
    if (reply === undefined || this.stateValue !== "subscribing") return;
    if (reply.status === "error") {
      this.end(new TopicwireError("refused", reply.message, this.topic));
      return this.hooks.refused(this);
    }
    this.serverTopic = reply.topic ?? this.topic;
    const recovering = this.recovering;
    this.recovering = this.refilling = false;
    if (reply.position !== undefined) this.position = reply.position;
    this.setState("subscribed");
    if (recovering) this.hooks.recovery(this, reply.recovered === true);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
    this.hooks.subscribed(this, this.serverTopic);
  }

  private setState(state: SubscriptionState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.hooks.changed(this);
  }
}
