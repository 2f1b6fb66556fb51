// The server validates a request before naming its topic: it drops unknown
// fields and fills defaults. Doing the same here (from what the generator read
// in the request schema) lets the client compute the server's topic itself.
/** `request` as the server will see it after validation, as far as `shape` tells. */
export function normalizeRequest(request, shape) {
    if (shape === undefined || request === null || typeof request !== "object" || Array.isArray(request)) {
        return request;
    }
    const given = request;
    const out = {};
    for (const [key, value] of Object.entries(given)) {
        if (value !== undefined && (shape.fields === undefined || shape.fields.includes(key)))
            out[key] = value;
    }
    for (const [key, value] of Object.entries(shape.defaults ?? {})) {
        if (out[key] === undefined)
            out[key] = structuredClone(value);
    }
    return out;
}
