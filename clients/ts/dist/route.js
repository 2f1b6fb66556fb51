// The typed face of one route: what generated clients expose as `.bars`,
// `.quotes`, ... Requests are normalized the way the server validates them,
// so the topic computed here is the server's.
import { topicOf } from "./canonical.js";
import { normalizeRequest } from "./shape.js";
/** One route of a module, typed by its request and update. */
export class Route {
    topics;
    name;
    shape;
    options;
    constructor(topics, 
    /** The route's name, e.g. `bars`. */
    name, shape, 
    /** How the route delivers and keeps its updates. */
    options = {}) {
        this.topics = topics;
        this.name = name;
        this.shape = shape;
        this.options = options;
    }
    /**
     * Calls `onUpdate` with every update of `request`'s topic until
     * `unsubscribe(listenerId)`. Listeners of one topic share one server
     * subscription; subscribing an existing `listenerId` again moves it to the
     * new request. Resolves once the server confirmed; rejects with a
     * `TopicwireError` carrying the server's message if it refused.
     */
    subscribe(listenerId, request, onUpdate) {
        const normalized = normalizeRequest(request, this.shape);
        const listener = onUpdate;
        return this.topics.add(this.name, listenerId, topicOf(this.name, normalized), normalized, listener, this.options);
    }
    /** Removes the listener; the topic's last listener unsubscribes on the server. */
    unsubscribe(listenerId) {
        return this.topics.remove(this.name, listenerId);
    }
    /** The topic `request` subscribes to, as the server names it. */
    topic(request) {
        return topicOf(this.name, normalizeRequest(request, this.shape));
    }
    /** The state of the subscription `listenerId` is on. */
    state(listenerId) {
        return this.topics.stateOf(this.name, listenerId);
    }
}
