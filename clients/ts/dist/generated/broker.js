// generated — do not edit. Written by clients/ts/tools/generate.mjs from the routes of module `broker`
// (regenerate: topicwire client-ts components/*.wasm --out clients/ts/generated, then npm run build).
import * as topicwire from "@topicwire/client";
/** Client of module `broker`: one WebSocket to `/api/v1/broker/ws`, one typed route per route. */
export class BrokerClient extends topicwire.ModuleClient {
    /** Orders of one account: every placement, change, cancellation and fill. */
    orders;
    /** Positions of one account, netted per symbol (qty 0 once closed). */
    positions;
    /** Fills of one account's orders. */
    executions;
    /** Equity of one account: after every fill and refreshed every second. */
    equity;
    /** Connection status of the broker, sent on subscribe. */
    brokerConnection;
    constructor(options) {
        super("broker", options);
        this.orders = this.route("orders", { "fields": ["accountId"] }, { "reliable": true, "recoverable": true });
        this.positions = this.route("positions", { "fields": ["accountId"] }, { "reliable": true, "recoverable": true });
        this.executions = this.route("executions", { "fields": ["accountId"] }, { "reliable": true, "recoverable": true });
        this.equity = this.route("equity", { "fields": ["accountId"] });
        this.brokerConnection = this.route("broker-connection", { "fields": ["accountId"] });
    }
}
