// uPlot wrappers: stacked areas, lines and a scatter plot. Every chart
// container gets data-series (series drawn with data) and data-points
// (non-null points drawn), and resolves its promise once drawn.
import { PALETTE, OTHER_COLOUR, fmtNum, markChartDrawn } from "./common.js";

const live = new Map(); // container id -> { plot, observer }

// tint mixes a #rrggbb colour with white (f = share of white): opaque
// fills, so stacked areas drawn over each other keep their colours.
function tint(hex, f) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * f);
  return `rgb(${mix(n >> 16)}, ${mix((n >> 8) & 255)}, ${mix(n & 255)})`;
}

export function colourOf(i, other = false) {
  return other ? OTHER_COLOUR : PALETTE[i % PALETTE.length];
}

function counts(series) {
  let drawn = 0, points = 0;
  for (const s of series) {
    const n = s.values.filter((v) => v !== null && Number.isFinite(v)).length;
    if (n > 0) drawn++;
    points += n;
  }
  return { drawn, points };
}

function destroy(id) {
  const old = live.get(id);
  if (old) {
    old.observer.disconnect();
    old.plot.destroy();
    live.delete(id);
  }
}

const HEIGHT = 300;

// mount creates the uPlot in container and returns a promise resolved at
// its first draw.
function mount(container, opts, data, meta) {
  destroy(container.id);
  container.replaceChildren();
  container.dataset.series = String(meta.drawn);
  container.dataset.points = String(meta.points);
  const uPlot = window.uPlot;
  if (!uPlot) return Promise.reject(new Error("the chart library (uPlot) did not load"));
  return new Promise((resolve) => {
    let first = true;
    opts.width = Math.max(300, container.clientWidth || 800);
    opts.height = opts.height || HEIGHT;
    opts.hooks = Object.assign({}, opts.hooks, {
      draw: [() => {
        if (first) {
          first = false;
          markChartDrawn();
          resolve();
        }
      }],
    });
    const plot = new uPlot(opts, data, container);
    const observer = new ResizeObserver(() => {
      const w = Math.max(300, container.clientWidth);
      if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: opts.height });
    });
    observer.observe(container);
    live.set(container.id, { plot, observer });
  });
}

const numAxis = (label) => ({
  label,
  size: 70,
  values: (u, ticks) => ticks.map((t) => fmtNum(t)),
});

// stacked draws series ([{name, values, other}], first at the bottom) as
// stacked areas over times (Unix seconds). The legend lists the stack top
// first and shows each series' own value.
export function stacked(container, times, series, yLabel) {
  const n = times.length;
  const cum = [];
  let acc = new Array(n).fill(null);
  for (const s of series) {
    acc = acc.map((a, i) => {
      const v = s.values[i];
      if (v === null || !Number.isFinite(v)) return a;
      return (a === null ? 0 : a) + v;
    });
    cum.push(acc);
  }
  // A step where some series has data but a lower one has none still
  // stacks on zero: fill the holes below.
  for (let k = cum.length - 2; k >= 0; k--) {
    cum[k] = cum[k].map((v, i) => (v === null && cum[k + 1][i] !== null ? 0 : v));
  }
  const order = series.map((_, k) => k).reverse(); // top of the stack drawn first
  const opts = {
    scales: { x: { time: true } },
    axes: [{}, numAxis(yLabel)],
    series: [{}].concat(order.map((k) => {
      const c = colourOf(k, series[k].other);
      return {
        label: series[k].name,
        stroke: c,
        width: 1,
        fill: tint(c, 0.35),
        value: (u, v, si, di) => (di === null || di === undefined ? "–" : fmtNum(series[k].values[di])),
      };
    })),
    legend: { live: true },
    cursor: { points: { show: false } },
  };
  const data = [times].concat(order.map((k) => cum[k]));
  return mount(container, opts, data, counts(series));
}

// lines draws series as lines over times; series beyond the palette are
// dashed.
export function lines(container, times, series, yLabel) {
  const opts = {
    scales: { x: { time: true } },
    axes: [{}, numAxis(yLabel)],
    series: [{}].concat(series.map((s, k) => ({
      label: s.name,
      stroke: colourOf(k, s.other),
      width: 1.5,
      dash: k >= PALETTE.length ? [6, 3] : undefined,
      value: (u, v) => fmtNum(v),
    }))),
    legend: { live: true },
  };
  return mount(container, opts, [times].concat(series.map((s) => s.values)), counts(series));
}

// scatter draws points {x, y, label}; onHover(point or null) follows the
// cursor.
export function scatter(container, pts, xLabel, yLabel, onHover) {
  const sorted = pts.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
  const opts = {
    mode: 1,
    scales: { x: { time: false } },
    axes: [numAxis(xLabel), numAxis(yLabel)],
    series: [
      { label: xLabel, value: (u, v) => fmtNum(v) },
      {
        label: yLabel,
        stroke: PALETTE[1],
        fill: tint(PALETTE[1], 0.4),
        paths: () => null,
        points: { show: true, size: 9, width: 1.5, stroke: PALETTE[1], fill: tint(PALETTE[4], 0.1) },
        value: (u, v) => fmtNum(v),
      },
    ],
    legend: { live: true },
    hooks: {
      setCursor: [(u) => onHover && onHover(u.cursor.idx === null || u.cursor.idx === undefined ? null : sorted[u.cursor.idx])],
    },
  };
  const data = [sorted.map((p) => p.x), sorted.map((p) => p.y)];
  return mount(container, opts, data, { drawn: sorted.length ? 1 : 0, points: sorted.length });
}
