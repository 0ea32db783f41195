/** Pages render loading, empty and error states (with the API's problem message), and scope shops. */

import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ME, fakeApi, problem } from "../test/api";
import { renderApp } from "../test/render";

afterEach(() => vi.unstubAllGlobals());

const SHOP = {
  id: 1,
  eshop_id: 111,
  name: "Alpha shop",
  url: "https://alpha.example",
  status: "active",
  role: "manager",
  installed_at: "2024-01-02T10:00:00+00:00",
  token_expires_at: "2999-01-01T00:00:00+00:00",
  token_refreshed_at: "2024-01-02T10:00:00+00:00",
  last_sync_at: null,
  sync: [{ resource: "orders", last_success_at: null, last_error: "Shoptet answered 500" }],
};

describe("sign-in", () => {
  it("sends an unknown caller to the sign-in page and shows the API's refusal", async () => {
    fakeApi({
      "GET /api/auth/me": problem(401, "Not signed in"),
      "POST /api/auth/login": problem(401, "Sign-in failed", "Wrong e-mail or password."),
    });
    renderApp("/shops");
    fireEvent.change(await screen.findByLabelText(/E-mail/), { target: { value: "a@b.cz" } });
    fireEvent.change(screen.getByLabelText(/Password/), { target: { value: "nope" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("Wrong e-mail or password.")).toBeInTheDocument();
  });
});

describe("shops page", () => {
  it("shows loading, then the shop with token and sync state", async () => {
    fakeApi({
      "GET /api/shops": { body: [SHOP], delayMs: 50 },
      "GET /api/shops/1/counts": { body: { orders: 12345, customers: 3, products: 4 } },
    });
    renderApp("/shops");
    expect(await screen.findByTestId("loading-state")).toBeInTheDocument();
    const card = await screen.findByTestId("shop-card");
    expect(within(card).getByText("Alpha shop")).toBeInTheDocument();
    expect(within(card).getByTestId("token-state")).toHaveAttribute("data-state", "valid");
    expect(within(card).getByText("Shoptet answered 500")).toBeInTheDocument();
    expect(await within(card).findByText(/12,345 orders/)).toBeInTheDocument();
  });

  it("shows the empty state", async () => {
    fakeApi({ "GET /api/shops": { body: [] } });
    renderApp("/shops");
    expect(await screen.findByTestId("empty-state")).toHaveTextContent(/no shops yet/);
  });

  it("shows the API's problem message on error", async () => {
    fakeApi({ "GET /api/shops": problem(503, "Database unavailable", "PostgreSQL did not answer within 5 s.") });
    renderApp("/shops");
    const alert = await screen.findByTestId("error-state", {}, { timeout: 5000 });
    expect(alert).toHaveTextContent("PostgreSQL did not answer within 5 s.");
  });
});

describe("shop scoping", () => {
  it("shows not found for a shop the caller does not have, and the switcher lists only theirs", async () => {
    fakeApi();
    renderApp("/shops/3/orders");
    expect(await screen.findByTestId("not-found")).toHaveTextContent("There is no shop 3 among yours.");
    fireEvent.click(screen.getByRole("textbox", { name: "Shop" }));
    const options = await screen.findAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual(["Alpha shop", "Beta shop"]);
  });
});

describe("pages whose endpoint is missing", () => {
  it.each([
    ["/shops/1/snapshot-runs", "No API route /api/shops/1/snapshot-runs."],
    ["/shops/1/webhook-events", "No API route /api/shops/1/webhook-events."],
    ["/shops/1/orders", "No API route /api/shops/1/orders."],
    ["/shops/1/settings", "No API route /api/shops/1/settings."],
  ])("%s shows the problem message", async (path, message) => {
    fakeApi({ "GET /api/shops/1/counts": { body: { orders: 0, customers: 0, products: 0 } } });
    renderApp(path);
    expect(await screen.findByText(message)).toBeInTheDocument();
  });
});

describe("snapshot runs", () => {
  const RUN = {
    id: 5,
    shop_id: 1,
    resource: "orders",
    workflow_id: "snapshot:1:orders:x",
    temporal_url: "http://127.0.0.1:8233/namespaces/default/workflows/snapshot:1:orders:x",
    status: "running",
    phase: "ingesting",
    trigger: "api",
    job_id: "j1",
    total_lines: 1000,
    processed_lines: 400,
    rows_upserted: 400,
    rejected_lines: 0,
    rate_lines_per_s: "200",
    eta_seconds: "3",
    percent: 40,
    attempt: 1,
    retry_of: null,
    error: null,
    requested_at: "2024-01-01T10:00:00+00:00",
    started_at: "2024-01-01T10:00:01+00:00",
    finished_at: null,
  };

  it("polls a running run every 2 s until it completes", async () => {
    const answers = [RUN, { ...RUN, status: "completed", phase: "done", processed_lines: 1000, percent: 100 }];
    const api = fakeApi({ "GET /api/snapshot-runs/5": () => ({ body: answers.shift() ?? answers[0] }) });
    renderApp("/shops/1/snapshot-runs/5");
    expect(await screen.findByTestId("run-percent")).toHaveTextContent("40%");
    expect(screen.getByTestId("run-rate")).toHaveTextContent("200 lines/s");
    expect(screen.getByTestId("run-eta")).toHaveTextContent("ETA 3 secs");
    expect(screen.getByTestId("temporal-link")).toHaveAttribute("href", RUN.temporal_url);
    await waitFor(() => expect(screen.getByTestId("run-percent")).toHaveTextContent("100%"), { timeout: 4000 });
    const polled = api.callsTo("GET /api/snapshot-runs/5").length;
    await new Promise((resolve) => setTimeout(resolve, 2300));
    expect(api.callsTo("GET /api/snapshot-runs/5").length).toBe(polled);
  }, 10_000);

  it("offers Retry for a failed run and opens the new run", async () => {
    const failed = { ...RUN, status: "failed", error: "Shoptet job failed", percent: null };
    const api = fakeApi({
      "GET /api/snapshot-runs/5": { body: failed },
      "POST /api/snapshot-runs/5/retry": { status: 202, body: { ...RUN, id: 6, retry_of: 5, status: "pending", percent: null, processed_lines: 0 } },
      "GET /api/snapshot-runs/6": { body: { ...RUN, id: 6, retry_of: 5 } },
    });
    renderApp("/shops/1/snapshot-runs/5");
    expect(await screen.findByTestId("run-error")).toHaveTextContent("Shoptet job failed");
    fireEvent.click(screen.getByTestId("retry-run"));
    expect(await screen.findByText("Snapshot run 6")).toBeInTheDocument();
    expect(api.callsTo("POST /api/snapshot-runs/5/retry")).toHaveLength(1);
  });

  it("shows rejects with line number, reason and raw text", async () => {
    fakeApi({
      "GET /api/snapshot-runs/5": { body: { ...RUN, status: "completed_with_rejects", rejected_lines: 1, percent: 100 } },
      "GET /api/snapshot-runs/5/rejects": {
        body: { items: [{ line_no: 17, raw: '{"code": "X', reason: "invalid JSON", created_at: RUN.requested_at }], next_cursor: null },
      },
    });
    renderApp("/shops/1/snapshot-runs/5");
    const rejects = await screen.findByTestId("rejects");
    expect(within(rejects).getByText("17")).toBeInTheDocument();
    expect(within(rejects).getByText("invalid JSON")).toBeInTheDocument();
    expect(within(rejects).getByText('{"code": "X')).toBeInTheDocument();
  });

  it("filters the list by status chip", async () => {
    const api = fakeApi({ "GET /api/shops/1/snapshot-runs": { body: { items: [], next_cursor: null } } });
    renderApp("/shops/1/snapshot-runs");
    expect(await screen.findByTestId("empty-state")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("radio", { name: "failed" }));
    await waitFor(() =>
      expect(api.callsTo("GET /api/shops/1/snapshot-runs").some((c) => c.url.searchParams.get("status") === "failed")).toBe(true),
    );
  });
});

describe("settings", () => {
  it("shows a validation problem next to its setting", async () => {
    fakeApi({
      "GET /api/shops/1/settings": {
        body: { items: [{ key: "sync.interval_minutes", value: 5, default: 5, description: "Minutes between syncs.", type: "int" }] },
      },
      "PUT /api/shops/1/settings": problem(422, "Invalid setting", "sync.interval_minutes must be at least 1, got 0"),
    });
    renderApp("/shops/1/settings");
    const input = await screen.findByLabelText("sync.interval_minutes");
    fireEvent.change(input, { target: { value: "0" } });
    fireEvent.click(screen.getByTestId("save-settings"));
    expect(await screen.findByText("sync.interval_minutes must be at least 1, got 0")).toBeInTheDocument();
  });

  it("groups settings by area with Czech labels, units and help, and checks limits before sending", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    const setting = (key: string, area: string, unit: string, cs: string, extra: object = {}) => ({
      key, area, unit, value: 5, default: 5, description: "English help.", type: "int", scope: "shop", overridden: false,
      label: { en: `EN ${cs}`, cs }, help: { en: "English help.", cs: `Nápověda: ${cs}.` }, minimum: null, maximum: null, choices: [], ...extra,
    });
    const api = fakeApi({
      "GET /api/shops/1/settings": {
        body: {
          items: [
            setting("sync.interval_minutes", "sync", "minutes", "Interval synchronizace", { minimum: 1, maximum: 1440 }),
            setting("analytics.inventory.holding_cost_rate", "inventory", "share", "Roční náklady na skladování", { type: "float", value: 0.25, default: 0.25 }),
            setting("analytics.inventory.notify_severity", "inventory", "", "Upozornit od závažnosti", { type: "str", value: "medium", default: "medium", choices: ["low", "medium", "high"] }),
          ],
        },
      },
    });
    renderApp("/shops/1/settings");
    const areas = await screen.findAllByTestId("settings-area");
    expect(areas.map((a) => a.getAttribute("data-area"))).toEqual(["sync", "inventory"]);
    expect(within(areas[0]!).getByText("Data ze Shoptetu")).toBeInTheDocument();
    expect(within(areas[1]!).getByText("Plánování skladu")).toBeInTheDocument();
    expect(screen.queryByText("analytics.inventory.holding_cost_rate")).toBeNull(); // no raw key as a label
    expect(screen.getByText(/Nápověda: Roční náklady na skladování\. Výchozí: 0,25/)).toBeInTheDocument();
    expect(screen.getByText("= 25 %")).toBeInTheDocument();
    expect(screen.getByDisplayValue("0,25")).toBeInTheDocument(); // number inputs write Czech decimals
    expect(within(areas[0]!).getByText("min")).toBeInTheDocument();
    expect(screen.getByDisplayValue("střední")).toBeInTheDocument();

    const interval = screen.getByLabelText("Interval synchronizace");
    fireEvent.change(interval, { target: { value: "5000" } });
    expect(await screen.findByText("Nejvýše 1 440.")).toBeInTheDocument();
    expect(screen.getByTestId("save-settings")).toBeDisabled();
    expect(api.callsTo("PUT /api/shops/1/settings")).toHaveLength(0);
  });
});

describe("notifications and locale", () => {
  it("shows the unread count in the header and switches the UI to Czech", async () => {
    const unread = { id: 1, shop_id: 1, level: "warning", kind: "x", title: "Token refresh failed", body: null, data: {}, created_at: "2024-01-01T00:00:00Z", read_at: null };
    fakeApi({
      "GET /api/notifications": { body: { items: [unread, { ...unread, id: 2 }], next_cursor: null } },
      "GET /api/shops": { body: [] },
    });
    renderApp("/notifications");
    await waitFor(() => expect(screen.getByTestId("unread-badge")).toHaveAttribute("data-count", "2"));
    expect(await screen.findAllByText("Token refresh failed")).toHaveLength(2);
    fireEvent.click(screen.getByText("CS"));
    expect(await screen.findByRole("heading", { name: "Oznámení" })).toBeInTheDocument();
    expect(screen.getAllByRole("button", { name: "Označit jako přečtené" })).toHaveLength(2);
  });

  it("uses the profile's locale by default", async () => {
    fakeApi({ "GET /api/auth/me": { body: { ...ME, locale: "cs" } }, "GET /api/shops": { body: [] } });
    renderApp("/shops");
    expect(await screen.findByRole("heading", { name: "Obchody" })).toBeInTheDocument();
  });
});

describe("error without data", () => {
  it("shows only the error, not the empty state as well", async () => {
    fakeApi({ "GET /api/shops/1/webhook-events": problem(404, "Not found", "No API route /api/shops/1/webhook-events.") });
    renderApp("/shops/1/webhook-events");
    expect(await screen.findByTestId("error-state")).toBeInTheDocument();
    expect(screen.queryByTestId("empty-state")).not.toBeInTheDocument();
  });
});

describe("retry that was already done", () => {
  it("opens the run that retried it", async () => {
    const failed = {
      id: 5, shop_id: 1, resource: "orders", workflow_id: "w", temporal_url: null, status: "failed", phase: "waiting",
      trigger: "api", job_id: null, total_lines: null, processed_lines: 0, rows_upserted: 0, rejected_lines: 0,
      rate_lines_per_s: null, eta_seconds: null, percent: null, attempt: 1, retry_of: null, error: "boom",
      requested_at: "2024-01-01T00:00:00Z", started_at: null, finished_at: null,
    };
    fakeApi({
      "GET /api/snapshot-runs/5": { body: failed },
      "POST /api/snapshot-runs/5/retry": problem(409, "Already retried", "run 5 was retried as run 9.", { run_id: 9 }),
      "GET /api/snapshot-runs/9": { body: { ...failed, id: 9, status: "completed", retry_of: 5, error: null, percent: 100 } },
    });
    renderApp("/shops/1/snapshot-runs/5");
    fireEvent.click(await screen.findByTestId("retry-run"));
    expect(await screen.findByText("Snapshot run 9")).toBeInTheDocument();
    expect(screen.getByText("run 5 was retried as run 9.")).toBeInTheDocument();
  });
});

describe("marking notifications read", () => {
  it("posts the read and refreshes the list and the badge", async () => {
    let read = false;
    const item = { id: 7, shop_id: 1, level: "critical", kind: "backup", title: "Backup failed", body: "pg_dump exited 1", data: {}, created_at: "2024-01-01T00:00:00Z", read_at: null };
    const api = fakeApi({
      "GET /api/notifications": (url) => {
        const unreadOnly = url.searchParams.get("unread") === "true";
        const current = read ? { ...item, read_at: "2024-01-02T00:00:00Z" } : item;
        return { body: { items: unreadOnly && read ? [] : [current], next_cursor: null } };
      },
      "POST /api/notifications/7/read": () => {
        read = true;
        return { status: 204 };
      },
    });
    renderApp("/notifications");
    await waitFor(() => expect(screen.getByTestId("unread-badge")).toHaveAttribute("data-count", "1"));
    fireEvent.click(await screen.findByRole("button", { name: "Mark read" }));
    await waitFor(() => expect(screen.getByTestId("notification")).toHaveAttribute("data-read", "yes"));
    await waitFor(() => expect(screen.getByTestId("unread-badge")).toHaveAttribute("data-count", "0"));
    expect(api.callsTo("POST /api/notifications/7/read")).toHaveLength(1);
  });
});

describe("the locale comes from the profile at sign-in", () => {
  it("a Czech profile sees Czech right after signing in, whatever this browser chose before", async () => {
    window.localStorage.setItem("shopops.locale", "en");
    let signedIn = false;
    const api = fakeApi({
      "GET /api/auth/me": () => (signedIn ? { body: { ...ME, locale: "cs" } } : problem(401, "Not signed in")),
      "POST /api/auth/login": () => {
        signedIn = true;
        return { body: { ...ME, locale: "cs" } };
      },
      "PATCH /api/auth/me": { body: { ...ME, locale: "en" } },
      "GET /api/shops": { body: [SHOP] },
    });
    renderApp("/shops");
    fireEvent.change(await screen.findByLabelText(/E-mail/), { target: { value: "jana@example.cz" } });
    fireEvent.change(screen.getByLabelText(/Password/), { target: { value: "secret" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Obchody" })).toBeInTheDocument();
    expect(window.localStorage.getItem("shopops.locale")).toBeNull();

    fireEvent.click(screen.getByText("EN"));
    expect(await screen.findByRole("heading", { name: "Shops" })).toBeInTheDocument();
    await waitFor(() => expect(api.callsTo("PATCH /api/auth/me")).toHaveLength(1));
    expect(api.callsTo("PATCH /api/auth/me")[0]?.body).toEqual({ locale: "en" });
  });

  it("the sign-in page follows the browser's language before anyone signs in", async () => {
    vi.spyOn(window.navigator, "languages", "get").mockReturnValue(["cs-CZ", "en"]);
    fakeApi({ "GET /api/auth/me": problem(401, "Not signed in") });
    renderApp("/shops");
    expect(await screen.findByRole("heading", { name: "Přihlášení do shopops" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Přihlásit" })).toBeInTheDocument();
    vi.restoreAllMocks();
  });
});
