#!/usr/bin/env node
// Writes one typed TypeScript client per module from the routes the modules
// declare (their JSON Schemas), so apps get request and update types and a
// `DatafeedClient`-style class without writing either by hand.
//
// Usage: node tools/generate.mjs OUT_DIR < modules.json
//   stdin: {"modules":[{"module":"datafeed","routes":[{"name","description","request_schema","data_schema"}]}]}
//   (GET /api/v1/modules is accepted as it is: other fields are ignored.)
//   writes OUT_DIR/<module>.ts for each module, importing the runtime as "@topicwire/client".

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { compile } from "json-schema-to-typescript";

const HEADER = (module) =>
  `// generated — do not edit. Written by clients/ts/tools/generate.mjs from the routes of module \`${module}\`\n` +
  `// (regenerate: topicwire client-ts components/*.wasm --out clients/ts/generated, then npm run build).\n`;

/** `broker-connection` → `BrokerConnection`: a TypeScript identifier. */
function pascal(text) {
  const name = text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
  return /^[0-9]/.test(name) || name === "" ? `T${name}` : name;
}

/** Members of ModuleClient a route property must not shadow. */
const RESERVED = new Set(["module", "url", "state", "on", "connect", "route", "close", "constructor"]);

/** A route name as a property name: `broker-connection` → `brokerConnection` (`closeRoute` for a route `close`). */
function property(route) {
  const name = pascal(route);
  const camel = name[0].toLowerCase() + name.slice(1);
  return RESERVED.has(camel) ? `${camel}Route` : camel;
}

/** Checks the input's shape; throws naming what is wrong. */
function parseInput(text) {
  let input;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new Error(`stdin is not JSON: ${error.message}`);
  }
  if (!Array.isArray(input?.modules)) throw new Error('stdin: expected {"modules":[...]}');
  return input.modules.map((module, i) => {
    const where = `modules[${i}]`;
    if (typeof module?.module !== "string" || !/^[A-Za-z0-9_-]+$/.test(module.module)) {
      throw new Error(`${where}.module: expected a module name (letters, digits, - and _)`);
    }
    if (!Array.isArray(module.routes)) throw new Error(`${where}.routes: expected a list of routes`);
    const routes = module.routes.map((route, j) => {
      const at = `${where}.routes[${j}]`;
      if (typeof route?.name !== "string" || route.name === "") throw new Error(`${at}.name: expected a route name`);
      for (const key of ["request_schema", "data_schema"]) {
        if (route[key] === null || typeof route[key] !== "object") throw new Error(`${at}.${key}: expected a JSON Schema object`);
      }
      return route;
    });
    const seen = new Map();
    for (const route of routes) {
      const other = seen.get(property(route.name));
      if (other !== undefined) throw new Error(`${where}: routes \`${other}\` and \`${route.name}\` would both be .${property(route.name)}`);
      seen.set(property(route.name), route.name);
    }
    return { module: module.module, routes };
  });
}

/**
 * Moves `schema` (a root with its own `$defs`) into the module-wide `defs`
 * under `name`, and returns the name its root got. Definitions shared by
 * several routes (same name, same content) are kept once; if any of this
 * schema's definitions clash with a different one of the same name, all of
 * its definitions are prefixed (and its `$ref`s rewritten) to keep both.
 */
function place(defs, name, schema, prefix) {
  const { $defs = {}, definitions = {}, $schema: _, title, ...root } = schema;
  const local = { ...definitions, ...$defs };
  const clash = Object.entries(local).some(([key, def]) => key in defs && !isDeepStrictEqual(defs[key], prepare(withoutTitle(def), {})));
  const renamed = clash ? Object.fromEntries(Object.keys(local).map((key) => [key, `${prefix}${key}`])) : {};
  const rewrite = (node) => prepare(node, renamed);
  for (const [key, def] of Object.entries(local)) defs[renamed[key] ?? key] = rewrite(withoutTitle(def));
  let rootName = pascal(title ?? name);
  if (rootName in defs && !isDeepStrictEqual(defs[rootName], rewrite(root))) rootName = `${prefix}${rootName}`;
  defs[rootName] = rewrite(root);
  return rootName;
}

/** json-schema-to-typescript names a type after its `title` if it has one: names must come from the keys alone. */
function withoutTitle({ title: _, ...def }) {
  return def;
}

/**
 * Prepares a schema node for json-schema-to-typescript: `$ref`s follow
 * renamed definitions; a `$ref` with siblings (a property's description) is
 * wrapped in `allOf`, else it would be inlined and lose its type's name;
 * descriptions are trimmed.
 */
function prepare(node, renamed) {
  if (Array.isArray(node)) return node.map((item) => prepare(item, renamed));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string") {
      const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(value);
      out.$ref = match ? `#/$defs/${renamed[match[1]] ?? match[1]}` : value;
    } else if (key === "description" && typeof value === "string") {
      out.description = value.trim();
    } else {
      out[key] = prepare(value, renamed);
    }
  }
  if (out.$ref === undefined || Object.keys(out).length === 1) return out;
  const { $ref, ...siblings } = out;
  return { allOf: [{ $ref }], ...siblings };
}

/** What the runtime needs to know of a request schema to name topics as the server does (see src/shape.ts). */
function requestShape(schema) {
  const root = schema.$ref ? undefined : schema;
  if (root?.type !== "object" || root.properties === undefined || "additionalProperties" in root) return undefined;
  const defaults = Object.fromEntries(
    Object.entries(root.properties)
      .filter(([, property]) => property !== null && typeof property === "object" && "default" in property)
      .map(([key, property]) => [key, property.default]),
  );
  return {
    fields: Object.keys(root.properties).sort(),
    ...(Object.keys(defaults).length > 0 ? { defaults } : {}),
  };
}

/** The TypeScript source of one module's client. */
async function renderModule({ module, routes }) {
  const defs = {};
  const typed = routes.map((route) => {
    const prefix = pascal(route.name);
    return {
      route,
      request: place(defs, `${prefix}Request`, route.request_schema, prefix),
      update: place(defs, `${prefix}Update`, route.data_schema, prefix),
    };
  });
  const routesName = `${pascal(module)}Routes`;
  const combined = {
    title: routesName,
    description: `Request and update of every route of module \`${module}\`.`,
    type: "object",
    properties: Object.fromEntries(
      typed.map(({ route, request, update }) => [
        route.name,
        {
          ...(route.description ? { description: route.description } : {}),
          type: "object",
          properties: { request: { $ref: `#/$defs/${request}` }, update: { $ref: `#/$defs/${update}` } },
          required: ["request", "update"],
          additionalProperties: false,
        },
      ]),
    ),
    required: typed.map(({ route }) => route.name),
    additionalProperties: false,
    $defs: defs,
  };
  const types = await compile(combined, routesName, { bannerComment: "", additionalProperties: false });
  // A namespace import: schema type names (say a `Route` struct) cannot clash with the runtime's.
  return `${HEADER(module)}\nimport * as topicwire from "@topicwire/client";\n\n${types}\n${renderClass(module, typed)}`;
}

/** What the client must know of a route's delivery: reliable (holes are filled) and recoverable (it keeps a history). */
function routeOptions(route) {
  const options = {};
  if (route.delivery === "reliable") options.reliable = true;
  if (route.history?.size > 0 && route.history?.ttl_secs > 0) options.recoverable = true;
  return Object.keys(options).length > 0 ? options : undefined;
}

function renderClass(module, typed) {
  const className = `${pascal(module)}Client`;
  const fields = typed
    .map(({ route, request, update }) => {
      const doc = route.description ? `  /** ${route.description.replace(/\*\//g, "*\\/")} */\n` : "";
      return `${doc}  readonly ${property(route.name)}: topicwire.Route<${request}, ${update}>;`;
    })
    .join("\n");
  const assignments = typed
    .map(({ route }) => {
      const shape = requestShape(route.request_schema);
      const options = routeOptions(route);
      const args = [JSON.stringify(route.name), shape ? JSON.stringify(shape) : "undefined", ...(options ? [JSON.stringify(options)] : [])];
      while (args.at(-1) === "undefined") args.pop();
      return `    this.${property(route.name)} = this.route(${args.join(", ")});`;
    })
    .join("\n");
  return `/** Client of module \`${module}\`: one WebSocket to \`/api/v1/${module}/ws\`, one typed route per route. */
export class ${className} extends topicwire.ModuleClient {
${fields}

  constructor(options: topicwire.ClientOptions) {
    super(${JSON.stringify(module)}, options);
${assignments}
  }
}
`;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function main() {
  const [outDir] = process.argv.slice(2);
  if (outDir === undefined) throw new Error("usage: node tools/generate.mjs OUT_DIR < modules.json");
  const modules = parseInput(await readStdin());
  await mkdir(outDir, { recursive: true });
  for (const module of modules) {
    const path = join(outDir, `${module.module}.ts`);
    await writeFile(path, await renderModule(module));
    process.stderr.write(`wrote ${path}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`generate: ${error.message}\n`);
  process.exit(1);
});
