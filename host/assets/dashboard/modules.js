// The operations view: every module (state, version, reloads, restarts, last
// error) and every live topic with its subscribers and update rate, from
// /api/v1/modules polled once a second; rates are the `updates` (and
// `published`) deltas between two polls.

import { getModules } from "./api.js";
import { ago, el, fillRows, formatCount } from "./format.js";

const POLL_MS = 1000;

/** Per-second rates of counters between two polls. */
class Rates {
  constructor() {
    this.previous = new Map();
    this.current = new Map();
  }

  /** Records `value` of `key` at `now` and returns its rate since the previous poll. */
  sample(key, value, now) {
    this.current.set(key, { value, now });
    const before = this.previous.get(key);
    if (before === undefined || now <= before.now || value < before.value) return undefined;
    return ((value - before.value) * 1000) / (now - before.now);
  }

  /** Ends a poll: counters it did not see (topics gone) are forgotten. */
  next() {
    this.previous = this.current;
    this.current = new Map();
  }
}

const rateText = (rate) => (rate === undefined ? "—" : rate.toFixed(rate >= 100 ? 0 : 1));

/** Starts polling; `setApiState("ok" | "error", detail)` reports on the API itself. */
export function mountModules({ setApiState }) {
  const rates = new Rates();
  const status = document.getElementById("modules-status");
  const topicsStatus = document.getElementById("topics-status");

  /** A topic's text, breakable after its commas and colons (topics have no spaces). */
  function topicText(topic) {
    const colon = topic.indexOf(":");
    const parts = [el("span", { class: "route" }, topic.slice(0, colon)), ":"];
    for (const piece of topic.slice(colon + 1).split(/(?<=[,:])/)) parts.push(piece, el("wbr"));
    return el("td", { class: "mono topic" }, ...parts);
  }

  function topicRow(module, topic, now) {
    const rate = rates.sample(`${module}\u0000${topic.topic}`, topic.updates, now);
    return el(
      "tr",
      { "data-topic": topic.topic },
      el("td", {}, module),
      topicText(topic.topic),
      el("td", { class: "num" }, formatCount(topic.subscribers)),
      el("td", { class: "num" }, formatCount(topic.updates)),
      el("td", { class: "num" }, rateText(rate)),
      el("td", { class: "num mono", title: `epoch ${topic.epoch}` }, formatCount(topic.offset)),
      el("td", { class: "num" }, formatCount(topic.history)),
    );
  }

  /** One module as a card: name, state, version, counters, routes, last error. */
  function moduleCard(module, now) {
    const topics = Array.isArray(module.topics) ? module.topics : undefined;
    const topicCount = topics?.length ?? module.topic_count;
    const subscribers = topics?.reduce((sum, topic) => sum + topic.subscribers, 0) ?? module.subscriber_count;
    const published = rates.sample(module.module, module.published, now);
    const error = module.last_error;
    const stat = (label, value, className = "") => el("span", { class: `stat ${className}` }, el("span", {}, label), value);
    return el(
      "article",
      { class: "module", "data-module": module.module },
      el(
        "div",
        { class: "module-head" },
        el("strong", { title: module.file }, module.module),
        el("span", { class: `badge ${module.state}` }, module.state),
        el("span", { class: "mono muted-text", title: `SHA-256 ${module.version}` }, String(module.version ?? "").slice(0, 12)),
        el("span", { class: "module-loaded", title: new Date(module.loaded_at_ms).toLocaleString() }, `loaded ${ago(module.loaded_at_ms, now)}`),
      ),
      el(
        "div",
        { class: "module-stats" },
        stat("topics", formatCount(topicCount)),
        stat("subscriptions", formatCount(subscribers)),
        stat("updates/s", rateText(published)),
        stat("reloads", formatCount(module.reloads)),
        stat("restarts", formatCount(module.restarts), module.restarts > 0 ? "warn" : ""),
        module.recoveries ? stat("recoveries", `${formatCount(module.recoveries.recovered)} ok · ${formatCount(module.recoveries.not_recovered)} lost`) : undefined,
        module.serves_http ? stat("REST", "yes") : undefined,
      ),
      el("div", { class: "routes" }, ...(module.routes ?? []).map((route) => el("span", { class: "chip", title: route.description }, route.name))),
      error ? el("div", { class: "error-text", title: new Date(error.at_ms).toLocaleString() }, `${error.message} (${ago(error.at_ms, now)})`) : undefined,
    );
  }

  function render({ modules = [], failed = [] }, now) {
    const sorted = modules.slice().sort((a, b) => a.module.localeCompare(b.module));
    const hiddenTopics = sorted.some((module) => !Array.isArray(module.topics));
    const topicRows = sorted.flatMap((module) => (module.topics ?? []).map((topic) => topicRow(module.module, topic, now)));
    const cards = sorted.map((module) => moduleCard(module, now));
    document.getElementById("modules").replaceChildren(...(cards.length > 0 ? cards : [el("div", { class: "empty-note" }, "no modules loaded")]));
    fillRows(document.querySelector("#topics tbody"), topicRows, hiddenTopics ? "topics hidden: set an admin token" : "no live topics", 7);
    document.getElementById("failed").replaceChildren(
      ...failed.map((entry) => el("div", {}, `${entry.module} failed to load (${entry.file}): ${entry.last_error?.message ?? "unknown error"}`)),
    );
    topicsStatus.textContent = `${topicRows.length} live`;
    rates.next();
  }

  async function poll() {
    try {
      const now = Date.now();
      render(await getModules(), now);
      status.textContent = `updated ${new Date(now).toLocaleTimeString("en-GB", { hour12: false })}`;
      status.className = "muted";
      setApiState("ok", "GET /api/v1/modules answers");
    } catch (error) {
      const hint = error.status === 401 || error.status === 403 ? " — set an admin token (Auth)" : "";
      status.textContent = `${error.message}${hint}`;
      status.className = "muted error-text";
      setApiState("error", error.message);
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }
  void poll();
}
