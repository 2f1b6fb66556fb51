// The generated DatafeedClient against a real host: typed updates, shared
// subscriptions, unsubscribe, refusals carrying the server's message, and
// reconnect + resubscribe when the host restarts. Reads updates as the
// runtime does, from `payload.payload` (needs the host's new update frames).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { DatafeedClient } from "@topicwire/client/generated/datafeed";
import { TopicwireError } from "@topicwire/client";
import { TICK_MS, eventually, sleep, startHost } from "./support/host.mjs";

const AAPL = { symbol: "AAPL", resolution: "1" };
const AAPL_TOPIC = 'bars:{"resolution":"1","symbol":"AAPL"}';

/** Collects a listener's updates and lets a test await the next few. */
function recorder() {
  const updates = [];
  let waiting = [];
  return {
    updates,
    onUpdate: (update, topic) => {
      updates.push({ update, topic });
      waiting = waiting.filter((w) => (updates.length >= w.count ? (w.resolve(), false) : true));
    },
    /** Resolves once `n` more updates than now have arrived. */
    more(n = 1, ms = 5000) {
      const count = updates.length + n;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${n} more updates within ${ms} ms`)), ms);
        waiting.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

describe("DatafeedClient against a real host", () => {
  let host;
  let client;
  const warnings = [];

  before(async () => {
    host = await startHost();
    client = new DatafeedClient({ url: host.url, WebSocket, warn: (message) => warnings.push(message) });
  });

  after(async () => {
    client?.close();
    await host?.stop();
  });

  test("subscribe resolves on the server's ok and typed updates follow", async () => {
    const bars = recorder();
    await client.bars.subscribe("typed", AAPL, bars.onUpdate);
    assert.equal(client.state, "connected");
    assert.equal(client.bars.state("typed"), "subscribed");
    await bars.more(2);
    for (const { update, topic } of bars.updates) {
      assert.equal(topic, AAPL_TOPIC);
      assert.ok(Number.isInteger(update.time) && update.time > 1.7e12, `time ${update.time}`);
      for (const field of ["open", "high", "low", "close"]) assert.equal(typeof update[field], "number", field);
      assert.ok(update.low <= update.close && update.close <= update.high);
      assert.ok(Number.isInteger(update.volume));
    }
    await client.bars.unsubscribe("typed");
  });

  test("the topic is computed client-side as the server names it, defaults included", async () => {
    assert.equal(client.bars.topic({ resolution: "1", symbol: "AAPL" }), AAPL_TOPIC);
    const quotes = recorder();
    await client.quotes.subscribe("defaults", { symbols: ["MSFT"] }, quotes.onUpdate);
    await quotes.more(1);
    assert.equal(quotes.updates[0].topic, 'quotes:{"fast_symbols":[],"symbols":["MSFT"]}');
    assert.equal(quotes.updates[0].update.n, "MSFT");
    assert.equal(typeof quotes.updates[0].update.v.lp, "number");
    assert.deepEqual(warnings, [], "no topic mismatch warnings");
    await client.quotes.unsubscribe("defaults");
  });

  test("two listeners on one topic share one server subscription", async () => {
    const first = recorder();
    const second = recorder();
    await Promise.all([
      client.bars.subscribe("first", AAPL, first.onUpdate),
      client.bars.subscribe("second", { resolution: "1", symbol: "AAPL" }, second.onUpdate),
    ]);
    await Promise.all([first.more(2), second.more(2)]);
    const live = await host.topic("datafeed", AAPL_TOPIC);
    assert.equal(live?.subscribers, 1);

    await client.bars.unsubscribe("first");
    const firstCount = first.updates.length;
    await second.more(2);
    assert.equal(first.updates.length, firstCount, "a listener that left gets nothing more");
    assert.equal((await host.topic("datafeed", AAPL_TOPIC))?.subscribers, 1, "the other listener keeps the topic");
    await client.bars.unsubscribe("second");
  });

  test("the last listener leaving unsubscribes: updates stop and the topic goes", async () => {
    const bars = recorder();
    await client.bars.subscribe("last", { symbol: "TSLA", resolution: "1" }, bars.onUpdate);
    await bars.more(1);
    await client.bars.unsubscribe("last");
    assert.equal(client.bars.state("last"), "unsubscribed");
    const count = bars.updates.length;
    await sleep(10 * TICK_MS);
    assert.equal(bars.updates.length, count, "no update after unsubscribe resolved");
    await eventually(async () => ((await host.topic("datafeed", 'bars:{"resolution":"1","symbol":"TSLA"}')) ? undefined : true), {
      what: "the topic to leave /api/v1/modules",
    });
  });

  test("an invalid request rejects with the server's message naming the field", async () => {
    await assert.rejects(client.bars.subscribe("bad", { symbol: "NOPE", resolution: "1" }, () => {}), (error) => {
      assert.ok(error instanceof TopicwireError);
      assert.equal(error.code, "refused");
      assert.match(error.message, /symbol: unknown symbol `NOPE`/);
      return true;
    });
    assert.equal(client.bars.state("bad"), "unsubscribed");
    await assert.rejects(client.bars.subscribe("bad", { symbol: "AAPL" }, () => {}), /resolution/);
  });

  test("after the host is killed and restarted, the client reconnects and updates resume", async () => {
    const bars = recorder();
    const states = [];
    const stopWatching = client.on("state", ({ state }) => states.push(state));
    await client.bars.subscribe("survivor", { symbol: "NVDA", resolution: "5" }, bars.onUpdate);
    await bars.more(1);

    await host.restart();
    await bars.more(3, 20_000);
    stopWatching();
    assert.deepEqual(states.slice(0, 2), ["connecting", "connected"]);
    assert.equal(client.bars.state("survivor"), "subscribed");
    const live = await host.topic("datafeed", 'bars:{"resolution":"5","symbol":"NVDA"}');
    assert.equal(live?.subscribers, 1, "re-subscribed once on the new host");
    await client.bars.unsubscribe("survivor");
  });
});
