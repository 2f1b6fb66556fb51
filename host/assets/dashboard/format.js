// Small shared helpers of the dashboard: building DOM nodes (text only, never
// HTML from the server) and formatting prices, counts and times.

/** `el("td", {class: "num"}, "12.5")`: an element with attributes and text or child nodes. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces a table body's rows; `empty` is shown when there are none. */
export function fillRows(tbody, rows, empty, columns) {
  if (rows.length === 0) rows = [el("tr", { class: "empty" }, el("td", { colspan: columns }, empty))];
  tbody.replaceChildren(...rows);
}

const price = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const integer = new Intl.NumberFormat("en-US");

export const formatPrice = (value) => (typeof value === "number" ? price.format(value) : "—");
export const formatCount = (value) => (typeof value === "number" ? integer.format(value) : "—");
export const formatCompact = (value) => (typeof value === "number" ? compact.format(value) : "—");

/** `+1.25` / `-0.40`, with the class that colours it. */
export function signed(value, digits = 2) {
  if (typeof value !== "number") return { text: "—", class: "" };
  const text = `${value > 0 ? "+" : ""}${value.toFixed(digits)}`;
  return { text, class: value > 0 ? "up" : value < 0 ? "down" : "" };
}

/** `14:03:27` local time of an epoch-ms instant. */
export function clock(ms) {
  return typeof ms === "number" ? new Date(ms).toLocaleTimeString("en-GB", { hour12: false }) : "—";
}

/** `3 s ago`, `5 min ago`, `2 h ago`. */
export function ago(ms, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}
