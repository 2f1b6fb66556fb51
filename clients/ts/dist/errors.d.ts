/** `refused`: the server answered with an error; `cancelled`: the listener left before it was subscribed; `dropped`: the server dropped the topic; `closed`: the client was closed. */
export type TopicwireErrorCode = "refused" | "cancelled" | "dropped" | "closed";
/** A subscription that did not (or no longer does) succeed. */
export declare class TopicwireError extends Error {
    readonly code: TopicwireErrorCode;
    readonly topic?: string | undefined;
    constructor(code: TopicwireErrorCode, message: string, topic?: string | undefined);
}
/** The message of a thrown value, whatever was thrown. */
export declare function describeError(cause: unknown): string;
