// A small app on the generated DatafeedClient: prints AAPL's bars and a few
// quotes for five seconds, and what the connection does meanwhile.
// Run: npm run example [-- http://127.0.0.1:8000]

import WebSocket from "ws";
import { DatafeedClient, type Bar, type QuoteData } from "@topicwire/client/generated/datafeed";

const url = process.argv[2] ?? "http://127.0.0.1:8000";
const client = new DatafeedClient({ url, WebSocket });

client.on("state", ({ state }) => console.log(`[${client.module}] ${state}`));
client.on("closed", ({ code, kind, reconnect, delayMs }) =>
  console.log(`[${client.module}] closed ${code} (${kind})${reconnect ? `, reconnecting in ${delayMs} ms` : ""}`),
);
client.on("dropped", ({ topic, message }) => console.log(`[${client.module}] dropped ${topic}: ${message}`));

function printBar(bar: Bar): void {
  const time = new Date(bar.time).toISOString().slice(11, 16);
  console.log(`bar ${time} O ${bar.open} H ${bar.high} L ${bar.low} C ${bar.close} V ${bar.volume}`);
}

function printQuote(quote: QuoteData): void {
  if ("lp" in quote.v) console.log(`quote ${quote.n} ${quote.v.lp} (${quote.v.chp >= 0 ? "+" : ""}${quote.v.chp}%)`);
  else console.log(`quote ${quote.n}: ${quote.v.error}`);
}

await client.bars.subscribe("printer", { symbol: "AAPL", resolution: "1" }, printBar);
await client.quotes.subscribe("printer", { symbols: ["MSFT", "NVDA"] }, printQuote);
setTimeout(() => {
  void Promise.all([client.bars.unsubscribe("printer"), client.quotes.unsubscribe("printer")]).then(() => client.close());
}, 5000);
