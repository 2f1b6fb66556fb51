// Keeps the server's copy of the JWT fresh on an open connection: asks the
// token provider again shortly before the token's `exp` and sends the new one
// as `auth.refresh`, so a long-lived connection is not closed with 4001.
import { describeError } from "./errors.js";
import { jwtExpiryMs, refreshDelayMs } from "./jwt.js";
import { refreshFrame } from "./protocol.js";
/** Refreshes one connection's token; `start` on open, `stop` on close. */
export class TokenRefresher {
    provider;
    send;
    report;
    timer;
    /** Expiry of the token the server has, ms; refreshes only ever move it forward. */
    expiresAt;
    /** Expiry of the token last sent, until the server answers. */
    sent;
    /** Bumped by start and stop, so a provider call that outlives its connection sends nothing. */
    run = 0;
    constructor(provider, 
    /** Sends a frame on the open socket; false when it is not open. */
    send, report) {
        this.provider = provider;
        this.send = send;
        this.report = report;
    }
    /** The connection opened with `token`: refresh it before it expires (if it is a JWT with `exp`). */
    start(token) {
        this.stop();
        this.expiresAt = jwtExpiryMs(token);
        this.schedule();
    }
    stop() {
        this.run++;
        clearTimeout(this.timer);
        this.expiresAt = this.sent = undefined;
    }
    /** The server's `auth.refresh.response`. */
    answered(reply) {
        if (reply.status === "error")
            this.report(`token refresh refused: ${reply.message}`);
        else if (this.sent !== undefined) {
            this.expiresAt = this.sent;
            this.schedule();
        }
        this.sent = undefined;
    }
    schedule() {
        clearTimeout(this.timer);
        if (this.expiresAt !== undefined)
            this.later(refreshDelayMs(this.expiresAt, Date.now()));
    }
    later(delayMs) {
        this.timer = setTimeout(() => void this.refresh(), delayMs);
    }
    /** Sends the provider's token if it expires later than the one the server has. */
    async refresh() {
        const run = this.run;
        let token;
        try {
            token = await this.provider();
        }
        catch (cause) {
            if (run === this.run)
                this.report(`token provider failed: ${describeError(cause)}`, cause);
            return;
        }
        if (run !== this.run || this.expiresAt === undefined)
            return;
        const expiresAt = jwtExpiryMs(token);
        if (expiresAt === undefined || expiresAt <= this.expiresAt) {
            // Nothing newer yet: ask again later, until the server closes the connection (4001).
            return this.later(Math.max(1000, (this.expiresAt - Date.now()) / 2));
        }
        if (this.send(refreshFrame(token)))
            this.sent = expiresAt;
    }
}
