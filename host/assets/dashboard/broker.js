// The paper-trading panel: an order ticket posting to the broker's REST API,
// and the account's orders, positions and equity, read once over REST and
// then kept current by the broker's `orders`, `positions` and `equity` routes.

import { broker as rest } from "./api.js";
import { clock, el, fillRows, formatCount, formatPrice, signed } from "./format.js";
import { SYMBOLS } from "./market.js";
import { settings } from "./settings.js";

const STATUS = { 1: "CANCELED", 2: "FILLED", 3: "INACTIVE", 4: "PLACING", 5: "REJECTED", 6: "WORKING" };
const TYPE = { 1: "LIMIT", 2: "MARKET", 3: "STOP", 4: "STOP LIMIT" };
const SIDE = { 1: "BUY", "-1": "SELL" };
const WORKING = 6;
const MARKET = 2;
const LISTENER = "dashboard";

/** Mounts the panel; `quotes` (symbol → latest values) prices positions and pre-fills limits. */
export function mountBroker(client, { quotes, notify }) {
  const orders = new Map();
  const positions = new Map();
  const accountInput = document.getElementById("account");
  let account = settings.account;
  accountInput.value = account;

  function renderOrders() {
    const sorted = [...orders.values()].sort((a, b) => Number(b.id) - Number(a.id) || String(b.id).localeCompare(String(a.id)));
    const rows = sorted.slice(0, 200).map((order) => {
      const status = STATUS[order.status] ?? String(order.status);
      // What it filled at, else what it waits for.
      const price = order.avgPrice ?? order.limitPrice ?? order.stopPrice;
      const cancel =
        order.status === WORKING
          ? el("button", { class: "icon-button", type: "button", title: "Cancel order", onclick: () => cancel(order.id) }, "✕")
          : "";
      return el(
        "tr",
        { "data-order-id": order.id },
        el("td", { class: "mono" }, order.id),
        el("td", { class: "mono" }, clock(order.updateTime)),
        el("td", {}, order.symbol),
        el("td", { class: order.side === 1 ? "up" : "down" }, SIDE[order.side] ?? order.side),
        el("td", {}, TYPE[order.type] ?? order.type),
        el("td", { class: "num" }, formatCount(order.qty)),
        el("td", { class: "num" }, formatPrice(price)),
        el("td", { "data-status": status }, el("span", { class: `badge ${status.toLowerCase()}` }, status)),
        el("td", {}, cancel),
      );
    });
    fillRows(document.querySelector("#orders tbody"), rows, "no orders yet", 9);
  }

  function renderPositions() {
    const rows = [...positions.values()]
      .filter((position) => position.qty !== 0)
      .sort((a, b) => a.symbol.localeCompare(b.symbol))
      .map((position) => {
        const last = quotes.get(position.symbol)?.lp;
        const pl = signed(last === undefined ? undefined : (last - position.avgPrice) * position.qty * position.side);
        return el(
          "tr",
          { "data-symbol": position.symbol },
          el("td", {}, position.symbol),
          el("td", { class: position.side === 1 ? "up" : "down" }, position.side === 1 ? "LONG" : "SHORT"),
          el("td", { class: "num" }, formatCount(position.qty)),
          el("td", { class: "num" }, formatPrice(position.avgPrice)),
          el("td", { class: "num" }, formatPrice(last)),
          el("td", { class: `num ${pl.class}` }, pl.text),
        );
      });
    fillRows(document.querySelector("#positions tbody"), rows, "no open positions", 6);
  }

  function showEquity(equity) {
    for (const field of ["equity", "balance", "unrealizedPL", "realizedPL"]) {
      const cell = document.querySelector(`#equity [data-field="${field}"]`);
      cell.textContent = formatPrice(equity[field]);
      if (field.endsWith("PL")) cell.className = signed(equity[field]).class;
    }
  }

  /** Reads the account's state over REST (on connect, reconnect and account change: streams carry only changes). */
  async function reload() {
    const asked = account;
    try {
      const [orderList, positionList, equity] = await Promise.all([rest("GET", "/orders", asked), rest("GET", "/positions", asked), rest("GET", "/account", asked)]);
      if (asked !== account) return;
      // An update streamed while the lists were in flight is newer than they are.
      const streamed = new Map(orders);
      orders.clear();
      for (const order of orderList ?? []) {
        const newer = streamed.get(order.id);
        orders.set(order.id, newer !== undefined && (newer.updateTime ?? 0) > (order.updateTime ?? 0) ? newer : order);
      }
      positions.clear();
      for (const position of positionList ?? []) positions.set(position.symbol, position);
      showEquity(equity);
      renderOrders();
      renderPositions();
    } catch (error) {
      notify(`broker ${asked}: ${error.message}`, "error");
    }
  }

  function subscribe() {
    const request = { accountId: account };
    const failed = (route) => (error) => {
      if (error.code !== "cancelled") notify(`${route}: ${error.message}`, "error");
    };
    client.orders
      .subscribe(LISTENER, request, (order) => {
        orders.set(order.id, { ...orders.get(order.id), ...order });
        renderOrders();
      })
      .catch(failed("orders"));
    client.positions
      .subscribe(LISTENER, request, (position) => {
        positions.set(position.symbol, position);
        renderPositions();
      })
      .catch(failed("positions"));
    client.equity.subscribe(LISTENER, request, showEquity).catch(failed("equity"));
  }

  async function cancel(id) {
    try {
      await rest("DELETE", `/orders/${encodeURIComponent(id)}`, account);
    } catch (error) {
      notify(`cancel ${id}: ${error.message}`, "error");
    }
  }

  accountInput.addEventListener("change", () => {
    account = accountInput.value.trim() || settings.account;
    settings.account = account;
    accountInput.value = account;
    subscribe();
    void reload();
  });
  client.on("connected", () => void reload());

  mountTicket(() => account, quotes, notify);
  renderOrders();
  renderPositions();
  subscribe();
  let repricing;
  return {
    /** Re-prices positions with the latest quotes, at most twice a second. */
    quotesChanged() {
      repricing ??= setTimeout(() => {
        repricing = undefined;
        renderPositions();
      }, 500);
    },
    /** Makes `symbol` the ticket's symbol (the chart's choice). */
    setSymbol(symbol) {
      document.getElementById("order-symbol").value = symbol;
    },
  };
}

/** The order form: symbol, side, market or limit, quantity. */
function mountTicket(account, quotes, notify) {
  const form = document.getElementById("ticket");
  const symbol = document.getElementById("order-symbol");
  const type = document.getElementById("order-type");
  const qty = document.getElementById("order-qty");
  const limit = document.getElementById("order-limit");
  const submit = document.getElementById("place-order");
  const result = document.getElementById("ticket-result");
  let side = 1;
  symbol.replaceChildren(...SYMBOLS.map((name) => el("option", { value: name }, name)));

  const prefillLimit = () => {
    const last = quotes.get(symbol.value)?.lp;
    if (last !== undefined) limit.value = last.toFixed(2);
  };
  for (const button of form.querySelectorAll("[data-side]")) {
    button.addEventListener("click", () => {
      side = Number(button.dataset.side);
      for (const other of form.querySelectorAll("[data-side]")) other.classList.toggle("active", other === button);
      submit.textContent = side === 1 ? "Buy" : "Sell";
      submit.className = side === 1 ? "buy" : "sell";
    });
  }
  type.addEventListener("change", () => {
    limit.disabled = Number(type.value) === MARKET;
    if (!limit.disabled) prefillLimit();
  });
  symbol.addEventListener("change", () => {
    if (!limit.disabled) prefillLimit();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const order = { symbol: symbol.value, type: Number(type.value), side, qty: Number(qty.value) };
    if (order.type !== MARKET) order.limitPrice = Number(limit.value);
    submit.disabled = true;
    try {
      const { orderId } = await rest("POST", "/orders", account(), order);
      result.className = "ticket-result";
      result.dataset.orderId = orderId;
      result.textContent = `order ${orderId} placed: ${SIDE[side]} ${order.qty} ${order.symbol} ${TYPE[order.type]}`;
    } catch (error) {
      result.className = "ticket-result error-text";
      delete result.dataset.orderId;
      result.textContent = error.message;
      notify(`order refused: ${error.message}`, "error");
    } finally {
      submit.disabled = false;
    }
  });
}
