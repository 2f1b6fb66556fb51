#!/usr/bin/env node
// Serves the dashboard the way the host does — the page at `/`, its files at
// `/assets/dashboard/`, the compiled client at `/assets/client/` — straight
// from the work tree, and passes everything else (REST, WebSocket upgrades)
// to a running host. For working on the dashboard without rebuilding the
// host, and for testing it against a host that does not serve it yet.
//
// Usage: node tools/dashboard-dev-server.mjs --upstream http://127.0.0.1:8000 [--listen 127.0.0.1:0]
// Prints `listening on http://HOST:PORT` once ready.

import { readFile } from "node:fs/promises";
import { createServer, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = fileURLToPath(new URL(".", import.meta.url));
const MOUNTS = [
  { prefix: "/assets/dashboard/", dir: join(here, "../../../host/assets/dashboard") },
  { prefix: "/assets/client/", dir: join(here, "../dist") },
];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

const { values } = parseArgs({ options: { upstream: { type: "string" }, listen: { type: "string", default: "127.0.0.1:0" } } });
if (values.upstream === undefined) {
  process.stderr.write("usage: node tools/dashboard-dev-server.mjs --upstream http://HOST:PORT [--listen HOST:PORT]\n");
  process.exit(2);
}
const upstream = new URL(values.upstream);

/** The file a dashboard path maps to, or undefined when the path is the host's. */
function localFile(pathname) {
  if (pathname === "/" || pathname === "/index.html") return join(MOUNTS[0].dir, "index.html");
  for (const { prefix, dir } of MOUNTS) {
    if (!pathname.startsWith(prefix)) continue;
    const file = normalize(join(dir, decodeURIComponent(pathname.slice(prefix.length))));
    return file.startsWith(dir + sep) ? file : undefined;
  }
  return undefined;
}

async function serveFile(file, response) {
  try {
    const body = await readFile(file);
    response.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-cache" });
    response.end(body);
  } catch {
    response.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
  }
}

function proxy(request, response) {
  const forwarded = httpRequest(
    { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  forwarded.on("error", (error) => response.writeHead(502, { "Content-Type": "text/plain" }).end(`upstream: ${error.message}\n`));
  request.pipe(forwarded);
}

const server = createServer((request, response) => {
  const { pathname } = new URL(request.url, "http://x");
  const file = request.method === "GET" || request.method === "HEAD" ? localFile(pathname) : undefined;
  if (file !== undefined) void serveFile(file, response);
  else proxy(request, response);
});

// WebSockets: replay the upgrade request to the host, then splice the two sockets.
server.on("upgrade", (request, client, head) => {
  const target = connect(Number(upstream.port), upstream.hostname, () => {
    const lines = [`${request.method} ${request.url} HTTP/1.1`];
    for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
    target.write(`${lines.join("\r\n")}\r\n\r\n`);
    target.write(head);
    target.pipe(client).pipe(target);
  });
  const end = () => {
    client.destroy();
    target.destroy();
  };
  target.on("error", end);
  client.on("error", end);
  target.on("close", end);
  client.on("close", end);
});

const [host, port] = values.listen.split(/:(?=\d+$)/);
server.listen(Number(port), host, () => {
  const address = server.address();
  process.stdout.write(`listening on http://${address.address}:${address.port}\n`);
});
