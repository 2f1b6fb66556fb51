/** Removes the handler it was returned for. */
export type Unsubscribe = () => void;
/** Emits events of the map `Events` (event name → payload type). */
export declare class Emitter<Events extends object> {
    private readonly handlers;
    /** Calls `handler` on every `event` until the returned function is called. */
    on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Unsubscribe;
    /** Calls every handler of `event`; one that throws does not stop the others. */
    emit<K extends keyof Events>(event: K, payload: Events[K]): void;
}
/** Surfaces an app callback's exception without breaking the client's own flow. */
export declare function reportListenerError(error: unknown): void;
