import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, test, type Page, type WebSocketRoute } from "@playwright/test";
import { ADMIN, VIEWER, signIn, signOut, waitForHydration, watchErrors } from "./helpers";

// Runs after providers.spec.ts, which adds the operator "otto", the local provider
// "Scans folder" (FERRY_E2E_LOCAL_ROOT) and the S3 provider "Archive bucket".
const OPERATOR = { username: "otto", password: "operator password 1" };
const LOCAL_ROOT = process.env.FERRY_E2E_LOCAL_ROOT ?? "";
const OUTBOX = join(dirname(LOCAL_ROOT), "outbox");

test.describe.configure({ mode: "serial" });

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Writes `n` files of random bytes under the local provider; returns key → SHA-256. */
function writeFiles(folder: string, n: number, ext: string, size: number): Map<string, string> {
  const hashes = new Map<string, string>();
  mkdirSync(join(LOCAL_ROOT, folder), { recursive: true });
  for (let i = 0; i < n; i++) {
    const name = `${folder}/doc-${String(i).padStart(3, "0")}.${ext}`;
    const data = randomBytes(size);
    writeFileSync(join(LOCAL_ROOT, name), data);
    hashes.set(name, sha256(data));
  }
  return hashes;
}

async function pickProvider(page: Page, label: string, name: string) {
  const select = page.getByLabel(label, { exact: true });
  const value = await select.locator("option", { hasText: name }).first().getAttribute("value");
  await select.selectOption(value ?? "");
}

/** Signs in as the operator and fills the wizard's first step: a folder of "Scans folder". */
async function wizardFromScans(page: Page, folder: string) {
  await signIn(page, OPERATOR);
  await page.goto("/migrations/new");
  await waitForHydration(page);
  await pickProvider(page, "Source provider", "Scans folder");
  await page.getByLabel("Source folder", { exact: true }).fill(folder);
  await page.getByRole("button", { name: "Next" }).click();
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

/** Reads a counter on the detail page. */
async function counter(page: Page, id: string): Promise<number> {
  return Number((await page.getByTestId(id).textContent()) ?? "NaN");
}

test("a non-engineer moves PDFs from a folder to a bucket with the wizard and watches it live", async ({ page }) => {
  test.setTimeout(120_000);
  expect(LOCAL_ROOT, "scripts/e2e.sh sets FERRY_E2E_LOCAL_ROOT").not.toBe("");
  const pdfs = writeFiles("inbox", 160, "pdf", 8 * 1024);
  writeFiles("inbox", 80, "txt", 2 * 1024);
  const errors = watchErrors(page);
  await signIn(page, OPERATOR);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Migrations" }).click();
  await expect(page.getByRole("heading", { name: "No migrations yet" })).toBeVisible();
  await waitForHydration(page);
  await page.getByRole("link", { name: "New migration" }).click();
  await expect(page.getByRole("heading", { name: "Step 1 of 5 · Source" })).toBeVisible();

  // 1. Source: a provider and a folder picked from the folder browser. Next is refused first.
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("alert").first()).toContainText("Choose where the documents are now");
  await pickProvider(page, "Source provider", "Scans folder");
  await page.getByRole("button", { name: "Browse folders" }).click();
  await page.getByRole("group", { name: "Folders for Source folder" }).getByRole("button", { name: /inbox\// }).click();
  await expect(page.getByLabel("Source folder", { exact: true })).toHaveValue("inbox/");
  await shot(page, "wizard-1-source");
  await page.getByRole("button", { name: "Next" }).click();

  // 2. Destination.
  await expect(page.getByRole("heading", { name: "Step 2 of 5 · Destination" })).toBeVisible();
  await pickProvider(page, "Destination provider", "Archive bucket");
  await page.getByLabel("Destination folder", { exact: true }).fill("from-scans");
  await shot(page, "wizard-2-destination");
  await page.getByRole("button", { name: "Next" }).click();

  // 3. What to move, with the live preview following the filter.
  await expect(page.getByRole("heading", { name: "Step 3 of 5 · What to move" })).toBeVisible();
  await expect(page.getByTestId("preview-count")).toHaveText("240");
  await page.getByLabel("File types", { exact: true }).fill("pdf");
  await expect(page.getByTestId("preview-count")).toHaveText(String(pdfs.size));
  await expect(page.getByTestId("preview-size")).toHaveText("1.2 MiB");
  await expect(page.getByRole("list", { name: "Sample of matching documents" })).toContainText("doc-000.pdf");
  await shot(page, "wizard-3-what");
  await page.getByRole("button", { name: "Next" }).click();

  // 4. How: copy, and a speed limit so the progress can be watched.
  await expect(page.getByRole("heading", { name: "Step 4 of 5 · How" })).toBeVisible();
  await expect(page.getByRole("radio", { name: /^Copy/ })).toBeChecked();
  await page.getByLabel("Speed limit (MB/s)", { exact: true }).fill("0.25");
  await page.getByRole("radio", { name: "Again and again, on a schedule" }).check();
  await expect(page.getByTestId("next-runs")).toContainText("Next runs:");
  await page.getByRole("radio", { name: "When I start it" }).check();
  await shot(page, "wizard-4-how");
  // Back and forth keeps what was typed.
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page.getByLabel("File types", { exact: true })).toHaveValue("pdf");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByLabel("Speed limit (MB/s)", { exact: true })).toHaveValue("0.25");
  await page.getByRole("button", { name: "Next" }).click();

  // 5. Review: the plan, the time and the cost.
  await expect(page.getByRole("heading", { name: "Step 5 of 5 · Review" })).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Scans folder to Archive bucket");
  await page.getByLabel("Name", { exact: true }).fill("Scanned PDFs to archive");
  await expect(page.getByTestId("estimate-copy")).toHaveText(String(pdfs.size));
  await expect(page.getByTestId("estimate-skip")).toHaveText("0");
  await expect(page.getByTestId("estimate-time")).toContainText("about");
  await expect(page.getByTestId("estimate-cost")).toContainText("USD");
  await shot(page, "wizard-5-review");
  await page.getByRole("button", { name: "Create and start" }).click();

  // The detail page: counters pushed live, without a reload.
  await expect(page).toHaveURL(/\/migrations\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "Scanned PDFs to archive" })).toBeVisible();
  await page.evaluate(() => ((window as any).__no_reload = true));
  const seen = new Set<number>();
  await expect
    .poll(async () => {
      seen.add(await counter(page, "count-done"));
      return [...seen].some((n) => n > 0 && n < pdfs.size);
    }, { timeout: 60_000, intervals: [100] })
    .toBe(true);
  await shot(page, "detail-running");
  await expect(page.getByTestId("job-status")).toHaveText("Completed", { timeout: 60_000 });
  expect(await counter(page, "count-done")).toBe(pdfs.size);
  expect(await counter(page, "count-failed")).toBe(0);
  expect(await page.evaluate(() => (window as any).__no_reload)).toBe(true);
  await expect(page.getByTestId("verification")).toContainText(`${pdfs.size} copies proven identical`);
  await shot(page, "detail-completed");

  // The report lists every file with the same SHA-256 on both sides, equal to the file's own.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download report (CSV)" }).click(),
  ]);
  const csv = readFileSync((await download.path()) ?? "", "utf8").trim().split("\r\n");
  expect(csv[0]).toContain("source_key,dest_key,size,action,status");
  const rows = csv.slice(1).map((line) => line.split(","));
  expect(rows).toHaveLength(pdfs.size);
  for (const [source, dest, , , status, , sourceSha, destSha] of rows) {
    expect(pdfs.get(source), source).toBe(sourceSha);
    expect(destSha).toBe(sourceSha);
    expect(status).toBe("verified");
    expect(dest).toBe(source.replace(/^inbox\//, "from-scans/"));
  }
  // The list shows it finished.
  await page.getByRole("link", { name: "Migrations" }).first().click();
  const row = page.getByRole("row", { name: "Migration Scanned PDFs to archive" });
  await expect(row.getByTestId("job-status")).toHaveText("Completed");
  // The dashboard counts them: copied this week, and where the documents now are.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await expect(page.getByTestId("moved-week")).toHaveText("160 · 1.2 MiB");
  await expect(page.getByRole("listitem", { name: /^Archive bucket: 160 documents/ })).toBeVisible();
  await expect(page.getByTestId("no-active")).toBeVisible();

  // The catalog: the document, its UUID and both copies with the file's SHA-256.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await page.getByLabel("Search documents").fill("DOC-007.pdf");
  await expect(page.getByRole("row", { name: /^Document / })).toHaveCount(1);
  await page.getByRole("row", { name: "Document doc-007.pdf" }).getByRole("link").click();
  await expect(page.getByRole("heading", { name: "doc-007.pdf" })).toBeVisible();
  await expect(page.getByTestId("document-id")).toHaveText(/^[0-9a-f-]{36}$/);
  const hash = pdfs.get("inbox/doc-007.pdf") ?? "";
  await expect(page.getByRole("row", { name: "Copy on Scans folder" })).toContainText(hash);
  await expect(page.getByRole("row", { name: "Copy on Archive bucket" })).toContainText(hash);
  await expect(page.getByTestId("drift")).toHaveText("Copies agree");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Re-check copies" }).click();
  await expect(page.getByRole("list", { name: "Re-check findings" })).toContainText("Archive bucket: intact");
  // Change the original: the re-check finds the drift and marks it.
  writeFileSync(join(LOCAL_ROOT, "inbox/doc-007.pdf"), "changed after the copy");
  await page.getByRole("button", { name: "Re-check copies" }).click();
  await expect(page.getByRole("list", { name: "Re-check findings" })).toContainText("Scans folder: changed since Ferry recorded it");
  await expect(page.getByTestId("drift")).toHaveText("Copies disagree");
  await shot(page, "document-drift");
  expect(errors).toEqual([]);
});

test("failed items show why; after the cause is fixed, Retry failed items finishes the job", async ({ page }) => {
  test.setTimeout(90_000);
  writeFiles("reports/blocked", 4, "txt", 512);
  writeFiles("reports/fine", 6, "txt", 512);
  // A file where the destination needs a folder: writing under it must fail.
  rmSync(OUTBOX, { recursive: true, force: true });
  mkdirSync(OUTBOX, { recursive: true });
  writeFileSync(join(OUTBOX, "blocked"), "in the way");
  await wizardFromScans(page, "reports");

  // A new provider, added without leaving the wizard, becomes the destination.
  await page.getByRole("button", { name: "Add a provider" }).click();
  const form = page.getByRole("form", { name: "Provider settings" });
  await form.getByLabel("Kind").selectOption("local");
  await form.getByLabel("Name", { exact: true }).fill("Outbox folder");
  await form.getByLabel("Folder path").fill(OUTBOX);
  await form.getByRole("button", { name: "Save provider" }).click();
  await expect(page.getByLabel("Destination provider", { exact: true }).locator("option:checked")).toContainText("Outbox folder");
  await expect(page.getByRole("heading", { name: "Step 2 of 5 · Destination" })).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Reports to outbox");
  await expect(page.getByTestId("estimate-copy")).toHaveText("10");
  await expect(page.getByTestId("estimate-cost")).toContainText("Local folders cost nothing");
  await page.getByRole("button", { name: "Create and start" }).click();

  await expect(page.getByTestId("job-status")).toHaveText("Completed with errors", { timeout: 60_000 });
  expect(await counter(page, "count-failed")).toBe(4);
  expect(await counter(page, "count-done")).toBe(6);
  await page.getByRole("button", { name: "Show failed items" }).click();
  const failed = page.getByRole("row", { name: /^Item reports\/blocked\// });
  await expect(failed).toHaveCount(4);
  await expect(failed.first()).toContainText("a file named `blocked` is where a folder must go");
  await shot(page, "detail-failed-items");

  // Fix the cause, then retry all failed items from the page.
  rmSync(join(OUTBOX, "blocked"));
  await page.getByRole("button", { name: "Retry failed items" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Completed", { timeout: 60_000 });
  expect(await counter(page, "count-failed")).toBe(0);
  expect(await counter(page, "count-done")).toBe(10);
  for (let i = 0; i < 4; i++) {
    const name = `blocked/doc-${String(i).padStart(3, "0")}.txt`;
    expect(sha256(readFileSync(join(OUTBOX, name)))).toBe(sha256(readFileSync(join(LOCAL_ROOT, "reports", name))));
  }
  // The dashboard lists the failures, linked to their migration.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  const failures = page.getByTestId("recent-failures");
  await expect(failures).toContainText("Reports to outbox");
  await expect(failures).toContainText("reports/blocked/doc-000.txt");
});

test("an operator pauses, resumes and cancels from the page; a viewer cannot", async ({ page, browser }) => {
  test.setTimeout(90_000);
  // The live channel passes through a route the test can cut, like a dropped network.
  let cut = false;
  const sockets: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/ws$/, (ws) => {
    if (cut) {
      void ws.close();
      return;
    }
    ws.connectToServer();
    sockets.push(ws);
  });
  writeFiles("slow", 40, "bin", 16 * 1024);
  await wizardFromScans(page, "slow");
  await pickProvider(page, "Destination provider", "Archive bucket");
  await page.getByLabel("Destination folder", { exact: true }).fill("slow-copy");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  // 40 × 16 KiB at 20 KB/s: about half a minute unless paused.
  await page.getByLabel("Speed limit (MB/s)", { exact: true }).fill("0.02");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Slow copy");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Not started");
  const url = page.url();

  await page.getByRole("button", { name: "Start" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Running");
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Paused");
  await expect(page.getByRole("status")).toContainText("Paused");

  // A viewer sees the same page with every control disabled.
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signIn(viewer, VIEWER);
  await viewer.goto(url);
  await waitForHydration(viewer);
  await expect(viewer.getByTestId("job-status")).toHaveText("Paused");
  await expect(viewer.getByRole("button", { name: "Resume" })).toBeDisabled();
  await expect(viewer.getByRole("button", { name: "Cancel migration" })).toBeDisabled();
  await expect(viewer.getByTestId("viewer-note")).toBeVisible();
  await viewerContext.close();

  // A dropped connection: the page says so, and once back it reads the state again
  // (here changed meanwhile by a script) without a reload.
  await page.evaluate(() => ((window as any).__no_reload = true));
  cut = true;
  for (const ws of sockets.splice(0)) await ws.close();
  await expect(page.locator(".live-tag")).toHaveAttribute("data-state", "reconnecting", { timeout: 15_000 });
  const id = url.split("/").pop() ?? "";
  const resumed = await page.request.post("/api/migrations/resume", {
    form: { id },
    headers: { origin: new URL(url).origin },
  });
  expect(resumed.status()).toBe(200);
  cut = false;
  await expect(page.locator(".live-tag")).toHaveAttribute("data-state", "live", { timeout: 15_000 });
  await expect(page.getByTestId("job-status")).toHaveText("Running");
  expect(await page.evaluate(() => (window as any).__no_reload)).toBe(true);
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Paused");
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Running");
  // The dashboard shows it as active, with its progress; the page comes back to it.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  const active = page.getByRole("listitem", { name: "Active migration Slow copy" });
  await expect(active.getByTestId("job-status")).toHaveText("Running");
  await expect(active.getByRole("progressbar", { name: "Progress of Slow copy" })).toBeVisible();
  await active.getByRole("link", { name: "Slow copy" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Running");
  await page.getByRole("button", { name: "Cancel migration" }).click();
  await page.getByRole("group", { name: "Confirm" }).getByRole("button", { name: "Yes, cancel it" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Cancelled");
  const done = await counter(page, "count-done");
  expect(done).toBeLessThan(40);
  await shot(page, "detail-cancelled");
  await signOut(page);
});

test("every console page fits a narrow 390 px screen without sideways scrolling", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, OPERATOR);
  await page.goto("/migrations");
  await waitForHydration(page);
  const detail = await page.getByRole("row", { name: "Migration Scanned PDFs to archive" }).getByRole("link").getAttribute("href");
  const docPath = await (async () => {
    await page.goto("/documents");
    await waitForHydration(page);
    return page.getByRole("row", { name: /^Document / }).first().getByRole("link").getAttribute("href");
  })();
  for (const path of ["/", "/providers", "/migrations", "/migrations/new", detail ?? "", "/documents", docPath ?? "", "/users", "/settings"]) {
    await page.goto(path);
    await waitForHydration(page);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${path} scrolls sideways by ${overflow} px`).toBeLessThanOrEqual(1);
  }
  await page.goto(detail ?? "");
  await shot(page, "detail-narrow");
});

test("an administrator changes a role and disables an account, which can then no longer sign in", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await waitForHydration(page);
  const vera = page.getByRole("row", { name: "User vera" });
  await vera.getByLabel("Role of vera", { exact: true }).selectOption("operator");
  await vera.getByRole("button", { name: "Save the role of vera" }).click();
  await expect(page.getByRole("status")).toHaveText("vera has a new role.");
  await expect(vera.getByTestId("user-role")).toHaveText("Operator");
  await vera.getByLabel("Role of vera", { exact: true }).selectOption("viewer");
  await vera.getByRole("button", { name: "Save the role of vera" }).click();
  await expect(vera.getByTestId("user-role")).toHaveText("Viewer");

  // Nobody disables themselves.
  await page.getByRole("row", { name: "User admin" }).getByRole("button", { name: "Disable admin" }).click();
  await expect(page.getByRole("alert")).toContainText("You cannot disable your own account.");

  await vera.getByRole("button", { name: "Disable vera" }).click();
  await expect(vera.getByTestId("user-status")).toHaveText("Disabled");
  await signOut(page);
  await page.getByLabel("Username").fill(VIEWER.username);
  await page.getByLabel("Password").fill(VIEWER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page).toHaveURL(/\/login/);

  // Enabled again, the account signs in as before.
  await signIn(page, ADMIN);
  await page.goto("/users");
  await waitForHydration(page);
  await page.getByRole("row", { name: "User vera" }).getByRole("button", { name: "Enable vera" }).click();
  await expect(page.getByRole("row", { name: "User vera" }).getByTestId("user-status")).toHaveText("Active");
  await signOut(page);
  await signIn(page, VIEWER);
});

test("rolling back a copy that overwrote a versioned bucket puts the prior versions back", async ({ page }) => {
  test.setTimeout(90_000);
  const moto = process.env.FERRY_E2E_MOTO_ENDPOINT ?? "";
  expect(moto, "scripts/e2e.sh sets FERRY_E2E_MOTO_ENDPOINT").not.toBe("");
  // The bucket, with versions on and three documents the copy will overwrite: set up
  // and checked with the S3 API directly, never through Ferry. moto takes any
  // credentials but refuses anonymous requests, so each carries an authorization.
  const s3 = (path: string, init: RequestInit = {}) =>
    fetch(`${moto}${path}`, {
      ...init,
      headers: {
        authorization: "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
        "content-type": "text/plain",
      },
    });
  expect((await s3("/versioned", { method: "PUT", body: "" })).status).toBe(200);
  const versioning = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
  expect((await s3("/versioned?versioning", { method: "PUT", body: versioning })).status).toBe(200);
  for (let i = 0; i < 3; i++) {
    expect((await s3(`/versioned/docs/doc-00${i}.txt`, { method: "PUT", body: `prior ${i}` })).status).toBe(200);
  }
  writeFiles("versioned-src", 5, "txt", 300);

  await wizardFromScans(page, "versioned-src");
  await page.getByRole("button", { name: "Add a provider" }).click();
  const form = page.getByRole("form", { name: "Provider settings" });
  await form.getByLabel("Kind").selectOption("s3");
  await form.getByLabel("Name", { exact: true }).fill("Versioned bucket");
  await form.getByLabel("Service address (endpoint)").fill(moto);
  await form.getByLabel("Bucket", { exact: true }).fill("versioned");
  await form.getByLabel("Access key id").fill("testing");
  await form.getByLabel("Secret access key").fill("testing-secret");
  await form.getByRole("button", { name: "Save provider" }).click();
  await expect(page.getByLabel("Destination provider", { exact: true }).locator("option:checked")).toContainText("Versioned bucket");
  await page.getByLabel("Destination folder", { exact: true }).fill("docs");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /^Always overwrite/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Versioned overwrite");
  await expect(page.getByTestId("estimate-overwrite")).toHaveText("3");
  await expect(page.getByTestId("estimate-copy")).toHaveText("2");
  await page.getByRole("button", { name: "Create and start" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Completed", { timeout: 60_000 });
  const current = async (i: number) => {
    const res = await s3(`/versioned/docs/doc-00${i}.txt`);
    if (res.status === 404) return null;
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer()).toString();
  };
  const written = readFileSync(join(LOCAL_ROOT, "versioned-src/doc-000.txt")).toString();
  expect(await current(0)).toBe(written);

  await page.getByRole("button", { name: "Roll back" }).click();
  const confirm = page.getByRole("group", { name: "Confirm" });
  await expect(confirm).toContainText("the 5 copies this migration made are removed");
  await confirm.getByRole("button", { name: "Yes, roll back" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("Rolled back", { timeout: 60_000 });
  await expect(page.getByTestId("rollback-line")).toContainText("5 of 5 undone");
  await shot(page, "detail-rolled-back");
  // The S3 API shows the prior state: the overwritten ones as before, the new ones gone.
  for (let i = 0; i < 3; i++) expect(await current(i)).toBe(`prior ${i}`);
  for (let i = 3; i < 5; i++) expect(await current(i)).toBeNull();
});

test("a move must be confirmed by typing its name before it can be created", async ({ page }) => {
  await wizardFromScans(page, "slow");
  await pickProvider(page, "Destination provider", "Archive bucket");
  await page.getByLabel("Destination folder", { exact: true }).fill("moved");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /^Move/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Move the slow files");
  await expect(page.getByTestId("effect")).toContainText("the original is deleted from the source");
  const create = page.getByRole("button", { name: "Create and start" });
  await expect(create).toBeDisabled();
  const confirm = page.getByLabel(/Type its name/);
  await confirm.fill("Move the slow file");
  await expect(create).toBeDisabled();
  await confirm.fill("Move the slow files");
  await expect(create).toBeEnabled();
  // Nothing was created by getting this far.
  await page.goto("/migrations");
  await expect(page.getByRole("row", { name: "Migration Move the slow files" })).toHaveCount(0);
});
