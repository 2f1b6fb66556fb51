/** `route + ":" + canonicalJson(request)`, the server's name for a subscription. */
export declare function topicOf(route: string, request: unknown): string;
/**
 * `value` as canonical JSON: keys sorted by code point at every level, no
 * whitespace, list order kept, every character outside printable ASCII
 * escaped as `\uXXXX` (UTF-16 units). `undefined` object members are skipped,
 * as JSON.stringify does. Numbers print as JavaScript prints them, which
 * matches the server except for integral floats (`1.0` there, `1` here).
 */
export declare function canonicalJson(value: unknown): string;
