import { expect, type Page } from "@playwright/test";

export const ADMIN = { username: "admin", password: "correct horse battery" };
export const VIEWER = { username: "vera", password: "viewer password 1" };

/** Fails the test on any uncaught page error (a broken hydration shows up here). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    // Refusals (4xx) are part of the story; the browser logs each one as an error.
    const refusal = /Failed to load resource: the server responded with a status of 4\d\d/;
    if (msg.type() === "error" && !refusal.test(msg.text())) errors.push(msg.text());
  });
  return errors;
}

/** Resolves once the wasm has hydrated the page (the live channel only starts then). */
export async function waitForHydration(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as any).__ferry_hydrated === true, null, { timeout: 20_000 });
}

export async function signIn(page: Page, who: { username: string; password: string }): Promise<void> {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Username").fill(who.username);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("signed-in-user")).toContainText(who.username);
  // Sign-in ends with a full page load: wait until that page has hydrated, or a
  // click on a busy machine may land on the server-rendered page before the wasm.
  await waitForHydration(page);
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await waitForHydration(page);
}
