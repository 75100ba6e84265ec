// The browser scenario of issue 10: a new user signs in to the openIMIS front end and works with
// invoices against our backend. Each step asserts what the page shows and that the API calls it
// caused were all answered without GraphQL `errors` and without HTTP 4xx/5xx, except the refusals
// the step expects. On failure: a screenshot and the recorded traffic under var/e2e/run/.
// Run by `make test-e2e` (tests/e2e/run.sh), with node's test runner.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RUN_DIR, graphqlExchanges, launchBrowser, saveTraffic, startBackend, startFront } from "./harness.mjs";

const USER = "demo-a@molink.test";
const PASSWORD = "molink-demo";
const TIMEOUT = 20_000;

let backend;
let front;
let browser;
let page;
let broken = null; // the first failed step: the later ones are skipped
let stepNo = 0;
const consoleErrors = [];

before(async () => {
  mkdirSync(RUN_DIR, { recursive: true });
  let started = performance.now();
  const took = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  backend = await startBackend();
  console.log(`e2e: Django on :${backend.port} (migrate, demo_data, runserver) in ${took()}`);
  started = performance.now();
  front = await startFront(backend.port);
  browser = await launchBrowser();
  console.log(`e2e: front end on ${front.url}, Chromium started in ${took()}`);
  page = browser.pages()[0] || (await browser.newPage());
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (error) => consoleErrors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`console: ${message.text()}`);
  });
});

after(async () => {
  if (front) saveTraffic(front.traffic);
  writeFileSync(join(RUN_DIR, "console.log"), consoleErrors.join("\n"));
  await browser?.close();
  await front?.stop();
  await backend?.stop();
});

// What a step may see refused: a predicate over one exchange, with a description.
const refusal = (description, matches) => ({ description, matches });

function problems(exchanges, allowed) {
  const found = [];
  for (const e of exchanges) {
    if (e.status === undefined) continue; // not answered (yet)
    const graphqlErrors = e.response && Array.isArray(e.response.errors) ? e.response.errors : [];
    if (e.status < 400 && graphqlErrors.length === 0) continue;
    if (allowed.some((a) => a.matches(e))) continue;
    found.push(`${e.method} ${e.url} -> HTTP ${e.status}\n  request: ${(e.query ?? e.requestBody ?? "").replace(/\s+/g, " ").slice(0, 400)}\n  response: ${(e.responseBody ?? "").slice(0, 400)}`);
  }
  return found;
}

// Every API exchange from index `first` on (GraphQL ones with their parsed request and answer).
const exchangesFrom = (first) =>
  graphqlExchanges(front.traffic.slice(first)).concat(
    front.traffic.slice(first).filter((e) => !e.url.startsWith("/api/graphql")).map((e) => ({ ...e, response: null })),
  );

// Waits until every exchange from index `first` on has its answer.
async function answered(first) {
  const until = Date.now() + TIMEOUT;
  while (front.traffic.slice(first).some((e) => e.status === undefined)) {
    if (Date.now() > until) throw new Error("API requests still unanswered");
    await new Promise((r) => setTimeout(r, 50));
  }
}

// One scenario step: skipped when an earlier one failed; on failure a screenshot; afterwards the
// API exchanges it caused are checked.
function step(name, body, { allowed = [] } = {}) {
  const number = ++stepNo;
  test(name, async (t) => {
    if (broken) return t.skip(`step "${broken}" failed`);
    const first = front.traffic.length;
    try {
      await body();
      await page.waitForLoadState("networkidle").catch(() => {});
      await answered(first);
      const bad = problems(exchangesFrom(first), allowed);
      assert.deepEqual(bad, [], `API answers with errors during "${name}":\n${bad.join("\n")}`);
    } catch (error) {
      broken = name;
      const bad = problems(exchangesFrom(first), allowed);
      if (bad.length && error.code !== "ERR_ASSERTION") error.message += `\nAPI answers with errors meanwhile:\n${bad.join("\n")}`;
      const shot = join(RUN_DIR, `failed-${String(number).padStart(2, "0")}.png`);
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      saveTraffic(front.traffic);
      error.message += `\n(screenshot ${shot}; traffic ${join(RUN_DIR, "traffic.json")})`;
      throw error;
    }
  });
}

const lastGraphql = (predicate) => graphqlExchanges(front.traffic).filter(predicate).at(-1);
const sent = (fragment) => graphqlExchanges(front.traffic).filter((e) => e.query.includes(fragment));

async function waitForExchange(predicate, what) {
  const until = Date.now() + TIMEOUT;
  for (;;) {
    const found = graphqlExchanges(front.traffic).find((e) => e.status !== undefined && predicate(e));
    if (found) return found;
    if (Date.now() > until) throw new Error(`no answered request for ${what}`);
    await page.waitForTimeout(100);
  }
}

// The mutationLogs row of a mutation, once fe-core polled it to a final status (1 error, 2 done).
async function mutationOutcome(clientMutationId) {
  const until = Date.now() + TIMEOUT;
  for (;;) {
    for (const e of graphqlExchanges(front.traffic)) {
      if (!e.query.includes("mutationLogs") || !e.response?.data?.mutationLogs) continue;
      for (const { node } of e.response.data.mutationLogs.edges) {
        if (node.clientMutationId === clientMutationId && node.status !== 0) return node;
      }
    }
    if (Date.now() > until) throw new Error(`mutation ${clientMutationId} never reached a final status in mutationLogs`);
    await page.waitForTimeout(200);
  }
}

const clientMutationIdOf = (exchange) => /clientMutationId: "([^"]+)"/.exec(exchange.query)?.[1];

// An anonymous visitor's start: fe-core tries to refresh a token it has not got, then asks for
// the current user (401) before it shows the login page.
const BOOT_REFUSALS = [
  refusal("refreshToken without a cookie yet", (e) => e.query?.includes("refreshToken") && e.response?.data?.refreshToken === null),
  refusal("current_user before login", (e) => e.url.startsWith("/api/core/users/current_user/") && e.status === 401),
];

let invoiceCount;
// Invoice status as the API spells it (upstream openIMIS's graphene enum of the integer choices).
const STATUS = { DRAFT: "A_0", UNPAID: "A_6" };
const STATUS_LABEL = {
  A_0: "Draft", A_1: "Validated", A_2: "Paid", A_3: "Cancelled", A_4: "Deleted", A_5: "Suspended", A_6: "Unpaid", A_7: "Reconciliated",
};

step("boot: the app asks the backend for moduleConfigurations, then shows the login page", async () => {
  await page.goto(`${front.url}login`);
  const boot = await waitForExchange(() => true, "the first API request");
  assert.match(boot.query, /^\{ moduleConfigurations \{ module, config, controls\{ field, usage \} \} \}$/);
  assert.equal(boot.status, 200, `moduleConfigurations answered ${boot.status}: ${boot.responseBody}`);
  assert.ok(Array.isArray(boot.response?.data?.moduleConfigurations), boot.responseBody);
  await page.getByRole("button", { name: /log in/i }).waitFor();
}, { allowed: BOOT_REFUSALS });

step("login: demo-a signs in and lands on the home page", async () => {
  await page.locator('input[type="text"]').first().fill(USER);
  await page.locator('input[type="password"]').fill(PASSWORD);
  await page.getByRole("button", { name: /log in/i }).click();
  await page.waitForURL(/\/front\/home$/);
  await page.getByText("Legal and Finance").waitFor();
  assert.ok(sent("tokenAuth").length === 1, "one tokenAuth mutation");
  assert.ok(sent("getCsrfToken").length === 1, "one getCsrfToken mutation");
});

step("invoice list: the menu leads to the invoices, the count is the backend's", async () => {
  await page.getByText("Legal and Finance").click();
  await page.getByRole("menuitem", { name: "Invoices" }).or(page.getByText("Invoices", { exact: true })).first().click();
  await page.waitForURL(/\/front\/invoices$/);
  const list = await waitForExchange((e) => /^\s*\{\s*invoice\(/.test(e.query), "the invoice list query");
  invoiceCount = list.response.data.invoice.totalCount;
  assert.ok(invoiceCount > 10, `demo data has more than a page of invoices (${invoiceCount})`);
  await page.getByText(`${invoiceCount} Invoices Found`).waitFor();
});

// The input of the Material-UI text field or select labelled `label` (fe-core's inputs carry no
// id linking label and input).
const field = (label, root = page) =>
  root.locator(".MuiFormControl-root", { has: page.locator("label", { hasText: new RegExp(`^${label}\\s*\\*?$`) }) }).first();
const input = (label, root = page) => field(label, root).locator("input").first();

async function choose(label, option, root) {
  await field(label, root).locator("[role=button]").click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

const isInvoiceList = (e) => /^\s*\{\s*invoice\(isDeleted/.test(e.query);
let listed;

async function searchCode(code) {
  await input("Code").fill(code);
  await page.waitForTimeout(300); // the searcher's text filters are debounced
  const before = front.traffic.length;
  await page.getByRole("button", { name: "Search" }).click();
  const answer = await waitForExchange(
    (e) => e.seq >= before && isInvoiceList(e) && e.query.includes(`"${code}"`),
    `the list filtered on ${code}`,
  );
  return answer.response.data.invoice;
}

step("filter: a code typed in the searcher narrows the list to that invoice", async () => {
  listed = lastGraphql(isInvoiceList).response.data.invoice.edges.map((x) => x.node);
  const target = listed.find((n) => n.code && n.status === STATUS.UNPAID) || listed.find((n) => n.code);
  const result = await searchCode(target.code);
  assert.equal(result.totalCount, 1);
  await page.getByText("1 Invoices Found").waitFor();
  await page.locator("tr", { hasText: target.code }).waitFor();
});

let card; // the invoice opened on its card

step("card: the edit icon opens the invoice on its general tab", async () => {
  const code = listed.find((n) => n.code && n.status === STATUS.UNPAID)?.code || listed.find((n) => n.code).code;
  await page.locator("tr", { hasText: code }).getByTitle("Edit").click();
  await page.waitForURL(/\/front\/invoices\/invoice\/[0-9a-f-]{36}$/);
  const uuid = page.url().split("/").pop();
  const answer = await waitForExchange((e) => e.query.includes(`invoice(id: "${uuid}")`), "the card query");
  card = answer.response.data.invoice.edges[0].node;
  assert.equal(card.code, code);
  await page.getByText(`Invoice ${code}`).waitFor();
  await page.getByText("General Information").waitFor();
  assert.equal(await input("Code").inputValue(), code);
  assert.equal(await input("Amount Total").inputValue(), String(Number(card.amountTotal)));
  assert.equal(await input("Status").inputValue(), STATUS_LABEL[card.status]);
});

step("line items tab: the invoice's lines are listed", async () => {
  await page.getByRole("tab", { name: "Line Items" }).click();
  const answer = await waitForExchange((e) => e.query.includes(`invoiceLineItem(invoice_Id: "${card.id ? decodeUuid(card.id) : ""}"`), "the line items query");
  const lines = answer.response.data.invoiceLineItem;
  assert.ok(lines.totalCount > 0, "the demo invoice has lines");
  await page.getByText(`${lines.totalCount} Line Items Found`).waitFor();
  for (const { node } of lines.edges) await page.getByRole("cell", { name: node.code, exact: true }).first().waitFor();
});

const decodeUuid = (id) => Buffer.from(id, "base64").toString("utf8").split(":")[1];
let paymentsBefore;

step("payments tab: the invoice's payments are listed", async () => {
  await page.getByRole("tab", { name: "Payments" }).click();
  const answer = await waitForExchange((e) => e.query.includes(`paymentInvoice(subjectIds: ["${decodeUuid(card.id)}"]`), "the payments query");
  paymentsBefore = answer.response.data.paymentInvoice.totalCount;
  await page.getByText(`${paymentsBefore} Payments Found`).waitFor();
});

const PAYMENT = { code: "PAY-E2E-1", label: "E2E transfer" };

step("add payment: the modal's payment is created and listed", async () => {
  await page.locator("button.MuiFab-root").click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("Create new Payment").waitFor();
  await choose("Reconciliation Status", "Not reconciliated", dialog);
  await choose("Status", "Accepted", dialog);
  await input("Payer Reference", dialog).fill("VIR-E2E-1");
  await input("Payer Name", dialog).fill("Maison E2E");
  await input("Code", dialog).fill(PAYMENT.code);
  await input("Label", dialog).fill(PAYMENT.label);
  await input("Code Thirdparty", dialog).fill("CLI-E2E");
  await input("Receipt Number", dialog).fill("REC-E2E-1");
  await input("Fees", dialog).fill("1.5");
  await input("Amount Received", dialog).fill("50");
  await input("Payment Origin", dialog).fill("bank transfer");
  await input("Payment Date", dialog).click();
  await page.locator(".MuiPickersModal-dialogRoot").getByRole("button", { name: "OK" }).click();
  await dialog.getByRole("button", { name: "Create" }).click();
  const mutation = await waitForExchange((e) => e.query.includes("createPaymentWithDetailInvoice("), "createPaymentWithDetailInvoice");
  assert.equal((await mutationOutcome(clientMutationIdOf(mutation))).status, 2);
  await page.getByText(`${paymentsBefore + 1} Payments Found`).waitFor();
  await page.locator("tr", { hasText: PAYMENT.code }).getByText(PAYMENT.label).waitFor();
});

step("delete payment: confirmed, the row is disabled, and a refresh no longer lists it", async () => {
  const row = page.locator("tr", { hasText: PAYMENT.code });
  await row.getByTitle("Delete").click();
  await page.getByRole("dialog").getByRole("button", { name: "OK" }).click();
  const mutation = await waitForExchange((e) => e.query.includes("deletePaymentInvoice("), "deletePaymentInvoice");
  assert.equal((await mutationOutcome(clientMutationIdOf(mutation))).status, 2);
  // fe-invoice does not refetch after this delete: it disables the row's delete button
  await row.getByRole("button").and(page.locator("[disabled]")).waitFor();
  const before = front.traffic.length;
  await page.getByRole("button", { name: "Search" }).click();
  await waitForExchange((e) => e.seq >= before && e.query.includes("paymentInvoice(subjectIds:"), "the payments refetch");
  await page.getByText(`${paymentsBefore} Payments Found`).waitFor();
  assert.equal(await row.count(), 0);
});

let eventsBefore;
const MESSAGE = "E2E: customer called about this invoice";

step("events tab: the invoice's events are listed", async () => {
  await page.getByRole("tab", { name: "Events" }).click();
  const answer = await waitForExchange((e) => /invoiceEvent\(invoice_Id: /.test(e.query), "the events query");
  eventsBefore = answer.response.data.invoiceEvent.totalCount;
  await page.getByText(`${eventsBefore} Events Found`).waitFor();
});

step("add event message: the comment is created and listed", async () => {
  await page.locator("button.MuiFab-root").click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("Create new Comment").waitFor();
  await field("Message", dialog).locator("input, textarea").first().fill(MESSAGE);
  await dialog.getByRole("button", { name: "Create" }).click();
  const mutation = await waitForExchange((e) => e.query.includes("createInvoiceEventMessage("), "createInvoiceEventMessage");
  assert.equal((await mutationOutcome(clientMutationIdOf(mutation))).status, 2);
  await page.getByText(`${eventsBefore + 1} Events Found`).waitFor();
  await page.getByRole("cell", { name: MESSAGE }).waitFor();
});

step("delete draft: confirmed from the list, the draft disappears", async () => {
  await page.goto(`${front.url}invoices`);
  await page.getByText(/\d+ Invoices Found/).waitFor();
  const all = lastGraphql(isInvoiceList).response.data.invoice;
  const rows = all.edges.map((x) => x.node);
  const index = rows.findIndex((n) => n.status === STATUS.DRAFT);
  assert.ok(index >= 0, "a draft on the first page");
  const draft = rows[index];
  const row = page.locator("tbody tr").nth(index); // the table lists the rows in the answer's order
  await row.getByText(String(Number(draft.amountTotal)), { exact: true }).waitFor();
  assert.equal(await row.locator("input").last().inputValue(), "Draft"); // the status cell is a read-only picker
  await row.getByTitle("Delete").click();
  await page.getByRole("dialog").getByRole("button", { name: "OK" }).click();
  const mutation = await waitForExchange((e) => e.query.includes("deleteInvoice("), "deleteInvoice");
  assert.ok(mutation.query.includes(decodeUuid(draft.id)));
  assert.equal((await mutationOutcome(clientMutationIdOf(mutation))).status, 2);
  // like for payments, the list is not refetched: the row's delete button is disabled
  await row.getByTitle("Delete").and(page.locator("[disabled]")).or(row.locator("button[disabled]")).first().waitFor();
  const before = front.traffic.length;
  await page.getByRole("button", { name: "Search" }).click();
  const again = await waitForExchange((e) => e.seq >= before && isInvoiceList(e), "the list refetch");
  assert.equal(again.response.data.invoice.totalCount, all.totalCount - 1);
  assert.ok(!again.response.data.invoice.edges.some((x) => x.node.id === draft.id), "the deleted draft is not listed");
  await page.getByText(`${all.totalCount - 1} Invoices Found`).waitFor();
});

step("delete validated: refused, the journal shows the backend's reason", async () => {
  const validated = (await searchCode(card.code)).edges[0].node;
  await page.getByText("1 Invoices Found").waitFor();
  const first = front.traffic.length;
  await page.locator("tr", { hasText: validated.code }).getByTitle("Delete").click();
  await page.getByRole("dialog").getByRole("button", { name: "OK" }).click();
  const mutation = await waitForExchange((e) => e.seq >= first && e.query.includes("deleteInvoice("), "deleteInvoice");
  const outcome = await mutationOutcome(clientMutationIdOf(mutation));
  assert.equal(outcome.status, 1, "mutationLogs status 1 (error)");
  const reasons = JSON.parse(outcome.error);
  assert.ok(Array.isArray(reasons) && reasons.length > 0 && reasons[0].message, `error is a JSON list of {message}: ${outcome.error}`);
  // the journal (right-hand drawer, collapsed) marks the refused mutation with the error icon;
  // clicking it opens the messages popover with the backend's reason
  const entry = page.locator("nav li", { hasText: `Delete Invoice ${validated.code}` }).first();
  await entry.locator(".MuiListItemIcon-root").last().click();
  await page.locator(".MuiPopover-paper").getByText(reasons[0].message).waitFor();
  await page.mouse.click(5, 850); // closes the popover
  await page.locator(".MuiPopover-paper").waitFor({ state: "detached" });
  // and the invoice is still listed
  assert.equal((await searchCode(validated.code)).totalCount, 1);
});

test("the whole run: no unexpected API error, no uncaught page error", async (t) => {
  if (stepNo === 0 || !front) return t.skip("no step ran");
  await answered(0);
  // the anonymous start (before tokenAuth) may see the two boot refusals; nothing else anywhere,
  // but the refusals the steps expect (checked there; none is an HTTP or GraphQL error)
  const login = graphqlExchanges(front.traffic).find((e) => e.query.includes("tokenAuth"));
  const beforeLogin = (e) => !login || e.seq < login.seq;
  const allowed = BOOT_REFUSALS.map((r) => refusal(r.description, (e) => beforeLogin(e) && r.matches(e)));
  assert.deepEqual(problems(exchangesFrom(0), allowed), []);
  const unexpected = consoleErrors.filter(
    (line) => !/^console: Failed to load resource: the server responded with a status of 401/.test(line),
  );
  assert.deepEqual(unexpected, [], "uncaught errors or error logs in the page");
  assert.ok(consoleErrors.length <= 1, `one 401 at most (before login): ${consoleErrors.join(" | ")}`);
});
