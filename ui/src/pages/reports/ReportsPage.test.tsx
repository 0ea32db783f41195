/** The Reports page: the newest week with its figures, summary and links in the viewer's
 * language, "generate now" for managers, and the empty state. */

import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi } from "../../test/api";
import { renderApp } from "../../test/render";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

const BASE = "/api/shops/1/reports";
const BRIEF = {
  id: 7, kind: "weekly_sales", period_start: "2026-11-23", period_end: "2026-11-30", revenue: "1350.00",
  orders: 3, currency: "CZK", summarized: true, emailed_to: 2, created_at: "2026-11-30T05:00:00Z",
};
const DATA = {
  revenue: "1350.00", orders: 3, average_order_value: "450.00", currency: "CZK", previous_revenue: "400.00",
  previous_orders: 1,
  daily: ["23", "24", "25", "26", "27", "28", "29"].map((d, i) => ({ day: `2026-11-${d}`, orders: i % 2, revenue: String(100 * i) })),
  channels: [{ channel: "shoptet", orders: 3, revenue: "1350.00" }],
  top_products: [{ code: "TRIKO", name: "Triko Žluťoučký kůň", quantity: "3.000", revenue: "899.50" }],
  at_risk_customers: [],
  stockouts: [{ code: "MIKINA", name: "Mikina", on_hand: "1.000", order_by: "2026-12-02", quantity: "5", supplier: null }],
};

function api(lang: string) {
  return fakeApi({
    [`GET ${BASE}`]: { body: [BRIEF] },
    [`GET ${BASE}/7`]: (url) => {
      expect(url.searchParams.get("lang")).toBe(lang);
      return { body: { ...BRIEF, data: DATA, summary: lang === "cs" ? "Dobrý týden." : "A good week." } };
    },
    [`POST ${BASE}/generate`]: { status: 202, body: { workflow_id: "reports:weekly:1:now", run_id: "r", started: true } },
  });
}

describe("reports page", () => {
  it("shows the newest week with its figures, summary and files, and generates one now", async () => {
    const fake = api("en");
    window.localStorage.setItem("shopops.locale", "en");
    renderApp("/shops/1/reports");
    expect(await screen.findByText("A good week.")).toBeInTheDocument();
    expect(screen.getByText("Triko Žluťoučký kůň")).toBeInTheDocument();
    expect(screen.getByText("Mikina")).toBeInTheDocument();
    expect(screen.getByText("E-mailed to 2")).toBeInTheDocument();
    expect(screen.getByText("Download PDF")).toHaveAttribute("href", `${BASE}/7/pdf?lang=en`);
    fireEvent.click(screen.getByRole("button", { name: "Generate now" }));
    await waitFor(() => expect(fake.callsTo(`POST ${BASE}/generate`)).toHaveLength(1));
    expect(await screen.findByText(/The report is being made/)).toBeInTheDocument();
  });

  it("speaks Czech to a Czech viewer and reads the report in Czech", async () => {
    api("cs");
    window.localStorage.setItem("shopops.locale", "cs");
    renderApp("/shops/1/reports");
    expect(await screen.findByText("Dobrý týden.")).toBeInTheDocument();
    expect(screen.getByText("Týdenní přehledy")).toBeInTheDocument();
    expect(screen.getByText("Nejprodávanější produkty")).toBeInTheDocument();
    expect(screen.getByText("Stáhnout PDF")).toHaveAttribute("href", `${BASE}/7/pdf?lang=cs`);
  });

  it("says when there is no report yet", async () => {
    fakeApi({ [`GET ${BASE}`]: { body: [] } });
    window.localStorage.setItem("shopops.locale", "en");
    renderApp("/shops/1/reports");
    expect(await screen.findByText(/No report yet/)).toBeInTheDocument();
  });
});
