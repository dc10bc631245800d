// End-to-end test of the web console in real headless Chromium (Debian's
// chromium, driven by playwright-core): first login with TOTP
// enrolment, a login with a one-time code, an extension created through
// the page, its registration seen on the dashboard, its call found on
// the call records page, a ban added and removed, a fraud block lifted,
// the audit log read; the page's security headers and CSRF protection
// checked from the browser.
//
// It is run by tests/system/test_console.py, which starts the daemon
// and the SIP peers. The two talk over stdio: this script prints
// "STEP name {json}" when it needs the SIP side (a phone to register, a
// call to make) and reads one line of JSON as the answer; "DONE" ends a
// successful run. Diagnostics go to stderr.
//
// Environment: CONSOLE_URL (https://127.0.0.1:PORT/), ADMIN_NAME,
// ADMIN_PASSWORD, BLOCKED_EXT (an extension the runner blocked by hand),
// CHROMIUM (default /usr/bin/chromium).
import { createHmac } from "node:crypto";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; " +
  "form-action 'self'";
const WAIT_MS = 20000;

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) {
    throw new Error(`${name} is not set`);
  }
  return v;
};
const URL_BASE = env("CONSOLE_URL");
const ADMIN = env("ADMIN_NAME");
const PASSWORD = env("ADMIN_PASSWORD");
const BLOCKED = env("BLOCKED_EXT");
const CHROMIUM = env("CHROMIUM", "/usr/bin/chromium");

function check(cond, what) {
  if (!cond) {
    throw new Error("check failed: " + what);
  }
}

const log = (...a) => console.error("[console-e2e]", ...a);

// RFC 6238 (HMAC-SHA-1, 6 digits, 30 s), written out from the RFC.
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/=+$/, "")) {
    const i = alphabet.indexOf(ch);
    check(i >= 0, "base32 secret");
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, "0");
}

const nowStep = () => Math.floor(Date.now() / 30000);

// A code for a step after 'used', within the server's window (one step
// ahead at most): waits for the clock when needed.
async function nextCode(secret, used) {
  const step = Math.max(nowStep(), used + 1);
  while (step > nowStep() + 1) {
    await new Promise((r) => setTimeout(r, 500));
  }
  return { code: totp(secret, step), step };
}

// The runner's side of a step.
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function step(name, data) {
  process.stdout.write(`STEP ${name} ${JSON.stringify(data ?? {})}\n`);
  const { value, done } = await lines.next();
  check(!done, `an answer to step ${name}`);
  const answer = JSON.parse(value);
  check(answer.ok === true, `step ${name}: ${value}`);
  return answer;
}

async function visible(page, selector) {
  await page.locator(selector).waitFor({ state: "visible", timeout: WAIT_MS });
}

async function nav(page, view) {
  await page.click(`#nav button[data-view="${view}"]`);
  await visible(page, `#view-${view}`);
}

// Polls until 'pred' holds for the text of a table's rows; 'refresh'
// reloads the table between tries.
async function waitRows(page, table, pred, refresh, what) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const rows = await page.$$eval(`#${table} tbody tr`, (trs) =>
      trs.map((tr) => Array.from(tr.cells, (td) => td.textContent)));
    if (rows.some(pred)) {
      return rows;
    }
    check(Date.now() < deadline, `${what}: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 500));
    await refresh();
  }
}

async function login(page, code) {
  await visible(page, "#view-login");
  await page.fill("#login-name", ADMIN);
  await page.fill("#login-password", PASSWORD);
  await page.fill("#login-totp", code ?? "");
  await page.click("#login-form button[type=submit]");
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespaces for the sandbox.
    args: ["--no-sandbox"],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    // Answers such as the 401 of a login refused are expected here.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(m.text());
    }
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  try {
    await run(page, problems);
  } finally {
    await browser.close();
  }
}

async function run(page, problems) {
  // The page and its headers.
  const res = await page.goto(URL_BASE);
  check(res.status() === 200, "index status");
  const h = res.headers();
  check(h["content-security-policy"] === CSP, "CSP " + h["content-security-policy"]);
  check(/^max-age=\d+/.test(h["strict-transport-security"] ?? ""), "HSTS");
  check(h["x-content-type-options"] === "nosniff", "nosniff");
  check(h["referrer-policy"] === "no-referrer", "Referrer-Policy");

  // First login: no code yet, enrolment required.
  await login(page, "");
  await visible(page, "#view-enrol");
  const secret = (await page.textContent("#enrol-secret")).trim();
  check(/^[A-Z2-7]{32}$/.test(secret), "TOTP secret shown: " + secret);
  const qr = await page.getAttribute("#enrol-qr", "src");
  check(qr.startsWith("data:image/svg+xml;base64,"), "QR data URL");
  // The QR code is drawn: the CSP lets data: images through.
  await page.waitForFunction(() => {
    const img = document.getElementById("enrol-qr");
    return img.complete && img.naturalWidth > 0;
  }, null, { timeout: WAIT_MS });
  const first = await nextCode(secret, 0);
  await page.fill("#enrol-code", first.code);
  await page.click("#enrol-form button[type=submit]");
  await visible(page, "#view-dashboard");
  log("enrolled");

  // Log out, then in again with the password and a fresh code.
  await page.click("#logout");
  await visible(page, "#view-login");
  await login(page, totp(secret, first.step)); // replayed: refused
  await page.waitForFunction(() => {
    const s = document.getElementById("status");
    return !s.hidden && s.className === "error" &&
      s.textContent.includes("invalid name, password or code");
  }, null, { timeout: WAIT_MS });
  check(await page.isVisible("#view-login"), "a replayed code is refused");
  const second = await nextCode(secret, first.step);
  await login(page, second.code);
  await visible(page, "#view-dashboard");
  check((await page.textContent("#who")).includes(ADMIN), "logged-in name");
  log("logged in with TOTP");

  // A state-changing request without the CSRF header is refused, from
  // the page's own origin with its own cookie.
  const forged = await page.evaluate(async () => {
    const r = await fetch("/api/v1/bans", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ addr: "192.0.2.99" }),
    });
    return { status: r.status, body: await r.json() };
  });
  check(forged.status === 403 && forged.body.error.code === "csrf_invalid",
    "POST without X-CSRF-Token: " + JSON.stringify(forged));
  // An inline script is refused by the CSP.
  const inlineRan = await page.evaluate(async () => {
    window.inlineRan = false;
    const s = document.createElement("script");
    s.textContent = "window.inlineRan = true";
    document.body.appendChild(s);
    await new Promise((r) => setTimeout(r, 100));
    return window.inlineRan;
  });
  check(inlineRan === false, "inline script blocked by the CSP");
  const violations = problems.filter((p) => /Content Security Policy/i.test(p));
  check(violations.length === 1, "exactly the one CSP refusal: " + violations);
  problems.length = 0;

  // Extension 200, created through the page; its secret is shown once.
  await nav(page, "users");
  await page.fill("#user-ext", "200");
  await page.fill("#user-name", "Console test");
  await page.click("#user-form button[type=submit]");
  await visible(page, "#user-created");
  check((await page.textContent("#user-created-ext")) === "200", "created ext");
  const sipSecret = (await page.textContent("#user-secret")).trim();
  check(sipSecret.length === 24, "generated SIP secret");
  await waitRows(page, "users-table", (r) => r[0] === "200" && r[1] === "Console test",
    async () => {}, "extension 200 listed");
  log("extension 200 created");

  // A phone registers as 200; the dashboard shows it.
  await step("register", { ext: "200", secret: sipSecret });
  await nav(page, "dashboard");
  await waitRows(page, "dash-regs", (r) => r[0] === "200",
    () => page.click("#dash-refresh"), "registration of 200 on the dashboard");
  const regCount = Number(await page.textContent("#dash-reg-count"));
  check(regCount >= 1, "registrations count");
  check(/\d/.test(await page.textContent("#dash-score")), "security score shown");
  log("registration seen");

  // A call from 200; its record on the call records page.
  await step("call", { from: "200", secret: sipSecret, to: "101" });
  await nav(page, "cdrs");
  await page.fill("#cdr-ext", "200");
  await page.fill("#cdr-date", new Date().toISOString().slice(0, 10));
  await waitRows(page, "cdrs-table",
    (r) => r[1] === "200" && r[2] === "101" && r[3] === "answered" && r[4] === "200",
    () => page.click("#cdr-form button[type=submit]"), "the CDR of 200 -> 101");
  // Another day finds nothing.
  await page.fill("#cdr-date", "2001-01-01");
  await page.click("#cdr-form button[type=submit]");
  await page.waitForFunction(() =>
    document.getElementById("cdr-total").textContent.startsWith("0 "), null,
  { timeout: WAIT_MS });
  log("CDR found");

  // A live call on the dashboard (R-OPS-1): the runner starts it and
  // leaves it up; the page hangs it up after its confirmation dialog,
  // and the runner checks both sides got a BYE and the CDR's reason.
  // The call of the step before leaves the list first (the list is at
  // most a second old), so that the row found is the live call's.
  await nav(page, "dashboard");
  await page.waitForFunction(() =>
    document.querySelector("#dash-live tbody").rows.length === 0, null,
  { timeout: WAIT_MS });
  await step("livecall", { from: "200", secret: sipSecret, to: "101" });
  const liveRow = page.locator("#dash-live tbody tr",
    { hasText: "answered" });
  await liveRow.waitFor({ state: "visible", timeout: 20000 });
  const live = await liveRow.locator("td").allTextContents();
  check(live[1] === "200" && live[2] === "101", "the live call 200 -> 101");
  check(Number(await page.textContent("#dash-call-count")) >= 1,
    "calls in progress counted");
  let asked = "";
  page.once("dialog", (d) => {
    asked = d.message();
    d.accept();
  });
  await liveRow.getByRole("button", { name: "Hang up" }).click();
  // The API's answer first: a refused hang-up fails here, by its name.
  await page.waitForFunction(() =>
    document.querySelector("#status").textContent.includes(" ended."),
  null, { timeout: WAIT_MS }).catch(async () => {
    check(false, "the hang-up answered: " +
      await page.textContent("#status") + " / calls shown: " +
      await page.textContent("#dash-live tbody"));
  });
  await page.waitForFunction(() =>
    document.querySelector("#dash-live tbody").rows.length === 0, null,
  { timeout: WAIT_MS });
  check(asked.includes("200"), "the hang-up asked for confirmation");
  await step("livecall_end", { from: "200", to: "101" });
  log("live call hung up from the dashboard");

  // Bans: added, listed, removed.
  await nav(page, "bans");
  await page.fill("#ban-addr", "192.0.2.77");
  await page.fill("#ban-for", "2h");
  await page.fill("#ban-reason", "console test");
  await page.click("#ban-form button[type=submit]");
  await waitRows(page, "bans-table", (r) => r[0] === "192.0.2.77" && r[4] === "console test",
    async () => {}, "the new ban");
  await page.locator("#bans-table tr", { hasText: "192.0.2.77" })
    .getByRole("button", { name: "Remove" }).click();
  await page.locator("#bans-table tr", { hasText: "192.0.2.77" })
    .waitFor({ state: "detached", timeout: WAIT_MS });
  log("ban added and removed");

  // Fraud blocks: the runner's block is lifted.
  await nav(page, "fraud");
  await waitRows(page, "blocks-table", (r) => r[0] === "user" && r[1] === BLOCKED,
    async () => {}, "the block of " + BLOCKED);
  await page.locator("#blocks-table tr", { hasText: BLOCKED })
    .getByRole("button", { name: "Unblock" }).click();
  await page.locator("#blocks-table tr", { hasText: BLOCKED })
    .waitFor({ state: "detached", timeout: WAIT_MS });
  log("block lifted");

  // The audit log names the account for each change.
  await nav(page, "audit");
  const rows = await waitRows(page, "audit-table",
    (r) => r[5] === "user.add" && r[6] === "200" && r[2] === ADMIN,
    () => nav(page, "audit"), "the audit entry of user.add 200");
  for (const action of ["bans.add", "bans.remove", "fraud.unblock", "admin.totp_confirm"]) {
    check(rows.some((r) => r[5] === action && r[2] === ADMIN), "audit " + action);
  }
  check(!rows.flat().some((c) => c.includes(sipSecret)), "no secret in the audit log");
  await page.click("#audit-verify");
  await page.waitForFunction(() =>
    document.getElementById("audit-verdict").textContent.startsWith("The chain is intact"),
  null, { timeout: WAIT_MS });

  // The security self-assessment page: every item, with its evidence
  // and remediation (R-AUDIT-1).
  await nav(page, "security");
  const items = await waitRows(page, "security-table",
    (r) => r[0] === "G30", () => nav(page, "security"),
    "the assessment items");
  check(items.filter((r) => /^G[0-9]+$/.test(r[0])).length === 30,
    "30 GUIDE items: " + items.length);
  const g11 = items.find((r) => r[0] === "G11");
  check(g11 && /\/2$/.test(g11[2]) && g11[3].length > 0,
    "G11 with points and evidence: " + JSON.stringify(g11));
  check(/^Score [0-9.]+ \/ 30 /.test(
    await page.textContent("#security-score")), "the score line");
  log("security page read");

  check(problems.length === 0, "no page errors: " + problems.join(" | "));
}

main().then(() => {
  process.stdout.write("DONE\n");
  process.exit(0);
}, (e) => {
  log(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
