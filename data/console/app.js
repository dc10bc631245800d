/* The rempart web console: plain JavaScript over the JSON API
 * (/api/v1/...), no framework and no build step. Text from the server
 * is only ever set with textContent, never parsed as HTML, and the page
 * runs under a Content-Security-Policy that refuses inline code. */
"use strict";

const state = { csrf: null, role: null, name: null };

const $ = (id) => document.getElementById(id);

function setStatus(text, isError) {
  const s = $("status");
  s.textContent = text || "";
  s.hidden = !text;
  s.className = isError ? "error" : "info";
}

/* One API call. State-changing requests carry the session's CSRF
 * token. Resolves to {status, body}; never rejects on an HTTP error. */
async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin",
                 cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET" && state.csrf) {
    headers["X-CSRF-Token"] = state.csrf;
  }
  let res;
  try {
    res = await fetch("/api/v1/" + path, init);
  } catch (e) {
    return { status: 0, body: { error: { code: "network",
                                         message: "the server is unreachable" } } };
  }
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  /* A request still in flight when the user logged out answers 401
   * too: on the login page already, it says nothing. */
  if (res.status === 401 && path !== "login" && path !== "session" &&
      document.body.dataset.view !== "login") {
    showLogin("Your session has ended: please log in again.");
  }
  return { status: res.status, body: data };
}

function errorText(r) {
  if (r.body && r.body.error && r.body.error.message) {
    return r.body.error.message;
  }
  return "request failed (" + r.status + ")";
}

const VIEWS = ["login", "enrol", "password", "dashboard", "users", "cdrs",
               "bans", "fraud", "audit", "security"];
const LOADERS = {
  dashboard: loadDashboard, users: loadUsers, cdrs: loadCdrs,
  bans: loadBans, fraud: loadBlocks, audit: loadAudit,
  security: loadSecurity,
};

function show(view) {
  for (const v of VIEWS) {
    $("view-" + v).hidden = v !== view;
  }
  const inApp = view in LOADERS;
  $("nav").hidden = !inApp;
  for (const b of document.querySelectorAll("#nav button[data-view]")) {
    b.classList.toggle("current", b.dataset.view === view);
  }
  document.body.dataset.view = view;
  if (inApp) {
    LOADERS[view]();
  }
}

function showLogin(message) {
  state.csrf = null;
  show("login");
  setStatus(message || "", Boolean(message));
}

/* Where a fresh session goes: its password first, then TOTP. */
async function enterSession(info) {
  state.csrf = info.csrf_token;
  state.role = info.role;
  state.name = info.name;
  $("who").textContent = info.name + " (" + info.role + ")";
  if (info.must_change_password) {
    show("password");
    return;
  }
  if (info.must_enrol_totp) {
    await startEnrolment();
    return;
  }
  setStatus("");
  show("dashboard");
}

async function startEnrolment() {
  const r = await api("POST", "totp/enrol");
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  $("enrol-qr").src = r.body.qr;
  $("enrol-secret").textContent = r.body.secret;
  $("enrol-code").value = "";
  show("enrol");
  setStatus("");
}

/* Table helpers: rows of text cells, with optional action buttons. */
function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  tr.appendChild(td);
  return td;
}

function fillTable(id, items, render) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  for (const item of items) {
    const tr = document.createElement("tr");
    render(tr, item);
    body.appendChild(tr);
  }
}

function actionButton(td, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  td.appendChild(b);
}

const fmtMs = (ms) => (ms ? new Date(ms).toISOString().replace("T", " ")
  .replace(/\.\d+Z$/, "Z") : "");
const fmtS = (s) => (s ? fmtMs(s * 1000) : "");
const fmtDuration = (ms) => (Math.round(ms / 100) / 10) + " s";

/* The latest n records of a paged listing ordered oldest first. */
async function latest(path, query, n) {
  const sep = query ? query + "&" : "";
  const head = await api("GET", path + "?" + sep + "limit=1");
  if (head.status !== 200) {
    return head;
  }
  const offset = Math.max(0, head.body.total - n);
  const r = await api("GET", path + "?" + sep + "limit=" + n +
                      "&offset=" + offset);
  if (r.status === 200) {
    r.body.items.reverse();
  }
  return r;
}

function renderCall(tr, c) {
  cell(tr, fmtMs(c.start_ms));
  cell(tr, c.caller_ext || c.caller_number);
  cell(tr, c.dialed);
  cell(tr, c.disposition);
  cell(tr, c.duration_ms !== undefined ? fmtDuration(c.duration_ms) : "");
}

/* Money in micro-units as the rate table's units, two decimals. */
const fmtMoney = (m) => (m === null || m === undefined ? ""
  : (m / 1e6).toFixed(2));
const fmtCeiling = (m) => (m ? fmtMoney(m) : "none");
/* The dashboard's live part refreshes itself this often. */
const LIVE_REFRESH_MS = 3000;

function renderSpend(tr, scope, s) {
  cell(tr, scope);
  cell(tr, fmtMoney(s.hour_micro));
  cell(tr, fmtCeiling(s.ceiling_hour_micro));
  cell(tr, fmtMoney(s.day_micro));
  cell(tr, fmtCeiling(s.ceiling_day_micro));
  cell(tr, s.active_calls);
  cell(tr, s.blocked ? "blocked" : "");
  if (s.blocked) {
    tr.className = "blocked";
  }
}

/* Ends a live call once the administrator confirms it. */
async function hangUp(c) {
  const who = (c.caller_ext || c.caller_number) + " to " + c.dialled;
  if (!window.confirm("End the call from " + who + "?")) {
    return;
  }
  const r = await api("DELETE", "calls/" + encodeURIComponent(c.id));
  setStatus(r.status === 200 || r.status === 202
    ? "Call from " + who + " ended." : errorText(r),
  r.status !== 200 && r.status !== 202);
  loadLive();
}

/* Live calls, trunks, spend against the ceilings and alerts
 * (R-OPS-1), from GET /status and GET /calls. */
const LIVE_FAILED = "Calls in progress: ";

async function loadLive() {
  const [status, calls] = await Promise.all([
    api("GET", "status"),
    api("GET", "calls?limit=200"),
  ]);
  const st = status.status === 200 ? status.body : null;
  $("dash-call-count").textContent = calls.status === 200
    ? String(calls.body.total) : "n/a";
  const admin = state.role === "admin";
  /* A failed refresh keeps the rows shown: an empty table would say
   * that no call is up. */
  if (calls.status !== 200) {
    setStatus(LIVE_FAILED + errorText(calls), true);
    return;
  }
  if ($("status").textContent.startsWith(LIVE_FAILED)) {
    setStatus("");
  }
  fillTable("dash-live", calls.body.items, (tr, c) => {
    tr.dataset.call = c.id;
    cell(tr, fmtMs(c.start_ms));
    cell(tr, c.caller_ext || c.caller_number);
    cell(tr, c.callee || c.dialled);
    cell(tr, c.state);
    cell(tr, c.trunk || "");
    cell(tr, c.state === "answered"
      ? (c.media_encrypted ? "SRTP" : "RTP") : "");
    cell(tr, fmtMoney(c.cost_micro));
    const td = cell(tr, "");
    if (admin) {
      actionButton(td, "Hang up", () => hangUp(c));
    }
  });
  fillTable("dash-trunks", st ? st.trunks : [], (tr, t) => {
    tr.className = "trunk-" + t.state;
    cell(tr, t.name);
    cell(tr, t.state);
    cell(tr, fmtMs(t.since_ms));
    cell(tr, t.last_error ? t.last_error + " (" + fmtMs(t.last_error_ms) +
      ")" : "");
  });
  const spend = [];
  if (st && st.spend.global) {
    spend.push(["system", st.spend.global]);
  }
  for (const u of st ? st.spend.users : []) {
    spend.push(["user " + u.ext, u]);
  }
  fillTable("dash-spend", spend, (tr, s) => renderSpend(tr, s[0], s[1]));
  fillTable("dash-alerts", st ? st.alerts : [], (tr, a) => {
    cell(tr, fmtMs(a.time_ms));
    cell(tr, a.event);
    cell(tr, a.src_ip);
    cell(tr, a.user);
    cell(tr, a.reason);
  });
}

function liveTick() {
  if (document.body.dataset.view === "dashboard" && !document.hidden) {
    loadLive();
  }
}

async function loadDashboard() {
  loadLive();
  const [regs, calls, bans, blocks, score] = await Promise.all([
    api("GET", "registrations?limit=1000"),
    latest("cdrs", "", 10),
    api("GET", "bans?limit=1"),
    api("GET", "fraud/blocks?limit=1"),
    api("GET", "assessment"),
  ]);
  const count = (r) => (r.status === 200 ? String(r.body.total) : "n/a");
  $("dash-reg-count").textContent = count(regs);
  $("dash-ban-count").textContent = count(bans);
  $("dash-block-count").textContent = count(blocks);
  $("dash-score").textContent = score.status === 200
    ? score.body.score + " / " + score.body.max_score + " (" +
      score.body.band + ")"
    : "n/a";
  fillTable("dash-regs", regs.status === 200 ? regs.body.items : [],
    (tr, b) => {
      cell(tr, b.aor);
      cell(tr, b.contact);
      cell(tr, b.source);
      cell(tr, b.user_agent);
      cell(tr, fmtS(b.expires_at));
    });
  fillTable("dash-calls", calls.status === 200 ? calls.body.items : [],
    renderCall);
}

async function loadUsers() {
  const r = await api("GET", "users?limit=1000");
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  fillTable("users-table", r.body.items, (tr, u) => {
    cell(tr, u.ext);
    cell(tr, u.display_name);
    cell(tr, u.enabled ? "enabled" : "disabled");
    cell(tr, u.srtp_required ? "required" : "offered");
  });
}

async function createUser(ev) {
  ev.preventDefault();
  $("user-created").hidden = true;
  const r = await api("POST", "users", { ext: $("user-ext").value,
                                         name: $("user-name").value });
  if (r.status !== 201) {
    setStatus(errorText(r), true);
    return;
  }
  setStatus("");
  $("user-created-ext").textContent = r.body.ext;
  $("user-secret").textContent = r.body.secret;
  $("user-created").hidden = false;
  $("user-form").reset();
  loadUsers();
}

async function loadCdrs(ev) {
  if (ev) {
    ev.preventDefault();
  }
  const q = [];
  const ext = $("cdr-ext").value.trim();
  if (ext) {
    q.push("ext=" + encodeURIComponent(ext));
  }
  const day = $("cdr-date").value;
  if (day) {
    const since = Date.parse(day + "T00:00:00Z");
    q.push("since=" + since, "until=" + (since + 86400000));
  }
  const r = await latest("cdrs", q.join("&"), 200);
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  setStatus("");
  $("cdr-total").textContent = r.body.total + " record(s)";
  fillTable("cdrs-table", r.body.items, (tr, c) => {
    cell(tr, fmtMs(c.start_ms));
    cell(tr, c.caller_ext || c.caller_number);
    cell(tr, c.dialed);
    cell(tr, c.disposition);
    cell(tr, c.sip_code);
    cell(tr, fmtDuration(c.duration_ms));
    cell(tr, c.media_encrypted ? "SRTP" : "RTP");
  });
}

async function loadBans() {
  const r = await api("GET", "bans?limit=1000");
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  fillTable("bans-table", r.body.items, (tr, b) => {
    cell(tr, b.addr);
    cell(tr, b.until ? fmtS(b.until) : "permanent");
    cell(tr, b.count);
    cell(tr, b.source);
    cell(tr, b.reason);
    actionButton(cell(tr, ""), "Remove", async () => {
      const d = await api("DELETE", "bans/" + encodeURIComponent(b.addr));
      setStatus(d.status === 200 ? "Unbanned " + b.addr : errorText(d),
                d.status !== 200);
      loadBans();
    });
  });
}

async function addBan(ev) {
  ev.preventDefault();
  const body = { addr: $("ban-addr").value.trim() };
  const dur = $("ban-for").value.trim();
  const reason = $("ban-reason").value.trim();
  if (dur) {
    body.for = dur;
  }
  if (reason) {
    body.reason = reason;
  }
  const r = await api("POST", "bans", body);
  if (r.status !== 201) {
    setStatus(errorText(r), true);
    return;
  }
  setStatus("Banned " + r.body.addr);
  $("ban-form").reset();
  loadBans();
}

async function loadBlocks() {
  const r = await api("GET", "fraud/blocks?limit=1000");
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  fillTable("blocks-table", r.body.items, (tr, b) => {
    cell(tr, b.scope);
    cell(tr, b.name);
    cell(tr, b.text || b.reason);
    cell(tr, fmtS(b.since));
    cell(tr, b.until ? fmtS(b.until) : "until unblocked");
    actionButton(cell(tr, ""), "Unblock", async () => {
      const body = { scope: b.scope };
      if (b.scope === "user") {
        body.name = b.name;
      }
      const u = await api("POST", "fraud/unblock", body);
      setStatus(u.status === 200 ? "Unblocked " + u.body.object
                                 : errorText(u), u.status !== 200);
      loadBlocks();
    });
  });
}

async function loadAudit() {
  const r = await api("GET", "audit?limit=200");
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  r.body.items.reverse();
  fillTable("audit-table", r.body.items, (tr, e) => {
    cell(tr, e.seq);
    cell(tr, fmtMs(e.at_ms));
    cell(tr, e.actor);
    cell(tr, e.role);
    cell(tr, e.source);
    cell(tr, e.action);
    cell(tr, e.object);
  });
}

/* Every item of the self-assessment (R-AUDIT-1), as `rempart assess`
 * shows it: points, the evidence measured, the exact remediation. */
async function loadSecurity() {
  const r = await api("GET", "assessment");
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  $("security-score").textContent = "Score " + r.body.score + " / " +
    r.body.max_score + " (" + r.body.band + "), " + r.body.points +
    " of " + r.body.max_points + " points";
  const items = r.body.items.concat(r.body.extra.items);
  fillTable("security-table", items, (tr, i) => {
    tr.className = "p" + i.points;
    cell(tr, i.id);
    cell(tr, i.title);
    cell(tr, i.points + "/2");
    cell(tr, i.evidence);
    cell(tr, i.remediation);
  });
}

async function verifyAudit() {
  const r = await api("GET", "audit/verify");
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  $("audit-verdict").textContent = r.body.ok
    ? "The chain is intact: " + r.body.count + " entries."
    : "The chain is broken at entry " + r.body.broken_seq + ": " +
      r.body.fault;
}

async function login(ev) {
  ev.preventDefault();
  const body = { name: $("login-name").value,
                 password: $("login-password").value };
  const code = $("login-totp").value.trim();
  if (code) {
    body.totp = code;
  }
  const r = await api("POST", "login", body);
  $("login-password").value = "";
  $("login-totp").value = "";
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  await enterSession(r.body);
}

async function confirmEnrolment(ev) {
  ev.preventDefault();
  const r = await api("POST", "totp/confirm",
                      { code: $("enrol-code").value.trim() });
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  $("enrol-secret").textContent = "";
  $("enrol-qr").removeAttribute("src");
  setStatus("Two-factor authentication enrolled.");
  show("dashboard");
}

async function changePassword(ev) {
  ev.preventDefault();
  const r = await api("POST", "password", { old: $("password-old").value,
                                            new: $("password-new").value });
  $("password-form").reset();
  if (r.status !== 200) {
    setStatus(errorText(r), true);
    return;
  }
  showLogin("");
  setStatus("Password changed: log in with the new one.");
}

async function logout() {
  await api("POST", "logout");
  showLogin("");
}

async function boot() {
  $("login-form").addEventListener("submit", login);
  $("enrol-form").addEventListener("submit", confirmEnrolment);
  $("password-form").addEventListener("submit", changePassword);
  $("user-form").addEventListener("submit", createUser);
  $("cdr-form").addEventListener("submit", loadCdrs);
  $("ban-form").addEventListener("submit", addBan);
  $("dash-refresh").addEventListener("click", loadDashboard);
  window.setInterval(liveTick, LIVE_REFRESH_MS);
  $("audit-verify").addEventListener("click", verifyAudit);
  $("logout").addEventListener("click", logout);
  for (const b of document.querySelectorAll("#nav button[data-view]")) {
    b.addEventListener("click", () => {
      setStatus("");
      show(b.dataset.view);
    });
  }
  const r = await api("GET", "session");
  if (r.status === 200) {
    await enterSession(r.body);
  } else {
    showLogin("");
  }
}

document.addEventListener("DOMContentLoaded", boot);
