// The market side of the dashboard: a watchlist fed by the datafeed's
// `quotes` route and the chart of the chosen symbol fed by its `bars` route,
// both through the generated DatafeedClient.

import { PriceChart } from "./chart.js";
import { el, formatCompact, formatPrice, signed } from "./format.js";

/** The datafeed's symbols (it names them in its "unknown symbol" errors). */
export const SYMBOLS = ["AAPL", "GOOGL", "MSFT", "AMZN", "TSLA", "NVDA", "META", "NFLX", "AMD", "INTC", "JPM", "V"];

/**
 * Mounts the watchlist and the chart, keeping `quotes` (symbol → latest
 * values) current. `onSelect(symbol)` is called when the chart's symbol
 * changes, `onQuote()` on every quote.
 */
export function mountMarket(datafeed, { quotes, notify, onSelect, onQuote }) {
  const rows = new Map();
  const body = document.querySelector("#watchlist tbody");
  const chart = new PriceChart(document.getElementById("chart"), document.getElementById("chart-bar"));
  const resolution = document.getElementById("resolution");
  let selected = SYMBOLS[0];

  for (const symbol of SYMBOLS) {
    const last = el("td", { class: "num" }, "—");
    const change = el("td", { class: "num" }, "—");
    const row = el("tr", { "data-symbol": symbol, onclick: () => select(symbol) }, el("td", {}, symbol), last, change);
    rows.set(symbol, { row, last, change });
    body.append(row);
  }

  function showQuote(values) {
    const title = document.getElementById("chart-title");
    title.textContent = selected;
    title.title = values?.description ?? "";
    const line = document.getElementById("chart-quote");
    if (values === undefined) return line.replaceChildren();
    const change = signed(values.ch);
    const percent = signed(values.chp);
    line.replaceChildren(
      el("span", { class: "last" }, formatPrice(values.lp)),
      el("span", { class: change.class }, `${change.text} (${percent.text}%)`),
      el("span", {}, `bid ${formatPrice(values.bid)}  ask ${formatPrice(values.ask)}`),
      el("span", {}, `vol ${formatCompact(values.volume)}`),
      el("span", {}, values.description),
    );
  }

  datafeed.quotes
    .subscribe("watchlist", { symbols: SYMBOLS }, (quote) => {
      if (quote.s !== "ok" || !("lp" in quote.v)) return;
      const values = quote.v;
      const previous = quotes.get(quote.n);
      quotes.set(quote.n, values);
      const cells = rows.get(quote.n);
      if (cells !== undefined) {
        cells.last.textContent = formatPrice(values.lp);
        const percent = signed(values.chp);
        cells.change.textContent = `${percent.text}%`;
        cells.change.className = `num ${percent.class}`;
        // The last price takes the colour of its last move.
        if (previous !== undefined && previous.lp !== values.lp) cells.last.className = `num ${values.lp > previous.lp ? "up" : "down"}`;
      }
      if (quote.n === selected) showQuote(values);
      onQuote();
    })
    .catch((error) => notify(`quotes: ${error.message}`, "error"));

  function subscribeBars() {
    chart.reset();
    const request = { symbol: selected, resolution: resolution.value };
    datafeed.bars.subscribe("chart", request, (bar) => chart.add(bar)).catch((error) => {
      // A newer choice replaced this subscription: nothing to report.
      if (error.code !== "cancelled") notify(`bars ${selected}: ${error.message}`, "error");
    });
  }

  function select(symbol) {
    selected = symbol;
    for (const [name, cells] of rows) cells.row.classList.toggle("selected", name === symbol);
    showQuote(quotes.get(symbol));
    subscribeBars();
    onSelect(symbol);
  }

  resolution.addEventListener("change", subscribeBars);
  for (const button of document.querySelectorAll(".chart-panel [data-mode]")) {
    button.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".chart-panel [data-mode]")) other.classList.toggle("active", other === button);
      chart.setMode(button.dataset.mode);
    });
  }
  select(selected);
}
