import type { Connection } from "./connection.js";
import { Emitter } from "./events.js";
import type { Position } from "./protocol.js";
import { Subscription, type RouteOptions, type SubscriptionHooks, type SubscriptionState, type UpdateListener } from "./subscription.js";
/** Events about subscriptions. */
export interface TopicsEvents {
    /** A subscription's state changed. */
    subscription: {
        readonly route: string;
        readonly topic: string;
        readonly state: SubscriptionState;
    };
    /** The server dropped a topic (module quarantined, route gone); its listeners were removed. */
    dropped: {
        readonly route: string;
        readonly topic: string;
        readonly message: string;
        readonly listenerIds: readonly string[];
    };
    /** After a reconnect, a subscription got every update it missed back, in order: nothing to re-read. */
    recovered: {
        readonly route: string;
        readonly topic: string;
        readonly position: Position | undefined;
    };
    /** A subscription could not get the updates it missed back (too old, the server restarted, …): re-read the state (e.g. over REST). */
    lost: {
        readonly route: string;
        readonly topic: string;
        readonly position: Position | undefined;
    };
    /** An update seen already arrived again and was dropped. */
    duplicate: {
        readonly route: string;
        readonly topic: string;
        readonly position: Position;
    };
    /** Updates were skipped: after `after`, `got` arrived (on a reliable route the hole is filled from the server, not passed on). */
    gap: {
        readonly route: string;
        readonly topic: string;
        readonly after: Position;
        readonly got: Position;
    };
}
/** Reports what the app should know but need not act on (e.g. a topic computed differently from the server's). */
export type Warn = (message: string) => void;
/** The subscriptions of one connection. */
export declare class Topics extends Emitter<TopicsEvents> implements SubscriptionHooks {
    private readonly connection;
    private readonly warn;
    /** Client-side and server-side topic names → subscription (the same one when they agree). */
    private readonly byTopic;
    /** route → listener id → its subscription. */
    private readonly byListener;
    constructor(connection: Connection, warn: Warn);
    /**
     * Adds (or moves) listener `listenerId` of `route` to `topic`, subscribing
     * on the server if it is the topic's first listener. Resolves once subscribed.
     */
    add(route: string, listenerId: string, topic: string, request: unknown, onUpdate: UpdateListener, options?: RouteOptions): Promise<void>;
    /** Removes a listener; the last one of a topic unsubscribes. Unknown listeners are ignored. */
    remove(route: string, listenerId: string): Promise<void>;
    /** State of the subscription `listenerId` of `route` is on, `unsubscribed` when none. */
    stateOf(route: string, listenerId: string): SubscriptionState;
    /** Forgets every listener and subscription (the client is closing); pending subscribes reject with `message`. */
    clear(message: string): void;
    subscribed(subscription: Subscription, serverTopic: string): void;
    refused(subscription: Subscription): void;
    changed(subscription: Subscription): void;
    recovery(subscription: Subscription, recovered: boolean): void;
    duplicate(subscription: Subscription, position: Position): void;
    gap(subscription: Subscription, after: Position, got: Position): void;
    private drop;
    private resubscribe;
    /** Removes every name of `subscription` from the index. */
    private forget;
    /** Every distinct subscription once. */
    private each;
    private listenersOf;
}
