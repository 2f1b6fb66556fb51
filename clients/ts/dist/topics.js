// The listeners of one module and the server subscriptions they share:
// several listeners on one topic make one subscription, the last one leaving
// unsubscribes, every live subscription is re-sent after a reconnect, and
// updates and dropped topics are routed to the listeners concerned.
import { Emitter } from "./events.js";
import { TopicwireError } from "./errors.js";
import { Subscription } from "./subscription.js";
/** The subscriptions of one connection. */
export class Topics extends Emitter {
    connection;
    warn;
    /** Client-side and server-side topic names → subscription (the same one when they agree). */
    byTopic = new Map();
    /** route → listener id → its subscription. */
    byListener = new Map();
    constructor(connection, warn) {
        super();
        this.connection = connection;
        this.warn = warn;
        connection.on("connected", () => this.resubscribe());
        connection.on("closed", ({ reconnect, reason }) => {
            if (reconnect)
                this.each((subscription) => subscription.interrupted());
            else
                this.clear(`connection closed for good: ${reason}`);
        });
        connection.on("message", (message) => {
            const subscription = this.byTopic.get(message.topic);
            if (message.kind === "update")
                subscription?.deliver(message.data, message.position);
            else if (subscription !== undefined)
                this.drop(subscription, message.message);
        });
    }
    /**
     * Adds (or moves) listener `listenerId` of `route` to `topic`, subscribing
     * on the server if it is the topic's first listener. Resolves once subscribed.
     */
    add(route, listenerId, topic, request, onUpdate, options = {}) {
        const current = this.listenersOf(route).get(listenerId);
        if (current !== undefined && current !== this.byTopic.get(topic)) {
            // The listener moves to another topic; its old one may be left empty.
            void this.remove(route, listenerId).catch(() => { });
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
    remove(route, listenerId) {
        const listeners = this.listenersOf(route);
        const subscription = listeners.get(listenerId);
        if (subscription === undefined)
            return Promise.resolve();
        listeners.delete(listenerId);
        subscription.listeners.delete(listenerId);
        if (subscription.listeners.size > 0)
            return Promise.resolve();
        this.forget(subscription);
        return subscription.release();
    }
    /** State of the subscription `listenerId` of `route` is on, `unsubscribed` when none. */
    stateOf(route, listenerId) {
        return this.listenersOf(route).get(listenerId)?.state ?? "unsubscribed";
    }
    /** Forgets every listener and subscription (the client is closing); pending subscribes reject with `message`. */
    clear(message) {
        const error = new TopicwireError("closed", message);
        this.each((subscription) => subscription.end(error));
        this.byTopic.clear();
        this.byListener.clear();
    }
    subscribed(subscription, serverTopic) {
        const existing = this.byTopic.get(serverTopic);
        if (existing === subscription)
            return;
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
    refused(subscription) {
        this.forget(subscription);
        const listeners = this.listenersOf(subscription.route);
        for (const listenerId of subscription.listeners.keys())
            listeners.delete(listenerId);
    }
    changed(subscription) {
        this.emit("subscription", { route: subscription.route, topic: subscription.serverTopic, state: subscription.state });
    }
    recovery(subscription, recovered) {
        const event = { route: subscription.route, topic: subscription.serverTopic, position: subscription.position };
        this.emit(recovered ? "recovered" : "lost", event);
    }
    duplicate(subscription, position) {
        this.emit("duplicate", { route: subscription.route, topic: subscription.serverTopic, position });
    }
    gap(subscription, after, got) {
        this.emit("gap", { route: subscription.route, topic: subscription.serverTopic, after, got });
    }
    drop(subscription, message) {
        const listenerIds = [...subscription.listeners.keys()];
        this.refused(subscription);
        subscription.end(new TopicwireError("dropped", message, subscription.serverTopic));
        this.emit("dropped", { route: subscription.route, topic: subscription.serverTopic, message, listenerIds });
    }
    resubscribe() {
        this.each((subscription) => {
            if (subscription.state !== "unsubscribed")
                subscription.send();
        });
    }
    /** Removes every name of `subscription` from the index. */
    forget(subscription) {
        for (const [topic, entry] of this.byTopic)
            if (entry === subscription)
                this.byTopic.delete(topic);
    }
    /** Every distinct subscription once. */
    each(visit) {
        for (const subscription of new Set(this.byTopic.values()))
            visit(subscription);
    }
    listenersOf(route) {
        let listeners = this.byListener.get(route);
        if (listeners === undefined)
            this.byListener.set(route, (listeners = new Map()));
        return listeners;
    }
}
