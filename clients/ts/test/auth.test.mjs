// Token handling and close codes, which the host does not implement yet:
// against a small stand-in server (the `ws` package) that records what the
// client sends and closes with the codes the host will use.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import { ModuleClient, TopicwireError } from "@topicwire/client";
import { eventually } from "./support/host.mjs";

/** An unsigned JWT expiring `seconds` from now (the client reads `exp`, never verifies). */
function jwt(seconds, id) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none" })}.${part({ sub: id, exp: Math.floor(Date.now() / 1000) + seconds })}.`;
}

let server;
let url;
/** Every connection: its `?token=` and the frames it sent. */
const connections = [];

before(async () => {
  server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  url = `ws://127.0.0.1:${server.address().port}/api/v1/probe/ws`;
  server.on("connection", (socket, request) => {
    const connection = { socket, token: new URL(request.url, "ws://x").searchParams.get("token"), frames: [] };
    connections.push(connection);
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      connection.frames.push(frame);
      if (frame.type === "ticks.subscribe") {
        const topic = `ticks:${JSON.stringify(frame.payload)}`;
        socket.send(JSON.stringify({ type: "ticks.subscribe.response", payload: { status: "ok", message: "Subscribed", topic } }));
      } else if (frame.type === "auth.refresh") {
        socket.send(JSON.stringify({ type: "auth.refresh.response", payload: { status: "ok", message: "Refreshed" } }));
      }
    });
  });
});

after(() => server.close());

test("the token goes in ?token=, is refreshed with auth.refresh before exp, and a 4001 close reconnects with a new one", async () => {
  let issued = 0;
  const tokens = [];
  const token = () => {
    // The first lives 6 s, so it is refreshed (5 s before expiry) after about 1 s; each next one lives longer.
    issued++;
    const next = jwt(5 + issued, `t${issued}`);
    tokens.push(next);
    return Promise.resolve(next);
  };
  const client = new ModuleClient("probe", { url, WebSocket, token, backoff: { minDelayMs: 20, maxDelayMs: 100 } });
  const closes = [];
  client.on("closed", (event) => closes.push(event));
  const ticks = client.route("ticks");
  await ticks.subscribe("a", { n: 1 }, () => {});
  const first = connections.at(-1);
  assert.equal(first.token, tokens[0]);

  const refresh = await eventually(() => first.frames.find((frame) => frame.type === "auth.refresh"), { what: "auth.refresh", ms: 5000 });
  assert.equal(refresh.payload.token, tokens[1]);

  first.socket.close(4001, "token expired");
  const second = await eventually(() => (connections.length > 1 ? connections.at(-1) : undefined), { what: "a reconnect" });
  assert.equal(second.token, tokens.at(-1), "reconnects with a token fetched for it");
  assert.notEqual(second.token, tokens[0]);
  await eventually(() => second.frames.find((frame) => frame.type === "ticks.subscribe"), { what: "the resubscribe" });
  assert.equal(closes[0].code, 4001);
  assert.equal(closes[0].kind, "token-expired");
  assert.equal(closes[0].reconnect, true);
  client.close();
});

test("a close code that forbids reconnecting ends the connection and rejects pending subscribes", async () => {
  const client = new ModuleClient("probe", { url, WebSocket });
  const closes = [];
  client.on("closed", (event) => closes.push(event));
  await client.route("ticks").subscribe("a", { n: 2 }, () => {});
  const count = connections.length;
  const pending = client.route("other").subscribe("b", {}, () => {});
  connections.at(-1).socket.close(4503, "forbidden");
  await assert.rejects(pending, (error) => error instanceof TopicwireError && error.code === "closed");
  assert.equal(client.state, "disconnected");
  assert.deepEqual(
    closes.map(({ code, kind, reconnect }) => ({ code, kind, reconnect })),
    [{ code: 4503, kind: "forbidden", reconnect: false }],
  );
  assert.equal(connections.length, count, "no reconnect");
  client.close();
});
