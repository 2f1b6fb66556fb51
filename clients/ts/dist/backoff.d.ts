/** Reconnect delay bounds, milliseconds. */
export interface BackoffOptions {
    /** Delay of the first retry (before jitter). Default 250. */
    readonly minDelayMs?: number;
    /** Largest delay. Default 10000. */
    readonly maxDelayMs?: number;
}
/**
 * Delay before reconnect attempt `attempt` (0 for the first): the exponential
 * step `min * 2^attempt` capped at `max`, of which a random half is kept
 * ("equal jitter"), so a retry is never immediate and never synchronised.
 */
export declare function backoffDelay(attempt: number, options?: BackoffOptions, random?: () => number): number;
