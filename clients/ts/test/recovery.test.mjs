// The generated BrokerClient keeps each subscription's position and recovers
// what it missed: through a proxy that cuts the network and restores it, and
// that sends an update twice or swallows one, against a real host. The
// application sees every order event once, in order, and is told when a
// subscription recovered (and would be told if it could not).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { BrokerClient } from "@topicwire/client/generated/broker";
import { eventually, startHost } from "./support/host.mjs";
import { Proxy } from "./support/proxy.mjs";

const RESTING = { symbol: "AAPL", type: 1, side: 1, qty: 1, limitPrice: 1 };

describe("BrokerClient recovers across a network cut, a duplicate and a hole", () => {
  let host;
  let proxy;
  let client;
  const events = { recovered: [], lost: [], duplicate: [], gap: [] };
  const seen = [];
  const placed = [];

  /** Places a resting order (one `orders` update) straight at the host. */
  async function place() {
    const response = await fetch(`${host.url}/api/v1/broker/orders`, {
      method: "POST",
      headers: { "X-Account-Id": "A1", "Content-Type": "application/json" },
      body: JSON.stringify(RESTING),
    });
    assert.equal(response.status, 200);
    placed.push((await response.json()).orderId);
  }

  /** Waits until the app has seen every order placed so far. */
  function allSeen(what) {
    return eventually(() => (seen.length >= placed.length ? true : undefined), { ms: 20_000, what });
  }

  before(async () => {
    host = await startHost();
    proxy = new Proxy(host.port);
    await proxy.start();
    client = new BrokerClient({ url: proxy.url, WebSocket, backoff: { minDelayMs: 50, maxDelayMs: 200 } });
    for (const name of Object.keys(events)) client.on(name, (event) => events[name].push(event));
    await client.orders.subscribe("app", { accountId: "A1" }, (order) => seen.push(order.id));
  });

  after(async () => {
    client?.close();
    await proxy?.stop();
    await host?.stop();
  });

  test("a network cut: the orders placed meanwhile arrive after the reconnect, once, in order", async () => {
    for (let i = 0; i < 3; i++) await place();
    await allSeen("the first orders");
    proxy.cutOff();
    await eventually(() => (client.state !== "connected" ? true : undefined), { what: "the client to notice the cut" });
    for (let i = 0; i < 20; i++) await place();
    proxy.restore();
    await allSeen("the orders placed during the cut");
    assert.deepEqual(seen, placed);
    assert.equal(events.recovered.length, 1, "told it recovered");
    assert.equal(events.recovered[0].route, "orders");
    assert.equal(events.lost.length, 0, "nothing to re-read");
  });

  test("an update sent twice reaches the app once", async () => {
    proxy.duplicateNextUpdate();
    await place();
    await place();
    await allSeen("the orders after the duplicate");
    assert.deepEqual(seen, placed);
    assert.equal(events.duplicate.length, 1);
  });

  test("a hole is filled from the server, not passed on", async () => {
    proxy.dropNextUpdate();
    await place();
    await place();
    await allSeen("the orders around the hole");
    assert.deepEqual(seen, placed, "every order once, in order");
    assert.equal(events.gap.length, 1);
    assert.equal(events.lost.length, 0);
  });
});
