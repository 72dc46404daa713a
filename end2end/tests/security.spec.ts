import { expect, request as apiRequest, test } from "@playwright/test";
import { ADMIN, signIn, watchErrors } from "./helpers";

// Runs after console.spec.ts has set Ferry up (files run in name order, one worker).
test.describe.configure({ mode: "serial" });

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const HOSTILE = `<img src=x onerror="window.__pwned=1">Scans`;

test("an API token is shown once on Settings, works for a script, and stops when revoked", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, ADMIN);
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("What uses it").fill("e2e script");
  await page.getByLabel("It may").selectOption("operator");
  await page.getByRole("button", { name: "Make token" }).click();
  const secret = (await page.getByTestId("token-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^fry_[0-9a-f]{64}$/);
  await expect(page.getByRole("row", { name: "Token e2e script" })).toContainText("Operator");

  // A script with only the token (no cookie) reads the API as an operator.
  const script = await apiRequest.newContext({ baseURL: BASE });
  const me = await script.get("/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ username: ADMIN.username, role: "operator", token: "e2e script" });
  const anonymous = await script.get("/api/v1/migrations");
  expect(anonymous.status()).toBe(401);
  expect((await anonymous.json()).error.code).toBe("unauthenticated");

  // Shown once: after a reload only its first characters remain.
  await page.reload();
  await expect(page.getByTestId("token-secret")).toHaveCount(0);
  const row = page.getByRole("row", { name: "Token e2e script" });
  await expect(row).toContainText(secret.slice(0, 10));
  await expect(row).not.toContainText(secret.slice(10));
  await row.getByRole("button", { name: "Revoke the token e2e script" }).click();
  await row.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(row.getByTestId("token-status")).toContainText("Revoked");
  const after = await script.get("/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(401);
  expect((await after.json()).error.message).toContain("revoked");
  await script.dispose();
  expect(errors).toEqual([]);
});

test("markup in names is shown as text, never run", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, ADMIN);
  const root = process.env.FERRY_E2E_LOCAL_ROOT ?? "/tmp";
  const saved = await page.request.post("/api/providers/save", {
    headers: { origin: new URL(page.url()).origin },
    data: { form: { name: HOSTILE, kind: "local", root } },
  });
  expect(saved.status()).toBe(200);
  for (const path of ["/providers", "/audit"]) {
    await page.goto(path);
    await expect(page.getByText(HOSTILE).first()).toBeVisible();
  }
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  expect(await page.locator("img[src='x']").count()).toBe(0);
  expect(errors).toEqual([]);
});

test("the audit log filters by kind of change and downloads the same entries as CSV", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, ADMIN);
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  const table = page.getByTestId("audit-table");
  await expect(table).toContainText("user.sign_in");
  await page.getByLabel("What").selectOption("token.");
  await expect(table.locator("tbody tr").first()).toContainText("token.");
  const actions = await table.locator("tbody tr td:nth-child(4)").allTextContents();
  expect(actions.length).toBeGreaterThanOrEqual(2);
  expect(actions.every((a) => a.startsWith("token."))).toBe(true);
  const href = await page.getByRole("link", { name: "Download as CSV" }).getAttribute("href");
  expect(href).toContain("action=token.");
  const csv = await (await page.request.get(href ?? "")).text();
  expect(csv.split("\n")[0]).toBe("occurred_at,actor,source_addr,action,target,detail");
  expect(csv).toContain("token.created");
  expect(csv).toContain("token.revoked");
  expect(csv).not.toContain("provider.created");
  expect(errors).toEqual([]);
});

test("a page on another site can neither change anything nor open the live channel", async ({ page, context }) => {
  await signIn(page, ADMIN);
  const before = await (await page.request.post("/api/providers/list", { headers: { origin: BASE } })).json();
  // Another site: the moto server's origin, in the same browser with Ferry's cookie.
  const elsewhere = process.env.FERRY_E2E_MOTO_ENDPOINT ?? "http://127.0.0.1:9";
  const attacker = await context.newPage();
  await attacker.goto(elsewhere);
  const outcome = await attacker.evaluate(async (ferry) => {
    const form = new URLSearchParams({ "form[name]": "Planted", "form[kind]": "local", "form[root]": "/tmp" });
    await fetch(`${ferry}/api/providers/save`, { method: "POST", body: form, credentials: "include", mode: "no-cors" }).catch(() => {});
    const socket = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${ferry.replace("http", "ws")}/ws`);
      ws.onopen = () => resolve("open");
      ws.onerror = () => resolve("refused");
      setTimeout(() => resolve("timeout"), 5000);
    });
    return socket;
  }, BASE);
  expect(outcome).toBe("refused");
  const after = await (await page.request.post("/api/providers/list", { headers: { origin: BASE } })).json();
  expect(after.length).toBe(before.length);
  expect(after.some((p: any) => p.name === "Planted")).toBe(false);
  // The same request from Ferry's own origin but forged by a tool without it is refused too.
  const forged = await page.request.post("/api/providers/save", {
    headers: { origin: "http://evil.example" },
    data: { form: { name: "Planted", kind: "local", root: "/tmp" } },
  });
  expect(forged.status()).toBe(403);
});
