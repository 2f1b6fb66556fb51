/** The `exp` claim of a JWT as epoch milliseconds, or undefined when it has none or is not a JWT. */
export declare function jwtExpiryMs(token: string): number | undefined;
/**
 * When to refresh a token that expires at `expiresAtMs`: a tenth of its
 * remaining life early, at least 5 s and at most 60 s early, never in the past.
 */
export declare function refreshDelayMs(expiresAtMs: number, nowMs: number): number;
