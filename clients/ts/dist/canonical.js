// Topics are computed client-side so a listener can be keyed before the server
// answers. They must be byte-identical to the server's: Python's
// json.dumps(value, sort_keys=True, separators=(",", ":")) with ensure_ascii.
/** `route + ":" + canonicalJson(request)`, the server's name for a subscription. */
export function topicOf(route, request) {
    return `${route}:${canonicalJson(request)}`;
}
/**
 * `value` as canonical JSON: keys sorted by code point at every level, no
 * whitespace, list order kept, every character outside printable ASCII
 * escaped as `\uXXXX` (UTF-16 units). `undefined` object members are skipped,
 * as JSON.stringify does. Numbers print as JavaScript prints them, which
 * matches the server except for integral floats (`1.0` there, `1` here).
 */
export function canonicalJson(value) {
    if (value === null || typeof value === "boolean")
        return String(value);
    if (typeof value === "number") {
        if (!Number.isFinite(value))
            throw new TypeError(`cannot encode ${value} as JSON`);
        return String(value);
    }
    if (typeof value === "string")
        return quote(value);
    if (Array.isArray(value))
        return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
    if (typeof value === "object") {
        const entries = Object.entries(value)
            .filter(([, item]) => item !== undefined)
            .sort(([a], [b]) => byCodePoint(a, b));
        return `{${entries.map(([key, item]) => `${quote(key)}:${canonicalJson(item)}`).join(",")}}`;
    }
    throw new TypeError(`cannot encode a ${typeof value} as JSON`);
}
const SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
};
function quote(text) {
    let out = '"';
    for (let i = 0; i < text.length; i++) {
        const char = text[i];
        const unit = text.charCodeAt(i);
        const short = SHORT_ESCAPES[char];
        if (short !== undefined)
            out += short;
        else if (unit >= 0x20 && unit <= 0x7e)
            out += char;
        else
            out += `\\u${unit.toString(16).padStart(4, "0")}`;
    }
    return `${out}"`;
}
/** Orders keys as Python and Rust do (by code point), not by UTF-16 unit. */
function byCodePoint(a, b) {
    const left = [...a];
    const right = [...b];
    for (let i = 0; i < Math.min(left.length, right.length); i++) {
        const diff = left[i].codePointAt(0) - right[i].codePointAt(0);
        if (diff !== 0)
            return diff;
    }
    return left.length - right.length;
}
