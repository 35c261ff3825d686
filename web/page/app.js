// pylogging viewer: a live view of the log records that `cli.ts --web` streams
// as Server-Sent Events. Plain ES module, no dependencies, no build step.
//
// Safety by construction: record content reaches the DOM only through
// textContent / createTextNode; no innerHTML, no eval, no links made from
// record data. What a cell shows is cut short and its control and bidi
// characters are made visible, so no record can break the layout.

const ROW_H = 20; // must match --row-h in app.css
const MAX_HISTORY = 200_000; // records kept; older ones are discarded
const TRIM_CHUNK = 10_000; // discard this many at once past the bound
const CELL_MAX = 300; // characters shown in a table cell
const DETAIL_MAX = 100_000; // characters shown per field in the detail pane
const TREE_MAX = 5_000; // logger nodes shown in the tree
const SENDERS_MAX = 500; // senders listed in the sender filter
const RETRY_MS = 10_000; // a new connection after the server refused one

/** What the detail pane lists first, in this order: the standard fields. */
const DETAIL_ORDER = [
  "$id",
  "$from",
  "created",
  "msecs",
  "name",
  "levelname",
  "levelno",
  "message",
  "msg",
  "args",
  "pathname",
  "filename",
  "module",
  "lineno",
  "funcName",
  "thread",
  "threadName",
  "process",
  "processName",
  "taskName",
];
/** The fields of a Python LogRecord; anything else is an extra. */
const STANDARD = new Set([
  ...DETAIL_ORDER.slice(2),
  "relativeCreated",
  "exc_info",
  "exc_text",
  "stack_info",
  "asctime",
]);

const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
};

// ---------------------------------------------------------------- state

/**
 * One entry per record: the record as received, plus what the view needs.
 * @typedef {{r: Record<string, unknown>, seq: number, id: number, lvl: number,
 *   name: string, from: string, marker: string | null, local: boolean, hay: string | null,
 *   hayLower: string | null, cells: string[] | null}} Entry
 */

/** @type {Entry[]} */
let all = [];
/** @type {Entry[]} the entries that pass the filters, in order */
let view = [];
/** @type {Entry[]} records that arrived while paused */
let held = [];
/** @type {Entry[]} records parsed but not yet applied (per animation frame) */
let pending = [];
let seq = 0;
let lastId = -Infinity;
/** The `history` of the last `hello`, until the first records after it. */
let helloHistory = -1;
let olderDiscarded = 0;
let serverDropped = 0;
let received = 0;
let paused = false;
let follow = true;
/** @type {Entry | null} */
let selected = null;

const filters = {
  levels: new Set([10, 20, 30, 40, 50]),
  /** @type {Set<string>} logger names whose subtree is hidden */
  hidden: new Set(),
  sender: "",
  text: "",
  regex: false,
  caseSensitive: false,
  /** @type {RegExp | null} */
  re: null,
};
/** @type {Map<string, boolean>} logger name → hidden, cleared when `hidden` changes */
const hiddenCache = new Map();

// ---------------------------------------------------------------- records

function str(v) {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (typeof v === "object") {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

function levelBucket(levelno) {
  const n = typeof levelno === "number" ? levelno : Number(levelno) || 0;
  if (n >= 50) return 50;
  if (n >= 40) return 40;
  if (n >= 30) return 30;
  if (n >= 20) return 20;
  return 10;
}

function markerText(r) {
  const name = r.name;
  if (name === "pylogging.receiver" && r.missing !== undefined) {
    const n = Number(r.missing);
    const a = Number(r.seqFirst);
    const b = Number(r.seqLast);
    const range = Number.isFinite(a) && Number.isFinite(b)
      ? ` (sequence ${a}–${b})`
      : "";
    return `⚠ gap: ${Number.isFinite(n) ? n : "?"} record(s) missing${range}`;
  }
  // the handler's drop notice (its logger name is an option)
  if (r.dropped !== undefined && r.dropped_by_reason !== undefined) {
    const n = Number(r.dropped);
    return `⚠ the sender dropped ${Number.isFinite(n) ? n : "?"} record(s)`;
  }
  return null;
}

/** @returns {Entry | null} */
function makeEntry(r) {
  if (r === null || typeof r !== "object" || Array.isArray(r)) return null;
  const id = typeof r.$id === "number" ? r.$id : NaN;
  if (Number.isFinite(id)) {
    if (id <= lastId) return null; // a replay after a reconnection
    lastId = id;
  }
  return {
    r,
    seq: seq++,
    id,
    lvl: levelBucket(r.levelno),
    name: typeof r.name === "string" ? r.name : str(r.name),
    from: str(r.$from),
    marker: markerText(r),
    local: false,
    hay: null,
    hayLower: null,
    cells: null,
  };
}

function localEntry(text, lvl) {
  return {
    r: {
      name: "pylogging.viewer",
      levelname: "WARNING",
      levelno: 30,
      created: Date.now() / 1000,
      message: text,
    },
    seq: seq++,
    id: NaN,
    lvl,
    name: "pylogging.viewer",
    from: "",
    marker: text,
    local: true,
    hay: null,
    hayLower: null,
    cells: null,
  };
}

function messageOf(r) {
  return typeof r.message === "string" ? r.message : str(r.msg);
}

function extrasOf(r) {
  /** @type {[string, unknown][]} */
  const out = [];
  for (const k of Object.keys(r)) {
    if (!STANDARD.has(k) && k[0] !== "$") out.push([k, r[k]]);
  }
  return out;
}

/** What the text search looks at: the message and the extras. */
function haystack(e) {
  if (e.hay === null) {
    let h = messageOf(e.r);
    for (const [k, v] of extrasOf(e.r)) h += `\n${k}=${str(v)}`;
    e.hay = h;
  }
  return e.hay;
}

// The controls (C0, C1) and the invisible, line- and bidi-formatting characters.
const CONTROL =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** A short, one-line, visible form of a string for a table cell. */
function cellText(s) {
  let t = s.length > CELL_MAX ? s.slice(0, CELL_MAX) : s;
  const nl = t.indexOf("\n");
  if (nl >= 0) t = t.slice(0, nl) + " ⏎…";
  t = t.replace(/\t/g, " ").replace(
    CONTROL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  if (s.length > CELL_MAX && nl < 0) t += "…";
  return t;
}

/** A visible form for the detail pane: keeps newlines, shows other controls. */
function detailText(s) {
  const cut = s.length > DETAIL_MAX;
  const t = (cut ? s.slice(0, DETAIL_MAX) : s).replace(
    CONTROL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return { text: t, cut: cut ? s.length - DETAIL_MAX : 0 };
}

const pad2 = (n) => (n < 10 ? "0" : "") + n;
function timeText(created) {
  const t = Number(created);
  if (!Number.isFinite(t)) return "";
  const d = new Date(t * 1000);
  if (Number.isNaN(d.getTime())) return "";
  const ms = d.getMilliseconds();
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${
    pad2(d.getSeconds())
  }.${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}`;
}

function cellsOf(e) {
  if (e.cells === null) {
    const r = e.r;
    e.cells = [
      timeText(r.created),
      cellText(e.from),
      cellText(e.name),
      cellText(str(r.levelname)),
      cellText(e.marker ?? messageOf(r)),
    ];
  }
  return e.cells;
}

// ---------------------------------------------------------------- filters

function loggerHidden(name) {
  if (filters.hidden.size === 0) return false;
  let h = hiddenCache.get(name);
  if (h === undefined) {
    h = false;
    if (filters.hidden.has(name)) h = true;
    else {
      let i = name.indexOf(".");
      while (i >= 0 && !h) {
        if (filters.hidden.has(name.slice(0, i))) h = true;
        i = name.indexOf(".", i + 1);
      }
    }
    if (hiddenCache.size > 50_000) hiddenCache.clear();
    hiddenCache.set(name, h);
  }
  return h;
}

/** Markers (gaps, drops) stay in view whatever the filters, but for the sender. */
function passes(e) {
  if (filters.sender !== "" && e.from !== filters.sender) return false;
  if (e.marker !== null) return true;
  if (!filters.levels.has(e.lvl)) return false;
  if (loggerHidden(e.name)) return false;
  if (filters.re !== null) {
    filters.re.lastIndex = 0;
    return filters.re.test(haystack(e));
  }
  if (filters.text !== "") {
    if (filters.caseSensitive) return haystack(e).includes(filters.text);
    if (e.hayLower === null) e.hayLower = haystack(e).toLowerCase();
    return e.hayLower.includes(filters.text);
  }
  return true;
}

function refilter() {
  const t0 = performance.now();
  const out = [];
  for (const e of all) if (passes(e)) out.push(e);
  view = out;
  lastFilterMs = performance.now() - t0;
  scheduleRender(true);
}
let lastFilterMs = 0;

function readSearch() {
  const raw = searchEl.value;
  filters.regex = regexEl.checked;
  filters.caseSensitive = caseEl.checked;
  filters.re = null;
  searchErrEl.textContent = "";
  searchEl.classList.remove("bad");
  if (raw === "") {
    filters.text = "";
  } else if (filters.regex) {
    try {
      filters.re = new RegExp(raw, filters.caseSensitive ? "mu" : "imu");
      filters.text = raw;
    } catch (err) {
      filters.text = "";
      searchEl.classList.add("bad");
      searchErrEl.textContent = `bad regular expression: ${
        err instanceof Error ? err.message : String(err)
      }`;
    }
  } else {
    filters.text = filters.caseSensitive ? raw : raw.toLowerCase();
  }
  refilter();
}

// ---------------------------------------------------------------- ingest

function ingest(records) {
  if (helloHistory >= 0 && records.length > 0) {
    // After a reconnection the server replays its history: records already
    // shown have ids up to lastId. Ids far below that mean a new server.
    const first = Number(records[0]?.$id);
    if (Number.isFinite(first) && first + helloHistory <= lastId) {
      lastId = -Infinity;
      pending.push(
        localEntry("⚠ the server restarted: its record ids start again", 30),
      );
    }
    helloHistory = -1;
  }
  for (const r of records) {
    const e = makeEntry(r);
    if (e !== null) pending.push(e);
  }
  scheduleRender(false);
}

function apply(entries) {
  const added = [];
  for (const e of entries) {
    if (!e.local) received++;
    all.push(e);
    noteLogger(e.name);
    noteSender(e.from);
    if (passes(e)) added.push(e);
  }
  for (const e of added) view.push(e);
  if (all.length > MAX_HISTORY) trim();
}

function trim() {
  const drop = all.length - MAX_HISTORY + TRIM_CHUNK;
  const firstKept = all[drop];
  all = all.slice(drop);
  olderDiscarded += drop;
  if (firstKept === undefined) return;
  let lo = 0;
  let hi = view.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (view[mid].seq < firstKept.seq) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0) {
    view = view.slice(lo);
    if (!follow) {
      viewport.scrollTop = Math.max(0, viewport.scrollTop - lo * ROW_H);
    }
  }
}

function flushPending() {
  if (pending.length === 0) return false;
  const batch = pending;
  pending = [];
  if (paused) {
    for (const e of batch) held.push(e);
    if (held.length > MAX_HISTORY) {
      const n = held.length - MAX_HISTORY;
      held = held.slice(n);
      olderDiscarded += n;
    }
    return false;
  }
  apply(batch);
  return true;
}

// ---------------------------------------------------------------- logger tree

/** @typedef {{full: string, count: number, li: HTMLLIElement | null, ul: HTMLUListElement | null, countEl: HTMLElement | null, box: HTMLInputElement | null, kids: Map<string, TreeNode>}} TreeNode */
/**
 * @param {string} full The logger's full name ("" for the root).
 * @returns {TreeNode} A node of the tree, not yet drawn.
 */
function treeNode(full) {
  return {
    full,
    count: 0,
    li: null,
    ul: null,
    countEl: null,
    box: null,
    kids: new Map(),
  };
}
let treeRoot = treeNode("");
let treeNodes = 0;
const seenLoggers = new Set();
let treeDirty = false;

function noteLogger(name) {
  if (seenLoggers.has(name)) {
    countLogger(name);
    return;
  }
  seenLoggers.add(name);
  let node = treeRoot;
  const parts = name.split(".");
  let full = "";
  for (const part of parts) {
    full = full === "" ? part : `${full}.${part}`;
    let kid = node.kids.get(part);
    if (kid === undefined) {
      if (treeNodes >= TREE_MAX) break;
      treeNodes++;
      kid = treeNode(full);
      node.kids.set(part, kid);
      addTreeNode(node, part, kid);
    }
    node = kid;
  }
  countLogger(name);
}

function countLogger(name) {
  let node = treeRoot;
  for (const part of name.split(".")) {
    const kid = node.kids.get(part);
    if (kid === undefined) break;
    kid.count++;
    node = kid;
  }
  treeDirty = true;
}

function addTreeNode(parent, part, node) {
  let ul = parent === treeRoot ? treeEl : parent.ul;
  if (ul === null && parent.li !== null) {
    ul = document.createElement("ul");
    parent.li.append(ul);
    parent.ul = ul;
  }
  if (ul === null) return;
  const li = document.createElement("li");
  const label = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = !loggerHidden(node.full);
  box.title = "Show or hide this logger and the ones below it";
  box.addEventListener("change", () => {
    if (box.checked) filters.hidden.delete(node.full);
    else filters.hidden.add(node.full);
    li.classList.toggle("off", !box.checked);
    hiddenCache.clear();
    refilter();
  });
  const nameEl = document.createElement("span");
  nameEl.className = "name";
  nameEl.textContent = cellText(part === "" ? "(empty)" : part);
  nameEl.title = cellText(node.full);
  const countEl = document.createElement("span");
  countEl.className = "count";
  label.append(box, nameEl, countEl);
  li.append(label);
  li.dataset.logger = node.full;
  node.li = li;
  node.box = box;
  node.countEl = countEl;
  // keep siblings sorted by name
  let before = null;
  for (const sib of ul.children) {
    const n = /** @type {HTMLElement} */ (sib).dataset.logger ?? "";
    if (n > node.full) {
      before = sib;
      break;
    }
  }
  ul.insertBefore(li, before);
}

function paintTreeCounts(node = treeRoot) {
  for (const kid of node.kids.values()) {
    if (kid.countEl !== null) {
      const t = String(kid.count);
      if (kid.countEl.textContent !== t) kid.countEl.textContent = t;
    }
    paintTreeCounts(kid);
  }
}

function resetTree() {
  treeRoot = treeNode("");
  treeNodes = 0;
  seenLoggers.clear();
  treeEl.replaceChildren();
}

// ---------------------------------------------------------------- senders

const senders = new Set();
function noteSender(from) {
  if (from === "" || senders.has(from) || senders.size >= SENDERS_MAX) return;
  senders.add(from);
  const opt = document.createElement("option");
  opt.value = from;
  opt.textContent = cellText(from);
  senderEl.append(opt);
}

// ---------------------------------------------------------------- rendering

/** @type {HTMLDivElement[]} */
const pool = [];
let frameScheduled = false;
let viewChanged = false;

function scheduleRender(changed) {
  if (changed) viewChanged = true;
  if (frameScheduled) return;
  frameScheduled = true;
  requestAnimationFrame(frame);
}

function frame() {
  frameScheduled = false;
  const t0 = performance.now();
  if (flushPending()) viewChanged = true;
  if (viewChanged) {
    viewChanged = false;
    sizer.style.height = `${view.length * ROW_H}px`;
    if (follow && !paused) {
      viewport.scrollTop = viewport.scrollHeight;
    }
  }
  renderRows();
  if (treeDirty) {
    treeDirty = false;
    paintTreeCounts();
  }
  paintStatus();
  lastFrameMs = performance.now() - t0;
}
let lastFrameMs = 0;

function makeRow() {
  const row = document.createElement("div");
  row.className = "row";
  for (const c of ["time", "from", "logger", "level", "msg"]) {
    const span = document.createElement("span");
    span.className = `c ${c}`;
    row.append(span);
  }
  viewport.append(row);
  return row;
}

const LEVEL_CLASS = {
  10: "lvl-debug",
  20: "lvl-info",
  30: "lvl-warning",
  40: "lvl-error",
  50: "lvl-critical",
};
/** @type {WeakMap<HTMLDivElement, Entry>} */
const rowEntry = new WeakMap();

function renderRows() {
  const top = viewport.scrollTop;
  const height = viewport.clientHeight;
  const first = Math.max(0, Math.floor(top / ROW_H));
  const count = Math.min(view.length - first, Math.ceil(height / ROW_H) + 1);
  while (pool.length < count) pool.push(makeRow());
  for (let i = 0; i < pool.length; i++) {
    const row = pool[i];
    const e = i < count ? view[first + i] : undefined;
    if (e === undefined) {
      if (!row.classList.contains("hidden")) row.classList.add("hidden");
      rowEntry.delete(row);
      continue;
    }
    row.classList.remove("hidden");
    row.style.transform = `translateY(${(first + i) * ROW_H}px)`;
    if (rowEntry.get(row) !== e) {
      rowEntry.set(row, e);
      const cells = cellsOf(e);
      const spans = row.children;
      for (let c = 0; c < 5; c++) spans[c].textContent = cells[c];
      row.className = `row ${LEVEL_CLASS[e.lvl]}${
        e.marker !== null ? " marker" : ""
      }`;
    }
    row.classList.toggle("sel", e === selected);
  }
}

// ---------------------------------------------------------------- detail pane

function detailRow(table, key, value) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  th.textContent = cellText(key);
  const td = document.createElement("td");
  const { text, cut } = detailText(str(value));
  td.append(document.createTextNode(text));
  if (cut > 0) {
    const more = document.createElement("span");
    more.className = "cut";
    more.textContent = ` … ${cut} more characters not shown`;
    td.append(more);
  }
  tr.append(th, td);
  table.append(tr);
}

function detailBlock(body, title, value) {
  const h = document.createElement("h3");
  h.textContent = title;
  const pre = document.createElement("pre");
  pre.className = title === "Traceback (exc_text)" ? "exc" : "stack";
  const { text, cut } = detailText(str(value));
  pre.textContent = text;
  if (cut > 0) {
    const more = document.createElement("span");
    more.className = "cut";
    more.textContent = `\n… ${cut} more characters not shown`;
    pre.append(more);
  }
  body.append(h, pre);
}

function showDetail(e) {
  selected = e;
  detailPane.classList.remove("closed");
  const body = detailBody;
  body.replaceChildren();
  if (e === null) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = "Select a record.";
    body.append(p);
    scheduleRender(false);
    return;
  }
  const r = e.r;
  const fields = document.createElement("table");
  fields.className = "fields";
  if (e.marker !== null) detailRow(fields, "marker", e.marker);
  detailRow(
    fields,
    "time",
    r.created !== undefined
      ? new Date(Number(r.created) * 1000).toISOString()
      : "",
  );
  for (const k of DETAIL_ORDER) if (k in r) detailRow(fields, k, r[k]);
  body.append(fields);
  const extras = extrasOf(r);
  const h = document.createElement("h3");
  h.textContent = `Extras (${extras.length})`;
  body.append(h);
  if (extras.length > 0) {
    const t = document.createElement("table");
    t.className = "extras";
    for (const [k, v] of extras) detailRow(t, k, v);
    body.append(t);
  }
  if (r.exc_text !== undefined && r.exc_text !== null && r.exc_text !== "") {
    detailBlock(body, "Traceback (exc_text)", r.exc_text);
  }
  if (
    r.stack_info !== undefined && r.stack_info !== null && r.stack_info !== ""
  ) {
    detailBlock(body, "Stack (stack_info)", r.stack_info);
  }
  scheduleRender(false);
}

// ---------------------------------------------------------------- status

function paintStatus() {
  const t = `${view.length.toLocaleString("en")} shown of ${
    all.length.toLocaleString("en")
  } kept · ${received.toLocaleString("en")} received`;
  if (countsEl.textContent !== t) countsEl.textContent = t;
  const parts = [];
  if (olderDiscarded > 0) {
    parts.push(
      `${olderDiscarded.toLocaleString("en")} older records discarded`,
    );
  }
  if (serverDropped > 0) {
    parts.push(
      `${
        serverDropped.toLocaleString("en")
      } dropped by the server for this page`,
    );
  }
  const o = parts.join(" · ");
  if (olderEl.textContent !== o) olderEl.textContent = o;
  const h = paused
    ? `paused: ${
      (held.length + pending.length).toLocaleString("en")
    } new records waiting`
    : "";
  if (heldEl.textContent !== h) heldEl.textContent = h;
}

function setConn(text, cls) {
  connEl.textContent = text;
  connEl.className = `conn ${cls}`;
}

// ---------------------------------------------------------------- actions

function setPaused(p) {
  paused = p;
  pauseEl.setAttribute("aria-pressed", String(p));
  pauseEl.textContent = p ? "Resume" : "Pause";
  if (!p && held.length > 0) {
    const batch = held;
    held = [];
    apply(batch);
    scheduleRender(true);
  }
  scheduleRender(false);
}

function clearAll() {
  all = [];
  view = [];
  held = [];
  pending = [];
  received = 0;
  olderDiscarded = 0;
  serverDropped = 0;
  resetTree();
  showDetail(null);
  scheduleRender(true);
}

/** The current view as NDJSON: one record (as received) per line. */
function exportBlob() {
  const lines = [];
  for (const e of view) lines.push(JSON.stringify(e.r));
  return new Blob(lines.length > 0 ? [lines.join("\n") + "\n"] : [], {
    type: "application/x-ndjson",
  });
}

function downloadExport() {
  const blob = exportBlob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `pylogging-${
    new Date().toISOString().replace(/[:.]/g, "-")
  }.ndjson`;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- wiring

const viewport = $("viewport");
const sizer = $("sizer");
const treeEl = $("tree");
const senderEl = /** @type {HTMLSelectElement} */ ($("sender"));
const searchEl = /** @type {HTMLInputElement} */ ($("search"));
const regexEl = /** @type {HTMLInputElement} */ ($("regex"));
const caseEl = /** @type {HTMLInputElement} */ ($("case"));
const searchErrEl = $("search-error");
const pauseEl = $("pause");
const followEl = /** @type {HTMLInputElement} */ ($("follow"));
const detailPane = $("detail");
const detailBody = $("detail-body");
const countsEl = $("counts");
const olderEl = $("older");
const heldEl = $("held");
const connEl = $("conn");

let searchTimer = 0;
searchEl.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(readSearch, 150);
});
searchEl.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter") {
    clearTimeout(searchTimer);
    readSearch();
  }
});
regexEl.addEventListener("change", readSearch);
caseEl.addEventListener("change", readSearch);
senderEl.addEventListener("change", () => {
  filters.sender = senderEl.value;
  refilter();
});
for (const box of document.querySelectorAll("#levels input[data-level]")) {
  const input = /** @type {HTMLInputElement} */ (box);
  input.addEventListener("change", () => {
    const lvl = Number(input.dataset.level);
    if (input.checked) filters.levels.add(lvl);
    else filters.levels.delete(lvl);
    refilter();
  });
}
$("tree-all").addEventListener("click", () => {
  filters.hidden.clear();
  hiddenCache.clear();
  for (const box of treeEl.querySelectorAll("input[type=checkbox]")) {
    /** @type {HTMLInputElement} */ (box).checked = true;
  }
  for (const li of treeEl.querySelectorAll("li.off")) {
    li.classList.remove("off");
  }
  refilter();
});
pauseEl.addEventListener("click", () => setPaused(!paused));
followEl.addEventListener("change", () => {
  follow = followEl.checked;
  if (follow) scheduleRender(true);
});
$("clear").addEventListener("click", clearAll);
$("export").addEventListener("click", downloadExport);
$("detail-close").addEventListener("click", () => {
  selected = null;
  detailPane.classList.add("closed");
  scheduleRender(false);
});

let lastScrollTop = 0;
viewport.addEventListener("scroll", () => {
  const atBottom =
    viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - ROW_H;
  if (viewport.scrollTop < lastScrollTop && !atBottom && follow) {
    follow = false; // the user scrolled up: stop following
    followEl.checked = false;
  } else if (atBottom && !follow && viewport.scrollTop > lastScrollTop) {
    follow = true;
    followEl.checked = true;
  }
  lastScrollTop = viewport.scrollTop;
  scheduleRender(false);
}, { passive: true });
new ResizeObserver(() => scheduleRender(false)).observe(viewport);

viewport.addEventListener("click", (ev) => {
  const row = /** @type {HTMLElement} */ (ev.target).closest(".row");
  if (row === null) return;
  const e = rowEntry.get(/** @type {HTMLDivElement} */ (row));
  if (e !== undefined) showDetail(e);
});
viewport.addEventListener("keydown", (ev) => {
  if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
  ev.preventDefault();
  let i = selected === null ? -1 : view.indexOf(selected);
  i = ev.key === "ArrowDown"
    ? Math.min(view.length - 1, i + 1)
    : Math.max(0, i - 1);
  const e = view[i];
  if (e === undefined) return;
  showDetail(e);
  const y = i * ROW_H;
  if (y < viewport.scrollTop) viewport.scrollTop = y;
  else if (y + ROW_H > viewport.scrollTop + viewport.clientHeight) {
    viewport.scrollTop = y + ROW_H - viewport.clientHeight;
  }
});

// ---------------------------------------------------------------- events

function connect() {
  const token = new URLSearchParams(location.search).get("token");
  const url = token === null
    ? "/events"
    : `/events?token=${encodeURIComponent(token)}`;
  const es = new EventSource(url);
  es.addEventListener("open", () => setConn("connected", "ok"));
  es.addEventListener("error", () => {
    if (es.readyState !== EventSource.CLOSED) {
      setConn("reconnecting…", "bad"); // the browser retries by itself
      return;
    }
    // An HTTP error ends an EventSource for good: a wrong or missing token
    // (401), too many browsers (503), a server that is closing.
    setConn(
      "refused by the server (a wrong token? too many browsers?); " +
        `retrying in ${RETRY_MS / 1000} s`,
      "bad",
    );
    setTimeout(() => {
      source = connect();
    }, RETRY_MS);
  });
  es.addEventListener("hello", (ev) => {
    try {
      const h = JSON.parse(/** @type {MessageEvent} */ (ev).data);
      const n = Number(h.history);
      helloHistory = Number.isFinite(n) && n >= 0 ? n : 0;
      setConn(
        `connected (protocol ${Number(h.version)}; ${
          Number.isFinite(n) ? n : 0
        } in history)`,
        "ok",
      );
    } catch {
      setConn("connected", "ok");
    }
  });
  es.addEventListener("records", (ev) => {
    let records;
    try {
      records = JSON.parse(/** @type {MessageEvent} */ (ev).data);
    } catch {
      return;
    }
    if (Array.isArray(records)) ingest(records);
  });
  es.addEventListener("discarded", (ev) => {
    try {
      const n = Number(JSON.parse(/** @type {MessageEvent} */ (ev).data).count);
      if (Number.isFinite(n) && n > 0) {
        serverDropped += n;
        pending.push(
          localEntry(
            `⚠ the server dropped ${n} record(s) this page could not take in time`,
            30,
          ),
        );
        scheduleRender(false);
      }
    } catch {
      // ignore a malformed notice
    }
  });
  return es;
}

let source = connect();

/** A small read-only handle for tests and the console. */
Object.defineProperty(globalThis, "pyloggingViewer", {
  value: Object.freeze({
    stats: () => ({
      received,
      kept: all.length,
      shown: view.length,
      held: held.length + pending.length,
      olderDiscarded,
      serverDropped,
      paused,
      follow,
      lastFilterMs,
      lastFrameMs,
      rowsInDom: viewport.querySelectorAll(".row:not(.hidden)").length,
      connection: source.readyState,
    }),
    shownIds: () => view.map((e) => e.id),
    exportBlob,
    select: (i) => showDetail(view[i] ?? null),
  }),
});
