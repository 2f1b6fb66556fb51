// The dashboard's entry point: one generated client per module (datafeed,
// broker) on this page's host, connection state in the top bar, notices for
// errors and dropped topics, and the panels wired together.

import { BrokerClient } from "/assets/client/generated/broker.js";
import { DatafeedClient } from "/assets/client/generated/datafeed.js";
import { mountBroker } from "./broker.js";
import { el } from "./format.js";
import { mountMarket } from "./market.js";
import { mountModules } from "./modules.js";
import { mountSettings, settings } from "./settings.js";

const toasts = el("div", { class: "toasts", role: "log", "aria-live": "polite" });
document.body.append(toasts);

/** Shows a notice for a few seconds. */
function notify(text, kind = "info") {
  const toast = el("div", { class: `toast ${kind}` }, text);
  toasts.append(toast);
  setTimeout(() => toast.remove(), 6000);
  while (toasts.childElementCount > 4) toasts.firstElementChild.remove();
}

/** A status light in the top bar. */
function light(label) {
  const dot = el("span", { class: "dot" });
  const pill = el("span", { class: "pill" }, dot, label);
  document.getElementById("status").append(pill);
  return (state, detail) => {
    dot.className = `dot ${state}`;
    pill.title = detail ? `${state}: ${detail}` : state;
  };
}

/** A client of `Client` on this host, its state shown in the top bar. */
function connect(Client, name) {
  const jwt = settings.jwt;
  const client = new Client({ url: location.origin, ...(jwt ? { token: () => jwt } : {}) });
  const show = light(name);
  show(client.state);
  client.on("state", ({ state }) => show(state));
  client.on("closed", ({ code, reason, kind, reconnect, delayMs }) => {
    show(client.state, `closed ${code} ${kind}${reason ? `: ${reason}` : ""}${reconnect ? `; retry in ${delayMs} ms` : ""}`);
    if (kind !== "network" || !reconnect) notify(`${name}: connection closed (${code} ${kind}${reason ? `: ${reason}` : ""})`, reconnect ? "warn" : "error");
  });
  client.on("dropped", ({ topic, message }) => notify(`${name}: ${topic} dropped: ${message}`, "warn"));
  client.on("error", ({ message }) => notify(`${name}: ${message}`, "error"));
  return client;
}

document.getElementById("host").textContent = location.host;
mountSettings();
const datafeed = connect(DatafeedClient, "datafeed");
const broker = connect(BrokerClient, "broker");
mountModules({ setApiState: light("api") });

/** Symbol → latest quote values, written by the watchlist, read by the broker panel. */
const quotes = new Map();
const brokerPanel = mountBroker(broker, { quotes, notify });
mountMarket(datafeed, { quotes, notify, onSelect: brokerPanel.setSymbol, onQuote: brokerPanel.quotesChanged });
