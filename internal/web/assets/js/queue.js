// One queue: its series over time, its CRIC attributes, its averages.
import {
  API, el, fetchJSON, fmtNum, fmtPct, fmtTime, setLoading, setReady, showError, loadFreshness,
  initQueueJump, fillTable, tdNum, tdText, every,
} from "./common.js";
import { lines } from "./charts.js";

const $ = (id) => document.getElementById(id);
const RANGES = ["24h", "7d", "30d"];

// queueName decodes the name from /queue/<path-escaped name>.
function queueName() {
  const raw = location.pathname.replace(/^\/queue\//, "");
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

const name = queueName();
let range = new URLSearchParams(location.search).get("range");
if (!RANGES.includes(range)) range = "7d";
let inflight = null;

function showHeader() {
  $("queue-name").textContent = name === null ? "(malformed queue name)" : name;
  document.title = (name || "Queue") + " · qmonit";
  for (const b of document.querySelectorAll("button[data-range]")) b.setAttribute("aria-pressed", String(b.dataset.range === range));
  if (name !== null) {
    $("link-jobs").setAttribute("href", "/?" + new URLSearchParams({ queue: name, group: "job_status" }).toString());
  }
}

function renderAverages(av) {
  const head = ["label", "resource", "state", { text: "current", num: true },
    ...av.windows.map((w) => ({ text: "avg " + w, num: true })), { text: "coverage 24h", num: true }];
  const i24 = av.windows.indexOf("24h");
  const rows = av.rows.map((r) => el("tr", {}, tdText(r.prod_source), tdText(r.resource), tdText(r.state), tdNum(r.current),
    ...r.avg.map((v) => tdNum(v)), tdNum(r.coverage[i24] * 100, (v) => fmtPct(v, 0))));
  fillTable($("table-averages"), head, rows, av.time ? "No series of this queue in the last cycle's averages." : "Moving averages are published after the first collection cycle.");
  $("averages-note").textContent = av.time ? `At ${fmtTime(av.time)}.` : "";
}

function renderAttrs(data) {
  const rows = data.attrs.map((a) => el("tr", {}, tdText(a.name), el("td", { class: "text" }, a.value)));
  fillTable($("table-attrs"), ["Attribute", "Value"], rows, "No CRIC description of this queue in the last 30 days.");
  $("attrs-note").textContent = data.info_time ? `As of ${fmtTime(data.info_time)}.` : "";
}

async function load() {
  if (name === null) {
    showError(new Error("the queue name in the address is not valid percent-encoding"));
    return;
  }
  if (inflight) inflight.abort();
  const ctrl = new AbortController();
  inflight = ctrl;
  setLoading();
  try {
    const q = new URLSearchParams({ name, range }).toString();
    const [data] = await Promise.all([fetchJSON(API + "queue?" + q, ctrl.signal), loadFreshness(ctrl.signal)]);
    $("link-bigpanda").setAttribute("href", data.bigpanda_url);
    $("link-cric").setAttribute("href", data.cric_url);
    const drawn = lines($("chart-queue"), data.times, data.series, "jobs");
    renderAverages(data.averages);
    renderAttrs(data);
    await drawn;
    if (inflight === ctrl) setReady();
  } catch (e) {
    if (inflight === ctrl) showError(e);
  }
}

function initControls() {
  for (const b of document.querySelectorAll("button[data-range]")) {
    b.addEventListener("click", () => {
      range = b.dataset.range;
      history.replaceState(null, "", "?" + new URLSearchParams({ range }).toString());
      showHeader();
      load();
    });
  }
}

initQueueJump();
showHeader();
initControls();
load();
every(5 * 60 * 1000, load);
