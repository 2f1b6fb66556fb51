/** What the client knows of a route's request schema. */
export interface RequestShape {
    /** Top-level fields the schema declares; others are dropped. Absent: keep all. */
    readonly fields?: readonly string[];
    /** Defaults of top-level fields, filled in when the request leaves them out. */
    readonly defaults?: Readonly<Record<string, unknown>>;
}
/** `request` as the server will see it after validation, as far as `shape` tells. */
export declare function normalizeRequest(request: unknown, shape: RequestShape | undefined): unknown;
