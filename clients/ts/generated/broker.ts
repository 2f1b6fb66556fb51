// generated — do not edit. Written by clients/ts/tools/generate.mjs from the routes of module `broker`
// (regenerate: topicwire client-ts components/*.wasm --out clients/ts/generated, then npm run build).

import * as topicwire from "@topicwire/client";

/**
 * Side: BUY 1, SELL -1.
 */
export type Side = 1 | -1;
/**
 * Order status: CANCELED 1, FILLED 2, INACTIVE 3, PLACING 4, REJECTED 5, WORKING 6.
 */
export type OrderStatus = 1 | 2 | 3 | 4 | 5 | 6;
/**
 * Stop type: STOP_LOSS 0, TRAILING_STOP 1, GUARANTEED_STOP 2.
 */
export type StopType = 0 | 1 | 2;
/**
 * Order type: LIMIT 1, MARKET 2, STOP 3, STOP_LIMIT 4.
 */
export type OrderType = 1 | 2 | 3 | 4;

/**
 * Request and update of every route of module `broker`.
 */
export interface BrokerRoutes {
  /**
   * Orders of one account: every placement, change, cancellation and fill.
   */
  orders: {
    request: AccountRequest;
    update: Order;
  };
  /**
   * Positions of one account, netted per symbol (qty 0 once closed).
   */
  positions: {
    request: AccountRequest;
    update: Position;
  };
  /**
   * Fills of one account's orders.
   */
  executions: {
    request: AccountRequest;
    update: Execution;
  };
  /**
   * Equity of one account: after every fill and refreshed every second.
   */
  equity: {
    request: AccountRequest;
    update: Equity;
  };
  /**
   * Connection status of the broker, sent on subscribe.
   */
  "broker-connection": {
    request: AccountRequest;
    update: BrokerConnection;
  };
}
/**
 * The subscription request of every broker route.
 */
export interface AccountRequest {
  /**
   * The paper-trading account.
   */
  accountId: string;
}
/**
 * An order.
 */
export interface Order {
  /**
   * Average fill price.
   */
  avgPrice?: number | null;
  /**
   * Quantity filled.
   */
  filledQty?: number | null;
  /**
   * Guaranteed stop price.
   */
  guaranteedStop?: number | null;
  /**
   * Order id.
   */
  id: string;
  /**
   * Limit price (limit and stop-limit orders).
   */
  limitPrice?: number | null;
  /**
   * Quantity.
   */
  qty: number;
  /**
   * Buy or sell.
   */
  side: Side;
  /**
   * Status.
   */
  status: OrderStatus;
  /**
   * Stop-loss price.
   */
  stopLoss?: number | null;
  /**
   * Stop price (stop and stop-limit orders).
   */
  stopPrice?: number | null;
  /**
   * Kind of the stop.
   */
  stopType?: StopType | null;
  /**
   * Symbol.
   */
  symbol: string;
  /**
   * Take-profit price.
   */
  takeProfit?: number | null;
  /**
   * Trailing stop distance, pips.
   */
  trailingStopPips?: number | null;
  /**
   * Order type.
   */
  type: OrderType;
  /**
   * Last change, epoch ms.
   */
  updateTime?: number | null;
}
/**
 * A position, netted per symbol.
 */
export interface Position {
  /**
   * Average entry price.
   */
  avgPrice: number;
  /**
   * Guaranteed stop price (simulated like a stop-loss).
   */
  guaranteedStop?: number | null;
  /**
   * Position id: the symbol.
   */
  id: string;
  /**
   * Quantity, 0 once closed.
   */
  qty: number;
  /**
   * Long (buy) or short (sell).
   */
  side: Side;
  /**
   * Stop-loss price: the position closes when the price reaches it.
   */
  stopLoss?: number | null;
  /**
   * Symbol.
   */
  symbol: string;
  /**
   * Take-profit price: the position closes when the price reaches it.
   */
  takeProfit?: number | null;
  /**
   * Trailing stop distance, pips (kept and shown, not simulated).
   */
  trailingStopPips?: number | null;
}
/**
 * A fill.
 */
export interface Execution {
  /**
   * Fill price.
   */
  price: number;
  /**
   * Quantity filled.
   */
  qty: number;
  /**
   * Buy or sell.
   */
  side: Side;
  /**
   * Symbol.
   */
  symbol: string;
  /**
   * Fill time, epoch ms.
   */
  time: number;
}
/**
 * Account equity.
 */
export interface Equity {
  /**
   * Cash balance: the starting balance plus realized P/L.
   */
  balance: number;
  /**
   * Balance plus unrealized P/L.
   */
  equity: number;
  /**
   * P/L of closed trades.
   */
  realizedPL: number;
  /**
   * P/L of open positions at current prices.
   */
  unrealizedPL: number;
}
/**
 * The connection status of the broker.
 */
export interface BrokerConnection {
  /**
   * Why it disconnected (0 when connected).
   */
  disconnectType: number;
  /**
   * Human-readable status.
   */
  message: string;
  /**
   * 1 connected, 0 disconnected.
   */
  status: number;
  /**
   * When the status was reported, epoch ms.
   */
  timestamp: number;
}

/** Client of module `broker`: one WebSocket to `/api/v1/broker/ws`, one typed route per route. */
export class BrokerClient extends topicwire.ModuleClient {
  /** Orders of one account: every placement, change, cancellation and fill. */
  readonly orders: topicwire.Route<AccountRequest, Order>;
  /** Positions of one account, netted per symbol (qty 0 once closed). */
  readonly positions: topicwire.Route<AccountRequest, Position>;
  /** Fills of one account's orders. */
  readonly executions: topicwire.Route<AccountRequest, Execution>;
  /** Equity of one account: after every fill and refreshed every second. */
  readonly equity: topicwire.Route<AccountRequest, Equity>;
  /** Connection status of the broker, sent on subscribe. */
  readonly brokerConnection: topicwire.Route<AccountRequest, BrokerConnection>;

  constructor(options: topicwire.ClientOptions) {
    super("broker", options);
    this.orders = this.route("orders", {"fields":["accountId"]}, {"reliable":true,"recoverable":true});
    this.positions = this.route("positions", {"fields":["accountId"]}, {"reliable":true,"recoverable":true});
    this.executions = this.route("executions", {"fields":["accountId"]}, {"reliable":true,"recoverable":true});
    this.equity = this.route("equity", {"fields":["accountId"]});
    this.brokerConnection = this.route("broker-connection", {"fields":["accountId"]});
  }
}
