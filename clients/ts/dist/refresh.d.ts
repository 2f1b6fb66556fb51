import { type StatusPayload } from "./protocol.js";
/** Returns the JWT to connect with; called on every (re)connect and before the token expires. */
export type TokenProvider = () => string | Promise<string>;
/** Refreshes one connection's token; `start` on open, `stop` on close. */
export declare class TokenRefresher {
    private readonly provider;
    /** Sends a frame on the open socket; false when it is not open. */
    private readonly send;
    private readonly report;
    private timer;
    /** Expiry of the token the server has, ms; refreshes only ever move it forward. */
    private expiresAt;
    /** Expiry of the token last sent, until the server answers. */
    private sent;
    /** Bumped by start and stop, so a provider call that outlives its connection sends nothing. */
    private run;
    constructor(provider: TokenProvider, 
    /** Sends a frame on the open socket; false when it is not open. */
    send: (frame: string) => boolean, report: (message: string, cause?: unknown) => void);
    /** The connection opened with `token`: refresh it before it expires (if it is a JWT with `exp`). */
    start(token: string): void;
    stop(): void;
    /** The server's `auth.refresh.response`. */
    answered(reply: StatusPayload): void;
    private schedule;
    private later;
    /** Sends the provider's token if it expires later than the one the server has. */
    private refresh;
}
