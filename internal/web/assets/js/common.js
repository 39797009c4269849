// Shared helpers of qmonit's pages. Every text from the server goes into
// the DOM through textContent or attributes set with setAttribute, never as
// HTML: names from upstream are untrusted.

export const API = "/api/qmonit/v1/";

// Paul Tol's "muted" qualitative scheme (colour-blind safe), then grey for
// "other".
export const PALETTE = ["#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499"];
export const OTHER_COLOUR = "#BBBBBB";

// el builds an element: attrs are set as attributes (or as properties for
// keys starting with "."), children are nodes or strings (text nodes).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith(".")) e[k.slice(1)] = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const intFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const twoFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

// fmtNum formats a count with thousands separators: integers as such, small
// fractional values with one or two decimals; null as an en dash.
export function fmtNum(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (Number.isInteger(v) || Math.abs(v) >= 100) return intFmt.format(v);
  return Math.abs(v) >= 10 ? oneFmt.format(v) : twoFmt.format(v);
}

export function fmtPct(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v) + " %";
}

const timeFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

export function fmtTime(iso) {
  if (!iso) return "never";
  return timeFmt.format(new Date(iso));
}

export function fmtAge(iso, now = Date.now()) {
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h ago`;
}

// Links out of qmonit and to queue pages. Names are path-escaped.
export const queueURL = (q) => "/queue/" + encodeURIComponent(q);
export const bigpandaURL = (q) => "https://bigpanda.cern.ch/site/" + encodeURIComponent(q) + "/";
export const cricURL = (q) => "https://atlas-cric.cern.ch/atlas/pandaqueue/detail/" + encodeURIComponent(q) + "/";

export function queueLink(q) {
  return el("a", { class: "queue-link", href: queueURL(q) }, q);
}

export function outLinks(q) {
  return [
    el("a", { class: "bigpanda-link", href: bigpandaURL(q), rel: "noopener noreferrer" }, "BigPanDA"),
    " · ",
    el("a", { class: "cric-link", href: cricURL(q), rel: "noopener noreferrer" }, "CRIC"),
  ];
}

// fetchJSON gets an API answer's data; it throws an Error with the
// server's message on a non-2xx answer or a body that is not the API's
// envelope. whole returns the body itself (for /incidents, whose fields are
// beside "status" rather than under "data").
export async function fetchJSON(path, signal, whole = false) {
  let resp;
  try {
    resp = await fetch(path, { signal, headers: { Accept: "application/json" } });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new Error(`request ${path} failed: ${e.message}`);
  }
  let body;
  try {
    body = await resp.json();
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new Error(`request ${path}: HTTP ${resp.status}, answer is not JSON`);
  }
  if (!resp.ok || body.status !== "success") {
    throw new Error(`request ${path}: HTTP ${resp.status}: ${body.error || "no message"}`);
  }
  return whole ? body : body.data;
}

// Page state for the browser tests and for people: body[data-ready] is "1"
// when the data is drawn, "0" while loading; body[data-error] and the
// #error box say what failed.
export function setLoading() {
  document.body.dataset.ready = "0";
}

export function setReady() {
  delete document.body.dataset.error;
  const box = document.getElementById("error");
  box.hidden = true;
  box.textContent = "";
  document.body.dataset.ready = "1";
}

export function showError(err) {
  if (err && err.name === "AbortError") return;
  const msg = err && err.message ? err.message : String(err);
  const box = document.getElementById("error");
  box.textContent = "Could not load the data: " + msg;
  box.hidden = false;
  document.body.dataset.error = msg;
}

// markChartDrawn records the time to the first chart drawn.
export function markChartDrawn() {
  if (!window.qmonitTiming) window.qmonitTiming = { firstChartMs: performance.now() };
}

// loadFreshness fills #freshness from /status: the time of the newest data
// and, in plain words, what is stale or failing.
export async function loadFreshness(signal) {
  const box = document.getElementById("freshness");
  let st;
  try {
    st = await fetchJSON(API + "status", signal);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    box.dataset.state = "failing";
    box.textContent = "Cannot tell how fresh the data is: " + e.message;
    throw e;
  }
  box.dataset.state = st.state;
  box.replaceChildren();
  const head = st.last_data
    ? `Data as of ${fmtTime(st.last_data)} (${fmtAge(st.last_data, new Date(st.now).getTime())})`
    : "No data yet";
  const good = st.last_good_cycle ? `; last good cycle ${fmtTime(st.last_good_cycle)}` : "";
  box.append(el("span", {}, head + good + "."));
  if (st.state !== "ok" && st.problems.length) {
    box.append(el("ul", {}, ...st.problems.map((p) => el("li", {}, p))));
  }
  box.title = st.sources.map((s) => `${s.name}: ${s.up ? "up" : "DOWN"}`).join(", ");
  return st;
}

// initQueueJump makes the header's queue box open /queue/<name>.
export function initQueueJump() {
  const form = document.getElementById("queue-jump");
  if (!form) return;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = form.elements.name.value.trim();
    if (name) location.assign(queueURL(name));
  });
}

// table fills a table.data: head is a list of column titles (strings or
// {text, num, cls}); rows is a list of <tr> elements; empty is the text of
// the single row shown when there is none.
export function fillTable(table, head, rows, empty) {
  const thead = table.tHead || table.createTHead();
  thead.replaceChildren(el("tr", {}, ...head.map((h) => {
    const o = typeof h === "string" ? { text: h } : h;
    return el("th", { scope: "col", class: [o.num ? "num" : "", o.cls || ""].join(" ").trim() || null, title: o.title }, o.text);
  })));
  const tbody = table.tBodies[0] || table.createTBody();
  if (rows.length === 0) {
    tbody.replaceChildren(el("tr", { class: "empty" }, el("td", { class: "empty", colspan: head.length }, empty)));
    return;
  }
  const frag = document.createDocumentFragment();
  frag.append(...rows);
  tbody.replaceChildren(frag);
}

// td helpers: a number cell, a text cell.
export const tdNum = (v, fmt = fmtNum, cls = "") => el("td", { class: ("num " + cls).trim() }, fmt(v));
export const tdText = (v) => el("td", {}, v);

// sparkline draws values (nulls are gaps) as a small SVG polyline.
export function sparkline(values, width = 120, height = 22) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  const finite = values.filter((v) => v !== null && Number.isFinite(v));
  if (finite.length === 0) {
    svg.setAttribute("aria-label", "no data");
    return svg;
  }
  const lo = Math.min(...finite), hi = Math.max(...finite);
  const span = hi - lo || 1;
  const dx = values.length > 1 ? (width - 2) / (values.length - 1) : 0;
  let pts = [];
  const flush = () => {
    if (pts.length) {
      const pl = document.createElementNS(ns, "polyline");
      pl.setAttribute("points", pts.join(" "));
      svg.append(pl);
    }
    pts = [];
  };
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return flush();
    pts.push(`${(1 + i * dx).toFixed(1)},${(height - 2 - ((v - lo) / span) * (height - 4)).toFixed(1)}`);
  });
  flush();
  svg.setAttribute("aria-label", `from ${fmtNum(finite[0])} to ${fmtNum(finite[finite.length - 1])}, min ${fmtNum(lo)}, max ${fmtNum(hi)}`);
  return svg;
}

// every calls fn every ms while the page is visible (data refresh).
export function every(ms, fn) {
  setInterval(() => {
    if (document.visibilityState === "visible") fn();
  }, ms);
}
