// One server subscription (one topic) shared by every local listener of it:
// its state machine (unsubscribed → subscribing → subscribed, back to
// subscribing while the connection is down), its listeners, and the promises
// of those waiting for it to be subscribed.

import type { Connection } from "./connection.js";
import { reportListenerError } from "./events.js";
import { TopicwireError } from "./errors.js";
import type { StatusPayload } from "./protocol.js";

/** A subscription's state. */
export type SubscriptionState = "unsubscribed" | "subscribing" | "subscribed";

/** Receives a topic's updates. */
export type UpdateListener = (data: unknown, topic: string) => void;

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** What the subscription tells its owner (see topics.ts). */
export interface SubscriptionHooks {
  /** The server accepted it and named its topic. */
  subscribed(subscription: Subscription, serverTopic: string): void;
  /** The server refused it; it is over. */
  refused(subscription: Subscription): void;
  /** Its state changed. */
  changed(subscription: Subscription): void;
}

/** A topic this client is (or is becoming) subscribed to. */
export class Subscription {
  private stateValue: SubscriptionState = "unsubscribed";
  /** listener id → callback. */
  readonly listeners = new Map<string, UpdateListener>();
  private waiters: Waiter[] = [];
  /** The topic as the server names it; the client's own until the server answers. */
  serverTopic: string;

  constructor(
    private readonly connection: Connection,
    private readonly hooks: SubscriptionHooks,
    readonly route: string,
    /** The topic computed client-side. */
    readonly topic: string,
    /** The request sent, already normalized. */
    readonly request: unknown,
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

  /** Sends the subscribe now if connected, else when the connection opens (see topics.ts). */
  send(): void {
    this.setState("subscribing");
    this.connection.request(this.route, "subscribe", this.request, (reply) => this.answered(reply));
  }

  /** The connection dropped: the server forgot this subscription; it is re-sent on reconnect. */
  interrupted(): void {
    if (this.stateValue === "subscribed") this.setState("subscribing");
  }

  /** Hands an update to every listener; one that throws does not starve the others. */
  deliver(data: unknown): void {
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

  private answered(reply: StatusPayload | undefined): void {
    // No reply: the connection was lost and the subscribe will be re-sent.
    // Unsubscribed meanwhile: the listeners left and an unsubscribe followed it.
    if (reply === undefined || this.stateValue !== "subscribing") return;
    if (reply.status === "error") {
      this.end(new TopicwireError("refused", reply.message, this.topic));
      return this.hooks.refused(this);
    }
    this.serverTopic = reply.topic ?? this.topic;
    this.setState("subscribed");
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
