/** A fake of the browser's fetch for component tests: answers by "METHOD /path", records every call. */

import { vi } from "vitest";

export type Answer = { status?: number; body?: unknown; delayMs?: number };
export type Handler = Answer | ((url: URL, init: RequestInit | undefined) => Answer | Promise<Answer>);

export type FakeApi = {
  calls: { method: string; url: URL; body: unknown }[];
  set: (route: string, handler: Handler) => void;
  callsTo: (route: string) => { method: string; url: URL; body: unknown }[];
};

export const ME = {
  id: 1,
  email: "merchant@example.com",
  display_name: "Merchant",
  role: "member",
  locale: "en",
  shops: [
    { id: 1, name: "Alpha shop", eshop_id: 111, role: "manager" },
    { id: 2, name: "Beta shop", eshop_id: 222, role: "viewer" },
  ],
};

export function problem(status: number, title: string, detail?: string, extra: object = {}): Answer {
  return { status, body: { type: "about:blank", title, status, ...(detail ? { detail } : {}), ...extra } };
}

/** JSON bodies as objects; anything else (a CSV upload) as its text. */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Installs the fake; unknown routes answer like the real API does for a route that is not there. */
export function fakeApi(routes: Record<string, Handler> = {}): FakeApi {
  const table = new Map<string, Handler>(Object.entries({ "GET /api/auth/me": { body: ME }, ...routes }));
  const calls: FakeApi["calls"] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://ui.test");
    const method = (init?.method ?? "GET").toUpperCase();
    calls.push({ method, url, body: init?.body ? parseBody(String(init.body)) : undefined });
    const handler =
      table.get(`${method} ${url.pathname}`) ??
      problem(404, "Not found", `No API route ${url.pathname}.`);
    const answer = typeof handler === "function" ? await handler(url, init) : handler;
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    const status = answer.status ?? 200;
    const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
    return new Response(status === 204 ? null : text, {
      status,
      headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json" },
    });
  });
  vi.stubGlobal("fetch", fetchMock);
  return {
    calls,
    set: (route, handler) => table.set(route, handler),
    callsTo: (route) => {
      const [method, path] = route.split(" ");
      return calls.filter((c) => c.method === method && c.url.pathname === path);
    },
  };
}
