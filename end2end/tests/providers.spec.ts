import { expect, test, type Page } from "@playwright/test";
import { ADMIN, VIEWER, signIn, signOut, waitForHydration, watchErrors } from "./helpers";

// Runs after console.spec.ts, which creates the administrator and the viewer.
// scripts/e2e.sh starts a real S3 server (s3s-fs) with one bucket and makes a folder.
const OPERATOR = { username: "otto", password: "operator password 1" };
const S3 = {
  endpoint: process.env.FERRY_E2E_S3_ENDPOINT ?? "",
  bucket: process.env.FERRY_E2E_S3_BUCKET ?? "",
  accessKey: process.env.FERRY_E2E_S3_ACCESS_KEY ?? "",
  secret: process.env.FERRY_E2E_S3_SECRET_KEY ?? "",
};
const LOCAL_ROOT = process.env.FERRY_E2E_LOCAL_ROOT ?? "";

test.describe.configure({ mode: "serial" });

async function openNewProvider(page: Page) {
  await page.goto("/providers");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Add provider" }).click();
  await expect(page.getByRole("heading", { name: "Add a provider" })).toBeVisible();
  return page.getByRole("form", { name: "Provider settings" });
}

async function fillS3(form: ReturnType<Page["getByRole"]>, name: string, secret: string) {
  await form.getByLabel("Kind").selectOption("s3");
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Service address (endpoint)").fill(S3.endpoint);
  await form.getByLabel("Bucket", { exact: true }).fill(S3.bucket);
  await form.getByLabel("Access key id").fill(S3.accessKey);
  await form.getByLabel("Secret access key").fill(secret);
}

test("an administrator adds an operator", async ({ page }) => {
  expect(S3.endpoint, "scripts/e2e.sh sets FERRY_E2E_S3_ENDPOINT").not.toBe("");
  await signIn(page, ADMIN);
  await page.goto("/users");
  await waitForHydration(page);
  const form = page.getByRole("form", { name: "Add a user" });
  await form.getByLabel("Username").fill(OPERATOR.username);
  await form.getByLabel("Role").selectOption("operator");
  await form.getByLabel("Password", { exact: true }).fill(OPERATOR.password);
  await form.getByLabel("Repeat the password").fill(OPERATOR.password);
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("status")).toHaveText("Added otto as Operator.");
});

test("an operator adds a local folder and an S3 bucket, each passing Test connection", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, OPERATOR);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Providers" }).click();
  await expect(page.getByRole("heading", { name: "No providers yet" })).toBeVisible();

  // A local folder.
  let form = await openNewProvider(page);
  await form.getByLabel("Kind").selectOption("local");
  await form.getByLabel("Name", { exact: true }).fill("Scans folder");
  await form.getByLabel("Folder path").fill(LOCAL_ROOT);
  await form.getByRole("button", { name: "Test connection" }).click();
  let result = page.getByRole("region", { name: "Connection test result" });
  await expect(result.getByRole("heading", { name: "Connection works" })).toBeVisible();
  await expect(result).toContainText("Read it back");
  await expect(result).toContainText("SHA-256 matches");
  await form.getByRole("button", { name: "Save provider" }).click();
  await expect(page).toHaveURL(/\/providers$/);
  await expect(page.getByRole("row", { name: "Provider Scans folder" })).toContainText(LOCAL_ROOT);

  // An S3 bucket on the test server.
  form = await openNewProvider(page);
  await fillS3(form, "Archive bucket", S3.secret);
  await form.getByRole("button", { name: "Test connection" }).click();
  result = page.getByRole("region", { name: "Connection test result" });
  await expect(result.getByRole("heading", { name: "Connection works" })).toBeVisible();
  await expect(result).toContainText("Write a probe object");
  await expect(result).toContainText("Delete it");
  await form.getByRole("button", { name: "Save provider" }).click();
  await expect(page).toHaveURL(/\/providers$/);
  const row = page.getByRole("row", { name: "Provider Archive bucket" });
  await expect(row).toContainText(`${S3.bucket}/ at ${S3.endpoint}`);
  await expect(row.getByTestId("provider-health")).toHaveText("Not checked yet");
  await waitForHydration(page);
  await row.getByRole("button", { name: "Check Archive bucket now" }).click();
  await expect(row.getByTestId("provider-health")).toHaveText("Healthy");
  expect(errors).toEqual([]);
});

test("a wrong secret fails clearly, and bad input is refused field by field without saving", async ({ page }) => {
  await signIn(page, OPERATOR);
  const form = await openNewProvider(page);
  await fillS3(form, "Archive again", "not-the-right-secret-at-all");
  await form.getByRole("button", { name: "Test connection" }).click();
  const result = page.getByRole("region", { name: "Connection test result" });
  await expect(result.getByRole("heading", { name: "Connection failed" })).toBeVisible();
  await expect(result.getByTestId("test-problem")).toContainText("access key or");
  await expect(result.getByTestId("test-problem")).toContainText("secret");
  await expect(result).not.toContainText("not-the-right-secret");

  // A cloud metadata address, a bad bucket name and a taken name, all at once.
  await form.getByLabel("Name", { exact: true }).fill("archive BUCKET");
  await form.getByLabel("Service address (endpoint)").fill("http://0xA9FEA9FE");
  await form.getByLabel("Bucket", { exact: true }).fill("Bad_Bucket");
  await form.getByRole("button", { name: "Save provider" }).click();
  await expect(page.locator("#endpoint-error")).toContainText("metadata");
  await expect(page.locator("#bucket-error")).toContainText("bucket name");
  await expect(page).toHaveURL(/\/providers\/new$/);
  // What was typed is still there.
  await expect(form.getByLabel("Bucket", { exact: true })).toHaveValue("Bad_Bucket");
  await expect(form.getByLabel("Access key id")).toHaveValue(S3.accessKey);

  // Fixing those leaves the name clash, reported on the name field.
  await form.getByLabel("Service address (endpoint)").fill(S3.endpoint);
  await form.getByLabel("Bucket", { exact: true }).fill(S3.bucket);
  await form.getByRole("button", { name: "Save provider" }).click();
  await expect(page.locator("#name-error")).toContainText("already called");

  await page.goto("/providers");
  await expect(page.getByRole("row", { name: /^Provider / })).toHaveCount(2);
});

test("editing keeps the stored secret; a viewer sees providers but no controls", async ({ page, request }) => {
  await signIn(page, OPERATOR);
  await page.goto("/providers");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Edit Archive bucket" }).click();
  await expect(page.getByRole("heading", { name: "Provider “Archive bucket”" })).toBeVisible();
  await waitForHydration(page);
  const form = page.getByRole("form", { name: "Provider settings" });
  const secret = form.getByLabel("Secret access key");
  await expect(secret).toHaveValue("");
  await expect(secret).toHaveAttribute("placeholder", "set — replace?");
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByRole("region", { name: "Connection test result" }).getByRole("heading", { name: "Connection works" })).toBeVisible();
  // The secret never reaches the browser, not even in the page's data.
  expect(await page.content()).not.toContain(S3.secret);
  await signOut(page);

  await signIn(page, VIEWER);
  await page.goto("/providers");
  await waitForHydration(page);
  await expect(page.getByRole("row", { name: "Provider Archive bucket" })).toBeVisible();
  await expect(page.getByRole("row", { name: "Provider Scans folder" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Add provider" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Delete|Disable|Check) / })).toHaveCount(0);
  await expect(page.getByRole("columnheader", { name: "Actions" })).toHaveCount(0);

  // The server refuses a viewer's change even when called directly.
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "ferry_session");
  const listed = await request.post("/api/providers/list", {
    headers: { cookie: `ferry_session=${session?.value}`, origin: new URL(page.url()).origin },
  });
  expect(listed.status()).toBe(200);
  const providers = await listed.json();
  expect(JSON.stringify(providers)).not.toContain(S3.secret);
  const id = providers.find((p: { name: string }) => p.name === "Archive bucket").id;
  const res = await request.post("/api/providers/delete", {
    headers: { cookie: `ferry_session=${session?.value}`, origin: new URL(page.url()).origin },
    form: { id },
  });
  expect(res.status()).toBe(403);
});
