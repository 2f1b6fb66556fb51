// Errors as the app sees them: why a subscribe or unsubscribe promise
// rejected, as a code it can switch on (with the server's message when the
// server refused), and the text of anything thrown.
/** A subscription that did not (or no longer does) succeed. */
export class TopicwireError extends Error {
    code;
    topic;
    constructor(code, message, topic) {
        super(message);
        this.code = code;
        this.topic = topic;
        this.name = "TopicwireError";
    }
}
/** The message of a thrown value, whatever was thrown. */
export function describeError(cause) {
    return cause instanceof Error ? cause.message : String(cause);
}
