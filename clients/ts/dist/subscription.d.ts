import type { Connection } from "./connection.js";
import { TopicwireError } from "./errors.js";
import type { Position } from "./protocol.js";
/** A subscription's state. */
export type SubscriptionState = "unsubscribed" | "subscribing" | "subscribed";
/** Receives a topic's updates. */
export type UpdateListener = (data: unknown, topic: string) => void;
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
export declare class Subscription {
    private readonly connection;
    private readonly hooks;
    readonly route: string;
    /** The topic computed client-side. */
    readonly topic: string;
    /** The request sent, already normalized. */
    readonly request: unknown;
    readonly options: RouteOptions;
    private stateValue;
    /** listener id → callback. */
    readonly listeners: Map<string, UpdateListener>;
    private waiters;
    /** The topic as the server names it; the client's own until the server answers. */
    serverTopic: string;
    /** The last update seen (or where the server said updates continue from). */
    position: Position | undefined;
    /** Set while a subscribe that asked to recover awaits its answer. */
    private recovering;
    /** Set while a hole is being filled: frames are dropped until the server replays. */
    private refilling;
    constructor(connection: Connection, hooks: SubscriptionHooks, route: string, 
    /** The topic computed client-side. */
    topic: string, 
    /** The request sent, already normalized. */
    request: unknown, options?: RouteOptions);
    get state(): SubscriptionState;
    /** Resolves once subscribed, sending the subscribe first if nobody has. */
    ready(): Promise<void>;
    /**
     * Sends the subscribe now if connected, else when the connection opens (see
     * topics.ts); on a recoverable route that has seen a position, asks to
     * recover from it.
     */
    send(): void;
    /** The connection dropped: the server forgot this subscription; it is re-sent on reconnect. */
    interrupted(): void;
    /**
     * Hands an update to every listener (one that throws does not starve the
     * others), unless it was seen already, or comes after a hole on a reliable
     * route (then the hole is filled first: the server replays from the last
     * update seen).
     */
    deliver(data: unknown, position?: Position): void;
    /** The last listener left: unsubscribes on the server if it knows this topic. */
    release(): Promise<void>;
    /** Over without unsubscribing (refused, dropped, closed, merged): waiters get `error`, or are resolved when it is undefined. */
    end(error: TopicwireError | undefined): void;
    /** Fills a hole on a live connection: unsubscribes and subscribes again from the last update seen. */
    private refill;
    private answered;
    private setState;
}
