/** The Exports page: a running export's bar follows the workflow's progress (the single-export
 * answer), a finished one offers its download; the orders page's Export starts an orders export
 * with the list's filters. */

import { fireEvent, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { exportPercent, type ExportRow } from "../../api/exports";
import { fakeApi } from "../../test/api";
import { renderApp } from "../../test/render";

afterEach(() => vi.unstubAllGlobals());

const SHOP = { id: 1, eshop_id: 111, name: "Alpha shop", url: null, status: "active", role: "manager",
  installed_at: null, token_expires_at: null, token_refreshed_at: null, last_sync_at: null, sync: [] };

const row = (over: Partial<ExportRow>): ExportRow => ({
  id: "e1", kind: "order_items", format: "csv", filters: {}, status: "done", rows_done: 10,
  rows_estimate: 10, file_size: 100, error: null, created_at: "2026-11-30T10:00:00+00:00",
  finished_at: "2026-11-30T10:01:00+00:00", expires_at: "2026-12-01T10:01:00+00:00", downloadable: true,
  ...over,
});

describe("exports page", () => {
  it("shows the running export's progress from its own answer and the finished one's download", async () => {
    fakeApi({
      "GET /api/shops": { body: [SHOP] },
      "GET /api/shops/1/exports": {
        body: [
          row({ id: "run", status: "running", rows_done: 0, rows_estimate: 1000, downloadable: false }),
          row({ download_url: "/api/exports/e1/file?expires=1764583260&sig=abc" }),
        ],
      },
      "GET /api/shops/1/exports/run": {
        body: row({ id: "run", status: "running", rows_done: 400, rows_estimate: 1000, downloadable: false }),
      },
    });
    renderApp("/shops/1/exports");
    const [running, done] = await screen.findAllByTestId("export-row");
    if (!running || !done) throw new Error("two export rows expected");
    expect(await within(running).findByText("400 of about 1,000 rows")).toBeInTheDocument();
    expect(within(running).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "40");
    const link = within(done).getByRole("link", { name: "Download" });
    expect(link).toHaveAttribute("href", "/api/exports/e1/file?expires=1764583260&sig=abc");
  });

  it("exports the orders as filtered from the orders page", async () => {
    const api = fakeApi({
      "GET /api/shops": { body: [SHOP] },
      "GET /api/shops/1/counts": { body: { orders: 1, customers: 0, products: 0 } },
      "GET /api/shops/1/orders": { body: { items: [], next_cursor: null } },
      "GET /api/shops/1/orders/statuses": { body: [] },
      "POST /api/shops/1/exports": { status: 202, body: row({ status: "pending", downloadable: false }) },
      "GET /api/shops/1/exports": { body: [] },
    });
    renderApp("/shops/1/orders?status=-2");
    fireEvent.click(await screen.findByTestId("export-orders"));
    fireEvent.click(await screen.findByText("XLSX (Excel)"));
    await screen.findByText("Exports", { selector: "h2" });
    expect(api.callsTo("POST /api/shops/1/exports")[0]?.body).toEqual({
      kind: "orders", format: "xlsx", filters: { status_id: -2 },
    });
  });
});

describe("exportPercent", () => {
  it("caps at 99 until done, since the total is an estimate", () => {
    expect(exportPercent(row({ status: "running", rows_done: 2000, rows_estimate: 1000 }))).toBe(99);
    expect(exportPercent(row({ status: "running", rows_done: 1, rows_estimate: null }))).toBe(0);
    expect(exportPercent(row({}))).toBe(100);
  });
});
