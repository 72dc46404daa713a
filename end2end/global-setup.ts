import { BASE_URL } from "./playwright.config";

// Wait (at most 60 s) until Ferry answers its liveness probe.
export default async function globalSetup(): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${BASE_URL}/healthz`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Ferry did not answer at ${BASE_URL}/healthz within 60 s (${last})`);
}
