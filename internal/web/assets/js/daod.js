// DAOD distribution: analysis jobs per datadisk against the DAOD volume.
import {
  API, el, fetchJSON, fmtNum, fmtPct, fmtTime, setLoading, setReady, showError, loadFreshness,
  initQueueJump, fillTable, tdNum, tdText, every,
} from "./common.js";
import { scatter } from "./charts.js";

const $ = (id) => document.getElementById(id);
const TB = 1e12;
const pct = (v) => fmtPct(v === null ? null : v * 100);
// The mismatch is a difference of shares: percentage points.
const signedPts = (v) => (v === null ? "–" : (v > 0 ? "+" : "") + fmtPct(v * 100).replace(" %", " pp"));

function diskRow(d) {
  return el("tr", {}, tdText(d.rse), tdNum(d.queues), tdNum(d.jobs_24h), tdNum(d.jobs_7d),
    tdNum(d.bytes === null ? null : d.bytes / TB, (v) => fmtNum(v === null ? null : Math.round(v * 10) / 10)),
    tdNum(d.files), tdNum(d.job_share, pct), tdNum(d.data_share, pct),
    tdNum(d.mismatch, signedPts, d.mismatch > 0 ? "up" : "down"));
}

const HEAD = ["datadisk", { text: "queues", num: true }, { text: "analysis jobs 24 h", num: true }, { text: "analysis jobs 7 d", num: true },
  { text: "DAOD TB", num: true }, { text: "DAOD files", num: true }, { text: "job share", num: true },
  { text: "data share", num: true }, { text: "mismatch", num: true, title: "job share minus data share, in percentage points" }];

let inflight = null;

async function load() {
  if (inflight) inflight.abort();
  const ctrl = new AbortController();
  inflight = ctrl;
  setLoading();
  try {
    const [data] = await Promise.all([fetchJSON(API + "daod", ctrl.signal), loadFreshness(ctrl.signal)]);
    const pts = data.disks.filter((d) => d.bytes !== null).map((d) => ({ x: d.bytes / TB, y: d.jobs_24h, label: d.rse, d }));
    const drawn = scatter($("chart-daod"), pts, "DAOD volume (TB)", "analysis jobs, 24 h avg", (p) => {
      $("daod-hover").textContent = p
        ? `${p.label}: ${fmtNum(p.y)} running analysis jobs, ${fmtNum(Math.round(p.x * 10) / 10)} TB of DAOD, ${fmtNum(p.d.queues)} queues`
        : "";
    });
    fillTable($("table-mismatch"), HEAD, data.mismatches.map(diskRow), "No datadisk has both jobs and volume known.");
    fillTable($("table-daod"), HEAD, data.disks.map(diskRow), "No datadisk known.");
    $("daod-note").textContent = `Analysis jobs are prod_source "${data.label}" in state running; averages at ${fmtTime(data.time)}.` +
      (data.queues_without_datadisk ? ` ${fmtNum(data.queues_without_datadisk)} queues have no datadisk.` : "");
    await drawn;
    if (inflight === ctrl) setReady();
  } catch (e) {
    if (inflight === ctrl) showError(e);
  }
}

initQueueJump();
load();
every(5 * 60 * 1000, load);
