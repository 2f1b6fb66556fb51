import * as topicwire from "@topicwire/client";
/**
 * Whether a quote carries values or an error.
 */
export type QuoteStatus = "ok" | "error";
/**
 * The `v` of a quote: values, or an error.
 */
export type QuoteValue = QuoteValues | {
    /**
     * Human-readable reason.
     */
    error: string;
};
/**
 * Request and update of every route of module `datafeed`.
 */
export interface DatafeedRoutes {
    /**
     * OHLCV bars of one symbol at one resolution, updated every tick.
     */
    bars: {
        request: BarsSubscriptionRequest;
        update: Bar;
    };
    /**
     * Quotes of a list of symbols, one update per symbol every tick.
     */
    quotes: {
        request: QuotesSubscriptionRequest;
        update: QuoteData;
    };
}
/**
 * Subscription to the bars of one symbol.
 */
export interface BarsSubscriptionRequest {
    /**
     * Bar length: minutes (`1`, `3`, `5`, `15`, `30`, `45`, `60`, `120`, `180`, `240`), `D` (day) or `W`
     * (week); `1D`, `1W`, `01` and the like mean the same and give the same topic.
     */
    resolution: string;
    /**
     * Ticker, e.g. `AAPL`.
     */
    symbol: string;
}
/**
 * One OHLCV bar. `time` is the bar's start in epoch milliseconds; the bar is
 * updated in place until the next one starts.
 */
export interface Bar {
    /**
     * Last price of the bar.
     */
    close: number;
    /**
     * Highest price of the bar.
     */
    high: number;
    /**
     * Lowest price of the bar.
     */
    low: number;
    /**
     * First price of the bar.
     */
    open: number;
    /**
     * Start of the bar, epoch milliseconds.
     */
    time: number;
    /**
     * Shares traded during the bar.
     */
    volume: number;
}
/**
 * Subscription to quotes of several symbols.
 */
export interface QuotesSubscriptionRequest {
    /**
     * Symbols the client shows prominently (quoted like `symbols`).
     */
    fast_symbols?: string[];
    /**
     * Symbols quoted on every tick.
     */
    symbols?: string[];
}
/**
 * One symbol's quote.
 */
export interface QuoteData {
    /**
     * Symbol name.
     */
    n: string;
    /**
     * `ok` or `error`.
     */
    s: QuoteStatus;
    /**
     * The values, or the error.
     */
    v: QuoteValue;
}
/**
 * Quote values of one symbol.
 */
export interface QuoteValues {
    /**
     * Best ask.
     */
    ask: number;
    /**
     * Best bid.
     */
    bid: number;
    /**
     * Change since the previous close.
     */
    ch: number;
    /**
     * Change since the previous close, percent.
     */
    chp: number;
    /**
     * Company name.
     */
    description: string;
    /**
     * Listing exchange.
     */
    exchange: string;
    /**
     * Session high.
     */
    high_price: number;
    /**
     * Session low.
     */
    low_price: number;
    /**
     * Last price.
     */
    lp: number;
    /**
     * Session open.
     */
    open_price: number;
    /**
     * `EXCHANGE:TICKER`.
     */
    original_name: string;
    /**
     * Previous session's close.
     */
    prev_close_price: number;
    /**
     * Short name (the ticker).
     */
    short_name: string;
    /**
     * Ask minus bid.
     */
    spread: number;
    /**
     * Session volume.
     */
    volume: number;
}
/** Client of module `datafeed`: one WebSocket to `/api/v1/datafeed/ws`, one typed route per route. */
export declare class DatafeedClient extends topicwire.ModuleClient {
    /** OHLCV bars of one symbol at one resolution, updated every tick. */
    readonly bars: topicwire.Route<BarsSubscriptionRequest, Bar>;
    /** Quotes of a list of symbols, one update per symbol every tick. */
    readonly quotes: topicwire.Route<QuotesSubscriptionRequest, QuoteData>;
    constructor(options: topicwire.ClientOptions);
}
