// Reconnect delays: exponential so a host that is down is not hammered, with
// jitter so clients dropped together by a restart do not reconnect in lockstep.
/**
 * Delay before reconnect attempt `attempt` (0 for the first): the exponential
 * step `min * 2^attempt` capped at `max`, of which a random half is kept
 * ("equal jitter"), so a retry is never immediate and never synchronised.
 */
export function backoffDelay(attempt, options = {}, random = Math.random) {
    const min = options.minDelayMs ?? 250;
    const max = options.maxDelayMs ?? 10_000;
    const step = Math.min(max, min * 2 ** Math.min(attempt, 30));
    return Math.round(step / 2 + random() * (step / 2));
}
