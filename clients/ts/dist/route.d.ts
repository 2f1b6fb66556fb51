import { type RequestShape } from "./shape.js";
import type { RouteOptions, SubscriptionState } from "./subscription.js";
import type { Topics } from "./topics.js";
/** One route of a module, typed by its request and update. */
export declare class Route<Request, Update> {
    private readonly topics;
    /** The route's name, e.g. `bars`. */
    readonly name: string;
    private readonly shape?;
    /** How the route delivers and keeps its updates. */
    readonly options: RouteOptions;
    constructor(topics: Topics, 
    /** The route's name, e.g. `bars`. */
    name: string, shape?: RequestShape | undefined, 
    /** How the route delivers and keeps its updates. */
    options?: RouteOptions);
    /**
     * Calls `onUpdate` with every update of `request`'s topic until
     * `unsubscribe(listenerId)`. Listeners of one topic share one server
     * subscription; subscribing an existing `listenerId` again moves it to the
     * new request. Resolves once the server confirmed; rejects with a
     * `TopicwireError` carrying the server's message if it refused.
     */
    subscribe(listenerId: string, request: Request, onUpdate: (update: Update, topic: string) => void): Promise<void>;
    /** Removes the listener; the topic's last listener unsubscribes on the server. */
    unsubscribe(listenerId: string): Promise<void>;
    /** The topic `request` subscribes to, as the server names it. */
    topic(request: Request): string;
    /** The state of the subscription `listenerId` is on. */
    state(listenerId: string): SubscriptionState;
}
