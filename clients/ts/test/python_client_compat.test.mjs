// Speaks to the host exactly as the Python system's own frontend client does,
// so that client keeps working unchanged: topics computed client-side by
// sorting the request's keys and JSON.stringify-ing them (no library), matched
// byte for byte against the server's; update data read from
// `message.payload.payload` (needs the host's new update frames); orders
// placed over REST without an account header (the default account).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { startHost } from "./support/host.mjs";

const ACCOUNT = "DEMO-ACCOUNT";
const OrderStatus = { WORKING: 6, FILLED: 2 };

/** The Python frontend's topic: route + ":" + JSON of the request with its keys sorted. */
function topicOf(route, params) {
  const sorted = (value) =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === "object"
        ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted(value[key])]))
        : value;
  return `${route}:${JSON.stringify(sorted(params))}`;
}

/** A socket whose every message is kept, so a test can wait for one matching a condition. */
async function open(url) {
  const socket = new WebSocket(url);
  const messages = [];
  let wake = () => {};
  socket.on("message", (data) => {
    messages.push(JSON.parse(data.toString()));
    wake();
  });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  let cursor = 0;
  return {
    send: (message) => socket.send(JSON.stringify(message)),
    close: () => socket.close(),
    /** The next message (after the last one returned) matching `match`. */
    async next(match, what, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        while (cursor < messages.length) {
          const message = messages[cursor++];
          if (match(message)) return message;
        }
        if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms`);
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    },
    /** Like `next`, but searching every message so far (other topics' messages are interleaved). */
    async find(match, what, ms) {
      cursor = 0;
      return this.next(match, what, ms);
    },
  };
}

async function subscribe(socket, route, params) {
  socket.send({ type: `${route}.subscribe`, payload: params });
  const reply = await socket.next((m) => m.type === `${route}.subscribe.response`, `${route}.subscribe.response`);
  assert.equal(reply.payload.status, "ok", reply.payload.message);
  assert.equal(reply.payload.message, "Subscribed");
  assert.equal(reply.payload.topic, topicOf(route, params), "topic byte for byte");
  return reply.payload.topic;
}

async function unsubscribe(socket, route, params) {
  socket.send({ type: `${route}.unsubscribe`, payload: params });
  const reply = await socket.next((m) => m.type === `${route}.unsubscribe.response`, `${route}.unsubscribe.response`);
  assert.equal(reply.payload.status, "ok", reply.payload.message);
  assert.equal(reply.payload.message, "Unsubscribed");
  assert.equal(reply.payload.topic, topicOf(route, params));
}

/** The data of an update, where the Python client reads it. */
function dataOf(message) {
  assert.ok(message.payload.payload !== undefined, `update data must be under payload.payload: ${JSON.stringify(message)}`);
  return message.payload.payload;
}

const isUpdate = (route, topic) => (m) => m.type === `${route}.update` && m.payload.topic === topic;

/** The next update of `topic`. */
async function nextUpdate(socket, route, topic) {
  return dataOf(await socket.next(isUpdate(route, topic), `${route}.update of ${topic}`));
}

/** The first update of `topic` so far or to come. */
async function firstUpdate(socket, route, topic) {
  return dataOf(await socket.find(isUpdate(route, topic), `${route}.update of ${topic}`));
}

let host;
before(async () => {
  host = await startHost();
});
after(async () => {
  await host?.stop();
});

test("datafeed: bars and quotes as the Python frontend subscribes to them", async () => {
  const socket = await open(host.wsUrl("datafeed"));
  const bars = { symbol: "AAPL", resolution: "1" };
  const quotes = { symbols: ["AAPL", "MSFT"], fast_symbols: ["AAPL"] };
  const barsTopic = await subscribe(socket, "bars", bars);
  const quotesTopic = await subscribe(socket, "quotes", quotes);

  const bar = await nextUpdate(socket, "bars", barsTopic);
  assert.ok(Number.isInteger(bar.time), "bar.time is an integer");
  for (const field of ["open", "high", "low", "close"]) assert.equal(typeof bar[field], "number", `bar.${field}`);
  assert.ok(Number.isInteger(bar.volume), "bar.volume is an integer");

  const quote = await nextUpdate(socket, "quotes", quotesTopic);
  assert.equal(quote.s, "ok");
  assert.ok(["AAPL", "MSFT"].includes(quote.n), `quote.n ${quote.n}`);
  assert.equal(typeof quote.v.lp, "number");
  assert.equal(typeof quote.v.chp, "number");
  assert.equal(typeof quote.v.short_name, "string");

  await unsubscribe(socket, "bars", bars);
  await unsubscribe(socket, "quotes", quotes);
  socket.close();
});

test("broker: a market order over REST streams orders WORKING then FILLED, executions, positions, equity", async () => {
  const socket = await open(host.wsUrl("broker"));
  const params = { accountId: ACCOUNT };
  const topics = {};
  for (const route of ["orders", "executions", "positions", "equity"]) topics[route] = await subscribe(socket, route, params);

  const response = await fetch(`${host.url}/api/v1/broker/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ symbol: "AAPL", type: 2, side: 1, qty: 3 }),
  });
  assert.ok(response.ok, `POST /orders answered ${response.status}`);
  const { orderId } = await response.json();
  assert.equal(typeof orderId, "string");

  const working = await nextUpdate(socket, "orders", topics.orders);
  assert.equal(working.id, orderId);
  assert.equal(working.status, OrderStatus.WORKING);
  assert.equal(working.symbol, "AAPL");
  assert.equal(working.type, 2);
  assert.equal(working.side, 1);
  assert.equal(working.qty, 3);
  const filled = await nextUpdate(socket, "orders", topics.orders);
  assert.equal(filled.id, orderId);
  assert.equal(filled.status, OrderStatus.FILLED);
  assert.equal(filled.filledQty, 3);
  assert.equal(typeof filled.avgPrice, "number");

  const execution = await firstUpdate(socket, "executions", topics.executions);
  assert.equal(execution.symbol, "AAPL");
  assert.equal(execution.qty, 3);
  assert.equal(execution.price, filled.avgPrice);
  const position = await firstUpdate(socket, "positions", topics.positions);
  assert.deepEqual([position.symbol, position.qty, position.side], ["AAPL", 3, 1]);
  const equity = await firstUpdate(socket, "equity", topics.equity);
  for (const field of ["equity", "balance", "unrealizedPL", "realizedPL"]) assert.equal(typeof equity[field], "number", `equity.${field}`);

  const account = await (await fetch(`${host.url}/api/v1/broker/account`)).json();
  assert.equal(account.accountId, ACCOUNT, "no account header means the default account");

  for (const route of ["orders", "executions", "positions", "equity"]) await unsubscribe(socket, route, params);
  socket.close();
});
