// A small typed event emitter: the client reports state changes, dropped
// topics and close codes as events the app can switch on, in browsers and
// Node alike (no EventTarget subclassing, no dependency).
/** Emits events of the map `Events` (event name → payload type). */
export class Emitter {
    handlers = new Map();
    /** Calls `handler` on every `event` until the returned function is called. */
    on(event, handler) {
        let set = this.handlers.get(event);
        if (set === undefined)
            this.handlers.set(event, (set = new Set()));
        set.add(handler);
        return () => set.delete(handler);
    }
    /** Calls every handler of `event`; one that throws does not stop the others. */
    emit(event, payload) {
        for (const handler of [...(this.handlers.get(event) ?? [])]) {
            try {
                handler(payload);
            }
            catch (error) {
                reportListenerError(error);
            }
        }
    }
}
/** Surfaces an app callback's exception without breaking the client's own flow. */
export function reportListenerError(error) {
    queueMicrotask(() => {
        throw error;
    });
}
