// The price chart, drawn on a <canvas> (no chart library, nothing to fetch):
// a line of every bars update's close as it arrives, or the bars themselves
// as candles with volume; a price axis, a time axis, the last price and a
// crosshair that reads out the point under the pointer.

import { clock, formatCompact, formatPrice } from "./format.js";

const COLORS = {
  grid: "rgba(125, 136, 153, 0.10)",
  axis: "#7d8899",
  line: "#4c9aff",
  fill: "rgba(76, 154, 255, 0.22)",
  up: "#22b07d",
  down: "#f0565a",
  cross: "rgba(215, 221, 230, 0.35)",
  label: "#0b0e13",
};
const AXIS_RIGHT = 66;
const AXIS_BOTTOM = 22;
const TOP = 28;
const MAX_TICKS = 1800;
const MAX_BARS = 400;
const FONT = '11px ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace';

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) near `raw`. */
function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 2.5 ? 2.5 : unit <= 5 ? 5 : 10) * power;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400].map((s) => s * 1000);

export class PriceChart {
  constructor(canvas, legend) {
    this.canvas = canvas;
    this.legend = legend;
    this.context = canvas.getContext("2d");
    this.mode = "line";
    this.pointer = undefined;
    this.received = 0;
    this.reset();
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement);
    canvas.addEventListener("mousemove", (event) => {
      const box = canvas.getBoundingClientRect();
      this.pointer = { x: event.clientX - box.left, y: event.clientY - box.top };
      this.requestDraw();
    });
    canvas.addEventListener("mouseleave", () => {
      this.pointer = undefined;
      this.requestDraw();
    });
  }

  /** Forgets the data (another symbol or resolution). */
  reset() {
    this.ticks = [];
    this.bars = [];
    this.requestDraw();
  }

  setMode(mode) {
    this.mode = mode;
    this.requestDraw();
  }

  /** One bars update: a tick of the line, and the bar (new or updated in place) of the candles. */
  add(bar) {
    this.ticks.push({ t: Date.now(), p: bar.close });
    if (this.ticks.length > MAX_TICKS) this.ticks.splice(0, this.ticks.length - MAX_TICKS);
    const last = this.bars.at(-1);
    if (last !== undefined && last.time === bar.time) this.bars[this.bars.length - 1] = bar;
    else if (last === undefined || bar.time > last.time) this.bars.push(bar);
    if (this.bars.length > MAX_BARS) this.bars.shift();
    this.received++;
    this.canvas.dataset.points = String(this.received);
    this.requestDraw();
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const { clientWidth, clientHeight } = this.canvas;
    this.width = clientWidth;
    this.height = clientHeight;
    this.canvas.width = Math.max(1, Math.round(clientWidth * ratio));
    this.canvas.height = Math.max(1, Math.round(clientHeight * ratio));
    this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.requestDraw();
  }

  requestDraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw() {
    const { context: g, width, height } = this;
    if (!width || !height) return;
    g.clearRect(0, 0, width, height);
    g.font = FONT;
    const plot = { left: 8, top: TOP, right: width - AXIS_RIGHT, bottom: height - AXIS_BOTTOM };
    const series = this.mode === "line" ? this.lineSeries(plot) : this.candleSeries(plot);
    if (series === undefined) {
      g.fillStyle = COLORS.axis;
      g.textAlign = "center";
      g.fillText("waiting for bars…", width / 2, height / 2);
      this.legend.textContent = "";
      return;
    }
    const y = this.priceScale(plot, series.low, series.high);
    this.drawGrid(plot, y, series.x, series.timeFrom, series.timeTo);
    series.paint(y);
    this.drawLast(plot, y, series.last, series.rising);
    this.drawCrosshair(plot, y, series);
  }

  /** Maps prices to y, with tick values for the axis. */
  priceScale(plot, low, high) {
    const span = high - low || Math.max(Math.abs(high) * 0.001, 0.01);
    const padded = { low: low - span * 0.08, high: high + span * 0.08 };
    const map = (price) => plot.bottom - ((price - padded.low) / (padded.high - padded.low)) * (plot.bottom - plot.top);
    map.invert = (py) => padded.low + ((plot.bottom - py) / (plot.bottom - plot.top)) * (padded.high - padded.low);
    const step = niceStep((padded.high - padded.low) / Math.max(2, Math.floor((plot.bottom - plot.top) / 48)));
    map.ticks = [];
    for (let value = Math.ceil(padded.low / step) * step; value <= padded.high; value += step) map.ticks.push(value);
    return map;
  }

  drawGrid(plot, y, x, from, to) {
    const g = this.context;
    g.strokeStyle = COLORS.grid;
    g.lineWidth = 1;
    g.fillStyle = COLORS.axis;
    g.textAlign = "left";
    g.textBaseline = "middle";
    for (const value of y.ticks) {
      const py = Math.round(y(value)) + 0.5;
      g.beginPath();
      g.moveTo(plot.left, py);
      g.lineTo(plot.right, py);
      g.stroke();
      g.fillText(formatPrice(value), plot.right + 8, py);
    }
    const step = TIME_STEPS.find((s) => ((to - from) / s) * 90 <= plot.right - plot.left) ?? TIME_STEPS.at(-1);
    g.textAlign = "center";
    g.textBaseline = "top";
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
      const px = Math.round(x(t)) + 0.5;
      if (px < plot.left + 28 || px > plot.right - 28) continue;
      g.beginPath();
      g.moveTo(px, plot.top);
      g.lineTo(px, plot.bottom);
      g.stroke();
      const label = step >= 86400000 ? new Date(t).toLocaleDateString("en-GB") : clock(t).slice(0, step >= 60000 ? 5 : 8);
      g.fillText(label, px, plot.bottom + 6);
    }
  }

  /** The line of closes as they arrived. */
  lineSeries(plot) {
    const ticks = this.ticks;
    if (ticks.length === 0) return undefined;
    // Five minutes at most; the first half minute fills from the left.
    const timeFrom = Math.max(ticks.at(-1).t - 300_000, ticks[0].t);
    const timeTo = Math.max(ticks.at(-1).t, timeFrom + 30_000);
    const visible = ticks.filter((tick) => tick.t >= timeFrom);
    const prices = visible.map((tick) => tick.p);
    const x = (t) => plot.left + ((t - timeFrom) / (timeTo - timeFrom)) * (plot.right - plot.left - 12);
    const g = this.context;
    return {
      x,
      timeFrom,
      timeTo,
      low: Math.min(...prices),
      high: Math.max(...prices),
      last: visible.at(-1).p,
      rising: visible.at(-1).p >= visible[0].p,
      paint: (y) => {
        g.beginPath();
        visible.forEach((tick, i) => (i === 0 ? g.moveTo(x(tick.t), y(tick.p)) : g.lineTo(x(tick.t), y(tick.p))));
        g.strokeStyle = COLORS.line;
        g.lineWidth = 1.6;
        g.lineJoin = "round";
        g.stroke();
        g.lineTo(x(visible.at(-1).t), plot.bottom);
        g.lineTo(x(visible[0].t), plot.bottom);
        g.closePath();
        const gradient = g.createLinearGradient(0, plot.top, 0, plot.bottom);
        gradient.addColorStop(0, COLORS.fill);
        gradient.addColorStop(1, "rgba(76, 154, 255, 0)");
        g.fillStyle = gradient;
        g.fill();
        const last = visible.at(-1);
        g.beginPath();
        g.arc(x(last.t), y(last.p), 3, 0, Math.PI * 2);
        g.fillStyle = COLORS.line;
        g.fill();
      },
      at: (px) => {
        const t = timeFrom + ((px - plot.left) / (plot.right - plot.left - 12)) * (timeTo - timeFrom);
        const tick = nearest(visible, (tick) => tick.t, t);
        return tick && { x: x(tick.t), text: `${clock(tick.t)}  ${formatPrice(tick.p)}` };
      },
      legend: () => {
        const bar = this.bars.at(-1);
        return bar ? barText(bar) : "";
      },
    };
  }

  /** The bars as candles, the newest on the right, with their volume underneath. */
  candleSeries(plot) {
    if (this.bars.length === 0) return undefined;
    const slot = Math.max(5, Math.min(22, (plot.right - plot.left) / Math.max(this.bars.length, 40)));
    const count = Math.floor((plot.right - plot.left - 12) / slot);
    const visible = this.bars.slice(-count);
    const period = visible.length > 1 ? visible.at(-1).time - visible.at(-2).time : 60_000;
    const timeTo = visible.at(-1).time;
    const timeFrom = timeTo - (count - 1) * period;
    const x = (t) => plot.right - 12 - slot / 2 - ((timeTo - t) / period) * slot;
    const volumeTop = plot.bottom - (plot.bottom - plot.top) * 0.18;
    const maxVolume = Math.max(1, ...visible.map((bar) => bar.volume));
    const g = this.context;
    return {
      x,
      timeFrom,
      timeTo,
      low: Math.min(...visible.map((bar) => bar.low)),
      high: Math.max(...visible.map((bar) => bar.high)),
      last: visible.at(-1).close,
      rising: visible.at(-1).close >= visible.at(-1).open,
      paint: (y) => {
        const body = Math.max(1, Math.floor(slot * 0.62));
        for (const bar of visible) {
          const px = Math.round(x(bar.time));
          const color = bar.close >= bar.open ? COLORS.up : COLORS.down;
          g.globalAlpha = 0.28;
          g.fillStyle = color;
          const vh = (bar.volume / maxVolume) * (plot.bottom - volumeTop);
          g.fillRect(px - body / 2, plot.bottom - vh, body, vh);
          g.globalAlpha = 1;
          g.strokeStyle = color;
          g.lineWidth = 1;
          g.beginPath();
          g.moveTo(px + 0.5, y(bar.high));
          g.lineTo(px + 0.5, y(bar.low));
          g.stroke();
          const top = y(Math.max(bar.open, bar.close));
          g.fillRect(px - body / 2 + 0.5, top, body, Math.max(1, y(Math.min(bar.open, bar.close)) - top));
        }
      },
      at: (px) => {
        const bar = nearest(visible, (bar) => x(bar.time), px);
        return bar && { x: x(bar.time), text: barText(bar) };
      },
      legend: () => barText(visible.at(-1)),
    };
  }

  drawLast(plot, y, price, rising) {
    const g = this.context;
    const py = Math.round(y(price)) + 0.5;
    g.strokeStyle = rising ? COLORS.up : COLORS.down;
    g.setLineDash([3, 3]);
    g.beginPath();
    g.moveTo(plot.left, py);
    g.lineTo(plot.right, py);
    g.stroke();
    g.setLineDash([]);
    this.axisLabel(plot, py, formatPrice(price), rising ? COLORS.up : COLORS.down, "#fff");
  }

  drawCrosshair(plot, y, series) {
    const pointer = this.pointer;
    const inside = pointer && pointer.x >= plot.left && pointer.x <= plot.right && pointer.y >= plot.top && pointer.y <= plot.bottom;
    const hit = inside ? series.at(pointer.x) : undefined;
    this.legend.textContent = hit ? hit.text : series.legend();
    if (!inside) return;
    const g = this.context;
    g.strokeStyle = COLORS.cross;
    g.setLineDash([4, 4]);
    g.beginPath();
    if (hit) {
      g.moveTo(Math.round(hit.x) + 0.5, plot.top);
      g.lineTo(Math.round(hit.x) + 0.5, plot.bottom);
    }
    g.moveTo(plot.left, Math.round(pointer.y) + 0.5);
    g.lineTo(plot.right, Math.round(pointer.y) + 0.5);
    g.stroke();
    g.setLineDash([]);
    this.axisLabel(plot, pointer.y, formatPrice(y.invert(pointer.y)), "#d7dde6", COLORS.label);
  }

  axisLabel(plot, py, text, background, color) {
    const g = this.context;
    g.fillStyle = background;
    g.fillRect(plot.right + 2, py - 9, AXIS_RIGHT - 4, 18);
    g.fillStyle = color;
    g.textAlign = "left";
    g.textBaseline = "middle";
    g.fillText(text, plot.right + 8, py);
  }
}

function barText(bar) {
  return `O ${formatPrice(bar.open)}  H ${formatPrice(bar.high)}  L ${formatPrice(bar.low)}  C ${formatPrice(bar.close)}  V ${formatCompact(bar.volume)}`;
}

/** The item whose `key` is closest to `value`. */
function nearest(items, key, value) {
  let best;
  let distance = Infinity;
  for (const item of items) {
    const d = Math.abs(key(item) - value);
    if (d < distance) [best, distance] = [item, d];
  }
  return best;
}
