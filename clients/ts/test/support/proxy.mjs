// A TCP proxy between a client and the host that can cut the network (reset
// every connection and refuse new ones until restored) and tamper with the
// server's WebSocket frames: send the next update again, or drop it. It reads
// the server's frames (unmasked, never fragmented by Topicwire) after the
// upgrade's response, and passes everything else through as is.

import { connect, createServer } from "node:net";

export class Proxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.cut = false;
    this.pairs = new Set();
    /** Applied to the next update frame, then cleared: "duplicate" or "drop". */
    this.nextUpdate = undefined;
  }

  /** Listens on a free port; its `url` stands for the host's. */
  async start() {
    this.server = createServer((client) => this.accept(client));
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
  }

  /** Resets every connection and refuses new ones, as a network cut does. */
  cutOff() {
    this.cut = true;
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Lets connections through again. */
  restore() {
    this.cut = false;
  }

  /** Sends the next update frame twice. */
  duplicateNextUpdate() {
    this.nextUpdate = "duplicate";
  }

  /** Swallows the next update frame. */
  dropNextUpdate() {
    this.nextUpdate = "drop";
  }

  async stop() {
    this.cutOff();
    await new Promise((resolve) => this.server.close(resolve));
  }

  accept(client) {
    if (this.cut) return client.resetAndDestroy();
    const upstream = connect(this.targetPort, "127.0.0.1");
    const pair = { client, upstream };
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.on("data", (bytes) => upstream.write(bytes));
    let buffered = Buffer.alloc(0);
    let upgraded = false;
    upstream.on("data", (bytes) => {
      buffered = Buffer.concat([buffered, bytes]);
      if (!upgraded) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        client.write(buffered.subarray(0, end + 4));
        buffered = buffered.subarray(end + 4);
        upgraded = true;
      }
      for (;;) {
        const length = frameLength(buffered);
        if (length === undefined || buffered.length < length) return;
        const frame = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        for (const out of this.tamper(frame)) client.write(out);
      }
    });
  }

  tamper(frame) {
    if (this.nextUpdate === undefined || (frame[0] & 0x0f) !== 1) return [frame];
    const text = frame.subarray(headerLength(frame)).toString("utf8");
    if (!/^\{"type":"[^"]+\.update"/.test(text)) return [frame];
    const action = this.nextUpdate;
    this.nextUpdate = undefined;
    return action === "duplicate" ? [frame, frame] : [];
  }
}

function headerLength(frame) {
  const len = frame[1] & 0x7f;
  return len === 126 ? 4 : len === 127 ? 10 : 2;
}

/** The whole length of the (unmasked) frame `buffer` starts with, once its header is in. */
function frameLength(buffer) {
  if (buffer.length < 2) return undefined;
  const len = buffer[1] & 0x7f;
  if (len === 126) return buffer.length < 4 ? undefined : 4 + buffer.readUInt16BE(2);
  if (len === 127) return buffer.length < 10 ? undefined : 10 + Number(buffer.readBigUInt64BE(2));
  return 2 + len;
}
