// Keeps the server's copy of the JWT fresh on an open connection: asks the
// token provider again shortly before the token's `exp` and sends the new one
// as `auth.refresh`, so a long-lived connection is not closed with 4001.

import { describeError } from "./errors.js";
import { jwtExpiryMs, refreshDelayMs } from "./jwt.js";
import { refreshFrame, type StatusPayload } from "./protocol.js";

/** Returns the JWT to connect with; called on every (re)connect and before the token expires. */
export type TokenProvider = () => string | Promise<string>;

/** Refreshes one connection's token; `start` on open, `stop` on close. */
export class TokenRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Expiry of the token the server has, ms; refreshes only ever move it forward. */
  private expiresAt: number | undefined;
  /** Expiry of the token last sent, until the server answers. */
  private sent: number | undefined;
  /** Bumped by start and stop, so a provider call that outlives its connection sends nothing. */
  private run = 0;

  constructor(
    private readonly provider: TokenProvider,
    /** Sends a frame on the open socket; false when it is not open. */
    private readonly send: (frame: string) => boolean,
    private readonly report: (message: string, cause?: unknown) => void,
  ) {}

  /** The connection opened with `token`: refresh it before it expires (if it is a JWT with `exp`). */
  start(token: string): void {
    this.stop();
    this.expiresAt = jwtExpiryMs(token);
    this.schedule();
  }

  stop(): void {
    this.run++;
    clearTimeout(this.timer);
    this.expiresAt = this.sent = undefined;
  }

  /** The server's `auth.refresh.response`. */
  answered(reply: StatusPayload): void {
    if (reply.status === "error") this.report(`token refresh refused: ${reply.message}`);
    else if (this.sent !== undefined) {
      this.expiresAt = this.sent;
      this.schedule();
    }
    this.sent = undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.expiresAt !== undefined) this.later(refreshDelayMs(this.expiresAt, Date.now()));
  }

  private later(delayMs: number): void {
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  /** Sends the provider's token if it expires later than the one the server has. */
  private async refresh(): Promise<void> {
    const run = this.run;
    let token: string;
    try {
      token = await this.provider();
    } catch (cause) {
      if (run === this.run) this.report(`token provider failed: ${describeError(cause)}`, cause);
      return;
    }
    if (run !== this.run || this.expiresAt === undefined) return;
    const expiresAt = jwtExpiryMs(token);
    if (expiresAt === undefined || expiresAt <= this.expiresAt) {
      // Nothing newer yet: ask again later, until the server closes the connection (4001).
      return this.later(Math.max(1000, (this.expiresAt - Date.now()) / 2));
    }
    if (this.send(refreshFrame(token))) this.sent = expiresAt;
  }
}
