import type { Connection } from "./connection.js";
import { TopicwireError } from "./errors.js";
/** A subscription's state. */
export type SubscriptionState = "unsubscribed" | "subscribing" | "subscribed";
/** Receives a topic's updates. */
export type UpdateListener = (data: unknown, topic: string) => void;
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
export declare class Subscription {
    private readonly connection;
    private readonly hooks;
    readonly route: string;
    /** The topic computed client-side. */
    readonly topic: string;
    /** The request sent, already normalized. */
    readonly request: unknown;
    private stateValue;
    /** listener id → callback. */
    readonly listeners: Map<string, UpdateListener>;
    private waiters;
    /** The topic as the server names it; the client's own until the server answers. */
    serverTopic: string;
    constructor(connection: Connection, hooks: SubscriptionHooks, route: string, 
    /** The topic computed client-side. */
    topic: string, 
    /** The request sent, already normalized. */
    request: unknown);
    get state(): SubscriptionState;
    /** Resolves once subscribed, sending the subscribe first if nobody has. */
    ready(): Promise<void>;
    /** Sends the subscribe now if connected, else when the connection opens (see topics.ts). */
    send(): void;
    /** The connection dropped: the server forgot this subscription; it is re-sent on reconnect. */
    interrupted(): void;
    /** Hands an update to every listener; one that throws does not starve the others. */
    deliver(data: unknown): void;
    /** The last listener left: unsubscribes on the server if it knows this topic. */
    release(): Promise<void>;
    /** Over without unsubscribing (refused, dropped, closed, merged): waiters get `error`, or are resolved when it is undefined. */
    end(error: TopicwireError | undefined): void;
    private answered;
    private setState;
}
