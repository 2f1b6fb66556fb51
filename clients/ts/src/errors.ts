// Errors as the app sees them: why a subscribe or unsubscribe promise
// rejected, as a code it can switch on (with the server's message when the
// server refused), and the text of anything thrown.

/** `refused`: the server answered with an error; `cancelled`: the listener left before it was subscribed; `dropped`: the server dropped the topic; `closed`: the client was closed. */
export type TopicwireErrorCode = "refused" | "cancelled" | "dropped" | "closed";

/** A subscription that did not (or no longer does) succeed. */
export class TopicwireError extends Error {
  constructor(
    readonly code: TopicwireErrorCode,
    message: string,
    readonly topic?: string,
  ) {
    super(message);
    this.name = "TopicwireError";
  }
}

/** The message of a thrown value, whatever was thrown. */
export function describeError(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
