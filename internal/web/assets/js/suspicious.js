// Suspicious queues: thresholds live in the URL (rel, abs, avg).
import {
  API, el, fetchJSON, fmtNum, fmtPct, fmtTime, setLoading, setReady, showError, loadFreshness,
  initQueueJump, fillTable, tdNum, tdText, queueLink, outLinks, every,
} from "./common.js";

const $ = (id) => document.getElementById(id);
const DEFAULTS = { rel: "0.5", abs: "50", avg: "24h" };

function readState() {
  const q = new URLSearchParams(location.search);
  return { rel: q.get("rel") || DEFAULTS.rel, abs: q.get("abs") || DEFAULTS.abs, avg: q.get("avg") || DEFAULTS.avg };
}

let state = readState();
let inflight = null;

function query() {
  return new URLSearchParams(state).toString();
}

function showControls() {
  $("th-rel").value = state.rel;
  $("th-abs").value = state.abs;
  $("th-avg").value = state.avg;
}

let timer = null;
function initControls() {
  const changed = () => {
    setLoading();
    clearTimeout(timer);
    timer = setTimeout(() => {
      state = { rel: $("th-rel").value || DEFAULTS.rel, abs: $("th-abs").value || DEFAULTS.abs, avg: $("th-avg").value };
      history.replaceState(null, "", "?" + query());
      load();
    }, 400);
  };
  for (const id of ["th-rel", "th-abs", "th-avg"]) $(id).addEventListener("change", changed);
  $("thresholds").addEventListener("submit", (ev) => { ev.preventDefault(); changed(); });
}

function ratioText(r) {
  if (r.ratio === null) return "new";
  return "×" + fmtNum(r.ratio);
}

function renderSuspicious(data) {
  const w = data.windows.indexOf(data.window);
  const head = ["queue", "label", "resource", "state", { text: "current", num: true },
    ...data.windows.map((x, i) => ({ text: "avg " + x, num: true, cls: i === w ? "chosen" : "" })),
    { text: "difference", num: true }, { text: "ratio", num: true }, { text: `coverage ${data.window}`, num: true },
    { text: "severity", num: true }, "CRIC status", "cloud", "site", "links"];
  const rows = data.rows.map((r) => el("tr", {},
    el("td", {}, queueLink(r.queue)), tdText(r.prod_source), tdText(r.resource), tdText(r.state), tdNum(r.current),
    ...r.avg.map((v, i) => tdNum(v, fmtNum, i === w ? "chosen" : "")),
    tdNum(r.diff, (v) => (v > 0 ? "+" : "") + fmtNum(v), r.diff > 0 ? "up" : "down"),
    el("td", { class: "num" }, ratioText(r)), tdNum(r.coverage * 100, (v) => fmtPct(v, 0)), tdNum(r.severity),
    tdText(r.cric_status), tdText(r.cloud), tdText(r.site), el("td", {}, ...outLinks(r.queue))));
  fillTable($("table-suspicious"), head, rows,
    data.note || "No series departs from its average by these thresholds.");
  const parts = [];
  if (data.time) parts.push(`Averages at ${fmtTime(data.time)}`);
  parts.push(`${fmtNum(data.matched)} of ${fmtNum(data.considered)} series match`);
  if (data.matched > data.rows.length) parts.push(`the ${fmtNum(data.rows.length)} most severe are shown`);
  $("suspicious-note").textContent = parts.join("; ") + ".";
}

// renderIncidents lists the detector's open incidents, then the ten most
// recently closed ones.
function renderIncidents(inc) {
  const head = ["status", "kind", "state", "direction", "group", "queues", "since", { text: "findings", num: true }];
  const row = (i, open) => {
    const qs = el("td", { class: "text" });
    (i.queues || []).slice(0, 20).forEach((q, k) => {
      if (k) qs.append(", ");
      qs.append(queueLink(q));
    });
    if ((i.queues || []).length > 20) qs.append(` and ${i.queues.length - 20} more`);
    const status = open ? "open" : `closed ${fmtTime(i.end)}`;
    return el("tr", { class: open ? "open" : "closed" }, tdText(status), tdText(i.kind), tdText(i.state || ""), tdText(i.direction || ""),
      tdText(i.group || ""), qs, tdText(fmtTime(i.start)), tdNum((i.evidence || []).length));
  };
  const open = (inc.open || []).map((i) => row(i, true));
  const closed = (inc.recent || []).slice(0, 10).map((i) => row(i, false));
  fillTable($("table-incidents"), head, open.concat(closed), "No incident, open or recently closed.");
  $("incidents-note").textContent = `${fmtNum(open.length)} open` + (inc.updated_at ? `, as of ${fmtTime(inc.updated_at)}.` : ".");
}

async function load() {
  if (inflight) inflight.abort();
  const ctrl = new AbortController();
  inflight = ctrl;
  setLoading();
  try {
    const [data, inc] = await Promise.all([
      fetchJSON(API + "suspicious?" + query(), ctrl.signal),
      fetchJSON(API + "incidents", ctrl.signal, true),
      loadFreshness(ctrl.signal),
    ]);
    renderSuspicious(data);
    renderIncidents(inc);
    if (inflight === ctrl) setReady();
  } catch (e) {
    if (inflight === ctrl) showError(e);
  }
}

initQueueJump();
showControls();
initControls();
load();
every(5 * 60 * 1000, load);
