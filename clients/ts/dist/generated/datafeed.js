// generated — do not edit. Written by clients/ts/tools/generate.mjs from the routes of module `datafeed`
// (regenerate: topicwire client-ts components/*.wasm --out clients/ts/generated, then npm run build).
import * as topicwire from "@topicwire/client";
/** Client of module `datafeed`: one WebSocket to `/api/v1/datafeed/ws`, one typed route per route. */
export class DatafeedClient extends topicwire.ModuleClient {
    /** OHLCV bars of one symbol at one resolution, updated every tick. */
    bars;
    /** Quotes of a list of symbols, one update per symbol every tick. */
    quotes;
    constructor(options) {
        super("datafeed", options);
        this.bars = this.route("bars", { "fields": ["resolution", "symbol"] });
        this.quotes = this.route("quotes", { "fields": ["fast_symbols", "symbols"], "defaults": { "fast_symbols": [], "symbols": [] } });
    }
}
