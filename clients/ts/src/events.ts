// A small typed event emitter: the client reports state changes, dropped
// topics and close codes as events the app can switch on, in browsers and
// Node alike (no EventTarget subclassing, no dependency).

/** Removes the handler it was returned for. */
export type Unsubscribe = () => void;

/** Emits events of the map `Events` (event name → payload type). */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Calls `handler` on every `event` until the returned function is called. */
  on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Unsubscribe {
    let set = this.handlers.get(event);
    if (set === undefined) this.handlers.set(event, (set = new Set()));
    set.add(handler as (payload: never) => void);
    return () => set.delete(handler as (payload: never) => void);
  }

  /** Calls every handler of `event`; one that throws does not stop the others. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      try {
        (handler as (payload: Events[K]) => void)(payload);
      } catch (error) {
        reportListenerError(error);
      }
    }
  }
}

/** Surfaces an app callback's exception without breaking the client's own flow. */
export function reportListenerError(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
