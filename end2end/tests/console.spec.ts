import { expect, test } from "@playwright/test";
import { ADMIN, VIEWER, signIn, signOut, waitForHydration, watchErrors } from "./helpers";

// One story, in order: the first test performs first-run setup on an empty Ferry.
test.describe.configure({ mode: "serial" });

test("first run asks for an administrator and refuses bad input field by field", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "Welcome to Ferry" })).toBeVisible();

  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Repeat the password").fill("short");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.locator("#password-error")).toHaveText("Use at least 10 characters for the password.");
  await expect(page).toHaveURL(/\/setup$/);

  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Repeat the password").fill("something else entirely");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.locator("#confirm-error")).toContainText("differ");

  await page.getByLabel("Username").fill("bad name!");
  await page.getByLabel("Repeat the password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.locator("#username-error")).toContainText("Use only letters");

  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("signed-in-user")).toContainText("admin");
  await expect(page.getByTestId("count-admins")).toHaveText("1");
  expect(errors).toEqual([]);
});

test("setup is one-time: afterwards it sends people to sign in", async ({ page }) => {
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login$/);
});

test("sign out, a wrong password and an unknown user get the same refusal, then sign in", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, ADMIN);
  await signOut(page);

  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  const refusal = page.locator("#password-error");
  await expect(refusal).toHaveText("Wrong username or password.");

  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Username").fill("nobody-here");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(refusal).toHaveText("Wrong username or password.");

  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  expect(errors).toEqual([]);
});

test("pages need a session, and sign-in returns to the page asked for", async ({ page }) => {
  await page.goto("/migrations");
  await expect(page).toHaveURL(/\/login\?next=%2Fmigrations$/);
  await waitForHydration(page);
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/migrations$/);
  await expect(page.getByRole("heading", { name: "Migrations", level: 1 })).toBeVisible();
});

test("every navigation entry renders after hydration without reloading the page", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, ADMIN);
  await waitForHydration(page);
  // A marker on window survives client-side navigation and dies with a reload.
  await page.evaluate(() => ((window as any).__ferry_marker = "still here"));
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [link, heading, path] of [
    ["Providers", "Providers", "/providers"],
    ["Migrations", "Migrations", "/migrations"],
    ["Documents", "Documents", "/documents"],
    ["Users", "Users", "/users"],
    ["Settings", "Settings", "/settings"],
    ["Dashboard", "Dashboard", "/"],
  ]) {
    await nav.getByRole("link", { name: link }).click();
    await expect(page).toHaveURL(new RegExp(`${path === "/" ? "/$" : path + "$"}`));
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    await expect(nav.getByRole("link", { name: link })).toHaveAttribute("aria-current", "page");
    expect(await page.evaluate(() => (window as any).__ferry_marker)).toBe("still here");
  }
  expect(errors).toEqual([]);
});

test("the dashboard's live value changes without a reload", async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page.locator("#live-status")).toHaveAttribute("data-state", "live");
  await page.evaluate(() => ((window as any).__ferry_marker = "same page"));
  const seq = page.locator("#live-seq");
  await expect(seq).not.toHaveText("0");
  const first = Number(await seq.textContent());
  await expect.poll(async () => Number(await seq.textContent()), { timeout: 10_000 }).toBeGreaterThan(first);
  await expect(page.locator("#live-clock")).toHaveText(/^\d\d:\d\d:\d\d UTC$/);
  expect(await page.evaluate(() => (window as any).__ferry_marker)).toBe("same page");
});

test("an administrator adds a viewer; the viewer sees users but cannot add one", async ({ page, request }) => {
  await signIn(page, ADMIN);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await waitForHydration(page);
  const form = page.getByRole("form", { name: "Add a user" });
  await form.getByLabel("Username").fill(VIEWER.username);
  await form.getByLabel("Role").selectOption("viewer");
  await form.getByLabel("Password", { exact: true }).fill(VIEWER.password);
  await form.getByLabel("Repeat the password").fill(VIEWER.password);
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("status")).toHaveText("Added vera as Viewer.");
  await expect(page.getByRole("cell", { name: "vera", exact: true })).toBeVisible();
  await signOut(page);

  await signIn(page, VIEWER);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByTestId("my-role")).toHaveText("Viewer");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("cell", { name: "admin", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: /^(Disable|Save the role)/ })).toHaveCount(0);
  await expect(page.getByRole("form", { name: "Add a user" })).toHaveCount(0);
  await expect(page.getByTestId("admin-only-note")).toBeVisible();

  // Calling the admin-only server function directly, with the viewer's session, is refused.
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "ferry_session");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Lax");
  const res = await request.post("/api/users/create", {
    headers: { cookie: `ferry_session=${session?.value}`, origin: new URL(page.url()).origin },
    form: { username: "mallory", password: "mallory password", confirm: "mallory password", role: "admin" },
  });
  expect(res.status()).toBe(403);
  expect(await res.text()).toContain("Forbidden");
});
