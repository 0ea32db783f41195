import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, problem } from "../test/api";
import { ApiError, apiFetch, apiUrl } from "./client";

afterEach(() => vi.unstubAllGlobals());

describe("apiFetch", () => {
  it("returns the JSON body and sends the session cookie", async () => {
    const api = fakeApi({ "GET /api/shops": { body: [{ id: 1 }] } });
    await expect(apiFetch("/api/shops")).resolves.toEqual([{ id: 1 }]);
    const init = vi.mocked(fetch).mock.calls[0]?.[1];
    expect(init?.credentials).toBe("include");
    expect(api.calls).toHaveLength(1);
  });

  it("sends the CSRF cookie's token on state-changing calls only", async () => {
    document.cookie = "shopops_csrf=abc%2F123; path=/";
    fakeApi({ "POST /api/notifications/read-all": { status: 204 }, "GET /api/shops": { body: [] } });
    await apiFetch("/api/notifications/read-all", { method: "POST" });
    await apiFetch("/api/shops");
    const [post, get] = vi.mocked(fetch).mock.calls.map((call) => new Headers(call[1]?.headers));
    expect(post?.get("X-CSRF-Token")).toBe("abc/123");
    expect(get?.has("X-CSRF-Token")).toBe(false);
    document.cookie = "shopops_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
  });

  it("turns a problem body into an ApiError whose message is the detail", async () => {
    fakeApi({ "POST /api/auth/login": problem(401, "Sign-in failed", "Wrong e-mail or password.") });
    const error = await apiFetch("/api/auth/login", { method: "POST", body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).message).toBe("Wrong e-mail or password.");
  });

  it("falls back to the title when the problem has no detail", async () => {
    fakeApi({ "GET /api/settings": problem(403, "Forbidden") });
    await expect(apiFetch("/api/settings")).rejects.toThrow("Forbidden");
  });

  it("keeps extra problem members such as run_id", async () => {
    fakeApi({ "POST /api/shops/1/snapshot-runs": problem(409, "Already running", "A run is active.", { run_id: 7 }) });
    const error = (await apiFetch("/api/shops/1/snapshot-runs", { method: "POST", body: {} }).catch((e: unknown) => e)) as ApiError;
    expect(error.problem.run_id).toBe(7);
  });

  it("reports an unreachable API as a network error with advice", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(apiFetch("/api/shops")).rejects.toThrow(/could not be reached/);
  });

  it("answers undefined for 204", async () => {
    fakeApi({ "POST /api/auth/logout": { status: 204 } });
    await expect(apiFetch("/api/auth/logout", { method: "POST" })).resolves.toBeUndefined();
  });
});

describe("apiUrl", () => {
  it("drops empty params and encodes the rest", () => {
    expect(apiUrl("/api/x", { cursor: null, q: "a b", status: undefined, limit: 5, empty: "" })).toBe(
      "/api/x?q=a+b&limit=5",
    );
    expect(apiUrl("/api/x")).toBe("/api/x");
  });
});
