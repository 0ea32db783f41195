/** Outgoing webhooks page: the secret is shown once after adding, the delivery log shows
 * response codes, and "Send again" replays a delivery. */

import { fireEvent, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi } from "../../test/api";
import { renderApp } from "../../test/render";

afterEach(() => vi.unstubAllGlobals());

const SHOP = { id: 1, eshop_id: 111, name: "Alpha shop", url: null, status: "active", role: "manager",
  installed_at: null, token_expires_at: null, token_refreshed_at: null, last_sync_at: null, sync: [] };
const ENDPOINT = { id: 7, url: "https://hooks.example/in", description: null, events: ["order.created"],
  enabled: false, disabled_reason: "5 deliveries in a row failed", consecutive_failures: 5,
  created_at: "2026-11-30T10:00:00+00:00" };
const DELIVERY = { id: 70, event: "order.created", event_id: "evt_1", status: "gave_up", attempts: 9,
  last_status_code: 503, last_error: "HTTP 503", replay_of: null, created_at: "2026-11-30T10:00:00+00:00",
  finished_at: "2026-12-01T10:00:00+00:00" };

describe("outgoing webhooks page", () => {
  it("shows the new endpoint's secret once, the delivery log, and replays a delivery", async () => {
    const api = fakeApi({
      "GET /api/shops": { body: [SHOP] },
      "GET /api/shops/1/webhook-endpoints": { body: [{ ...ENDPOINT, enabled: true, disabled_reason: null }] },
      "POST /api/shops/1/webhook-endpoints": { status: 201, body: { ...ENDPOINT, id: 8, secret: "whsec_abc" } },
      "GET /api/shops/1/webhook-endpoints/7/deliveries": { body: [DELIVERY] },
      "POST /api/shops/1/webhook-endpoints/7/deliveries/70/replay": { status: 202, body: { ...DELIVERY, id: 71, status: "pending" } },
    });
    renderApp("/shops/1/webhook-endpoints");
    fireEvent.change(await screen.findByLabelText("Endpoint URL"), { target: { value: "https://hooks.example/b" } });
    fireEvent.click(screen.getByRole("button", { name: "Add endpoint" }));
    expect(await screen.findByTestId("endpoint-secret")).toHaveTextContent("whsec_abc");
    expect(api.callsTo("POST /api/shops/1/webhook-endpoints")[0]?.body).toEqual({
      url: "https://hooks.example/b", events: ["order.created"],
    });

    fireEvent.click(screen.getByRole("button", { name: "Delivery log" }));
    const line = await screen.findByTestId("delivery-row");
    expect(within(line).getByText("503")).toBeInTheDocument();
    fireEvent.click(within(line).getByRole("button", { name: "Send again" }));
    await vi.waitFor(() => expect(api.callsTo("POST /api/shops/1/webhook-endpoints/7/deliveries/70/replay")).toHaveLength(1));
  });

  it("says why a disabled endpoint was switched off", async () => {
    fakeApi({
      "GET /api/shops": { body: [SHOP] },
      "GET /api/shops/1/webhook-endpoints": { body: [ENDPOINT] },
    });
    renderApp("/shops/1/webhook-endpoints");
    expect(await screen.findByText("Disabled: 5 deliveries in a row failed")).toBeInTheDocument();
  });
});
