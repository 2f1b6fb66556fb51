/** Where a topic's sequence stands: the offset of its last update, in the sequence `epoch` names. */
export interface Position {
    readonly epoch: string;
    readonly offset: number;
}
/**
 * `status`/`message` of every reply; `topic` on subscribe/unsubscribe
 * successes and dropped topics; on a subscribe's success the `position` the
 * updates that follow continue from (the first is `offset + 1`), and
 * `recovered` when the subscribe asked to recover.
 */
export interface StatusPayload {
    readonly status: "ok" | "error";
    readonly message: string;
    readonly topic?: string;
    readonly position?: Position;
    readonly recovered?: boolean;
}
/** A server frame, classified. */
export type ServerMessage = {
    readonly kind: "reply";
    readonly route: string;
    readonly op: "subscribe" | "unsubscribe";
    readonly payload: StatusPayload;
} | {
    readonly kind: "update";
    readonly route: string;
    readonly topic: string;
    readonly data: unknown;
    readonly position?: Position;
} | {
    readonly kind: "dropped";
    readonly topic: string;
    readonly message: string;
} | {
    readonly kind: "error";
    readonly message: string;
} | {
    readonly kind: "auth-refresh";
    readonly payload: StatusPayload;
};
/** `{"type":"<route>.<op>","payload":request}`, with `"since"` to recover from a position. */
export declare function requestFrame(route: string, op: "subscribe" | "unsubscribe", request: unknown, since?: Position): string;
/** `{"type":"auth.refresh","payload":{"token":...}}`. */
export declare function refreshFrame(token: string): string;
/** Classifies one text frame; undefined for a frame this client does not understand. */
export declare function parseServerMessage(text: string): ServerMessage | undefined;
/** Why a connection closed, from its close code. */
export type CloseKind = "lifespan" | "going-away" | "policy" | "too-big" | "token-expired" | "unauthorized" | "forbidden" | "network";
/** What a close code means and whether the client reconnects (after a backoff delay) on its own. */
export interface CloseInfo {
    readonly kind: CloseKind;
    readonly reconnect: boolean;
}
/** Classifies a close code. */
export declare function classifyClose(code: number): CloseInfo;
