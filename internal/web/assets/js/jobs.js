// Jobs Monitoring: filters, group-by and time range live in the URL query
// (?cloud=DE&cloud=FR&group=site&range=7d, or from=...&to=... in RFC 3339)
// so a view can be shared; a loaded URL restores them.
import {
  API, el, fetchJSON, fmtNum, fmtPct, fmtTime, setLoading, setReady, showError, loadFreshness,
  initQueueJump, fillTable, tdNum, sparkline, queueLink, every,
} from "./common.js";
import { stacked } from "./charts.js";

const DIMS = ["cloud", "site", "queue", "prod_source", "resource", "job_status", "tier", "type", "site_state"];
const RANGES = ["6h", "24h", "7d", "30d"];
const DEFAULT_GROUP = "cloud";
const DEFAULT_RANGE = "24h";
// Drill-down: the group a row's link opens next.
const NEXT_GROUP = { cloud: "site", site: "queue", tier: "site", type: "queue", site_state: "site", prod_source: "queue", resource: "queue", job_status: "queue" };

const $ = (id) => document.getElementById(id);

// readState parses the URL query; unknown parameters are ignored here
// (the API rejects what it does not know, and we never send those).
function readState() {
  const q = new URLSearchParams(location.search);
  const st = { filters: {}, group: q.get("group") || DEFAULT_GROUP, range: q.get("range") || "", from: q.get("from") || "", to: q.get("to") || "" };
  for (const d of DIMS) {
    const v = q.getAll(d).filter((x) => x !== "");
    if (v.length) st.filters[d] = [...new Set(v)];
  }
  if (!DIMS.includes(st.group)) st.group = DEFAULT_GROUP;
  if (!st.from || !st.to) {
    st.from = st.to = "";
    if (!RANGES.includes(st.range)) st.range = DEFAULT_RANGE;
  } else {
    st.range = "";
  }
  return st;
}

function toQuery(st) {
  const q = new URLSearchParams();
  for (const d of DIMS) for (const v of st.filters[d] || []) q.append(d, v);
  q.set("group", st.group);
  if (st.from && st.to) {
    q.set("from", st.from);
    q.set("to", st.to);
  } else {
    q.set("range", st.range || DEFAULT_RANGE);
  }
  return q.toString();
}

let state = readState();
let options = null; // filter values from /filters
let inflight = null;

// --- controls -------------------------------------------------------------

// fillSelects puts each dimension's values (and any value selected in the
// URL but not seen lately) into its <select multiple>.
function fillSelects() {
  for (const d of DIMS) {
    const sel = $("f-" + d);
    const seen = new Set(options ? (options.dims.find((x) => x.name === d) || { values: [] }).values : []);
    const chosen = state.filters[d] || [];
    const values = [...seen];
    for (const v of chosen) if (!seen.has(v)) values.push(v);
    values.sort((a, b) => a.localeCompare(b));
    const frag = document.createDocumentFragment();
    for (const v of values) frag.append(el("option", { value: v, ".selected": chosen.includes(v) }, v));
    sel.replaceChildren(frag);
  }
}

function localInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function showControls() {
  $("group-by").value = state.group;
  for (const b of document.querySelectorAll("button[data-range]")) {
    b.setAttribute("aria-pressed", String(b.dataset.range === state.range));
  }
  $("from").value = localInput(state.from);
  $("to").value = localInput(state.to);
}

function change(mutate) {
  mutate(state);
  history.pushState(null, "", "?" + toQuery(state));
  showControls();
  load();
}

let filterTimer = null;
function initControls() {
  for (const d of DIMS) {
    $("f-" + d).addEventListener("change", (ev) => {
      setLoading(); // at once: the reload follows after a short pause
      clearTimeout(filterTimer);
      const picked = [...ev.target.selectedOptions].map((o) => o.value);
      filterTimer = setTimeout(() => change((s) => {
        if (picked.length) s.filters[d] = picked;
        else delete s.filters[d];
      }), 250);
    });
  }
  $("group-by").addEventListener("change", (ev) => change((s) => { s.group = ev.target.value; }));
  for (const b of document.querySelectorAll("button[data-range]")) {
    b.addEventListener("click", () => change((s) => { s.range = b.dataset.range; s.from = s.to = ""; }));
  }
  $("apply-range").addEventListener("click", () => {
    const f = new Date($("from").value), t = new Date($("to").value);
    if (Number.isNaN(f.getTime()) || Number.isNaN(t.getTime()) || f >= t) {
      showError(new Error("choose a From time before the To time"));
      return;
    }
    change((s) => { s.from = f.toISOString().replace(/\.\d{3}Z$/, "Z"); s.to = t.toISOString().replace(/\.\d{3}Z$/, "Z"); s.range = ""; });
  });
  $("clear-filters").addEventListener("click", () => change((s) => { s.filters = {}; }));
  $("controls").addEventListener("submit", (ev) => ev.preventDefault());
  window.addEventListener("popstate", () => {
    state = readState();
    fillSelects();
    showControls();
    load();
  });
}

// --- data -----------------------------------------------------------------

function drillHref(group, value) {
  const next = { filters: structuredClone(state.filters), group: NEXT_GROUP[group] || "queue", range: state.range, from: state.from, to: state.to };
  next.filters[group] = [value];
  return "?" + toQuery(next);
}

function renderTable(data) {
  const stateCols = data.states.map((s) => ({ text: s, num: true }));
  const head = [{ text: data.group }, ...stateCols, { text: "total", num: true },
    { text: "failed %", num: true, title: "failed / (failed + finished) over the range" }, { text: `total, ${data.spark_label}` }];
  const rows = data.rows.map((r) => {
    const name = data.group === "queue"
      ? queueLink(r.group)
      : el("a", { href: drillHref(data.group, r.group), title: `filter on ${data.group} ${r.group}` }, r.group);
    return el("tr", {}, el("td", {}, name), ...r.current.map((v) => tdNum(v)), tdNum(r.total),
      tdNum(r.failure_pct, (v) => fmtPct(v)), el("td", {}, sparkline(r.spark)));
  });
  fillTable($("table-current"), head, rows, "No jobs match these filters.");
  const t = data.total;
  $("table-current").tFoot.replaceChildren(el("tr", { class: "total" }, el("td", {}, "Total"), ...t.current.map((v) => tdNum(v)),
    tdNum(t.total), tdNum(t.failure_pct, (v) => fmtPct(v)), el("td", {}, sparkline(t.spark))));
  $("table-note").textContent = (data.current_time ? `Counts of the cycle of ${fmtTime(data.current_time)}` : "No counts in the last cycles") +
    (data.rows_omitted ? `; ${fmtNum(data.rows_omitted)} more groups not shown.` : ".");
}

async function load() {
  if (inflight) inflight.abort();
  const ctrl = new AbortController();
  inflight = ctrl;
  setLoading();
  try {
    const jobs = fetchJSON(API + "jobs?" + toQuery(state), ctrl.signal);
    const fresh = loadFreshness(ctrl.signal);
    const opts = options ? Promise.resolve(options) : fetchJSON(API + "filters", ctrl.signal);
    const data = await jobs;
    const drawn = Promise.all([
      stacked($("chart-jobs"), data.times, data.jobs, "jobs"),
      stacked($("chart-cores"), data.times, data.cores, "cores"),
    ]);
    renderTable(data);
    const res = { raw: "raw samples", "1h": "hourly rollups", "1d": "daily rollups" }[data.range.resolution];
    $("range-note").textContent = `${fmtTime(data.range.from)} to ${fmtTime(data.range.to)}, from ${res}, one point per ${fmtNum(data.range.step_seconds / 60)} min.`;
    if (!options) {
      options = await opts;
      fillSelects();
    }
    await Promise.all([drawn, fresh]);
    if (inflight === ctrl) setReady();
  } catch (e) {
    if (inflight === ctrl) showError(e);
  }
}

initQueueJump();
fillSelects();
showControls();
initControls();
load();
every(5 * 60 * 1000, () => { if (!state.from) load(); });
