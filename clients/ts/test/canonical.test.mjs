// Client-side topics must be byte-identical to the server's, which are
// Python's json.dumps(sort_keys=True, separators=(",", ":")): the expected
// strings below were printed by CPython 3.11.

import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalJson, topicOf } from "@topicwire/client";

test("keys sorted at every level, no whitespace, list order kept", () => {
  assert.equal(topicOf("bars", { symbol: "AAPL", resolution: "1" }), 'bars:{"resolution":"1","symbol":"AAPL"}');
  assert.equal(canonicalJson({ nested: { b: [3, 1, 2], a: null }, z: true, e: [] }), '{"e":[],"nested":{"a":null,"b":[3,1,2]},"z":true}');
  assert.equal(canonicalJson({ f: 1.5, i: -3, big: 12345678901 }), '{"big":12345678901,"f":1.5,"i":-3}');
});

test("escapes like ensure_ascii: \\uXXXX outside printable ASCII, surrogate pairs beyond the BMP", () => {
  assert.equal(canonicalJson({ s: 'é€😀"\\\n\t\x7f/\x00' }), '{"s":"\\u00e9\\u20ac\\ud83d\\ude00\\"\\\\\\n\\t\\u007f/\\u0000"}');
});

test("keys sort by code point, as Python and Rust sort them, not by UTF-16 unit", () => {
  assert.equal(canonicalJson({ "\ue000": 1, "😀": 2, a: 3 }), '{"a":3,"\\ue000":1,"\\ud83d\\ude00":2}');
});

test("undefined members are left out; non-finite numbers are refused", () => {
  assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
  assert.throws(() => canonicalJson({ n: Number.NaN }), TypeError);
});
