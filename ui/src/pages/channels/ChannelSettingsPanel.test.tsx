/** The shop settings page's Sales channels section: connections with interval and push state,
 * the owner edits them with the same form (PATCH of what changed), others only read; Czech. */

import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, ME } from "../../test/api";
import { renderApp } from "../../test/render";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

const CONNECTION = {
  id: 7, kind: "woocommerce", name: "Woo e-shop", base_url: "https://woo.example.cz", key_hint: "abcd",
  status: "active", last_error: null, last_error_at: null, last_sync_at: null, orders_cursor: null,
  orders_imported: 0, created_at: "2026-11-01T10:00:00Z",
  sync_interval_minutes: 30, stock_push_enabled: false, catalog_push_enabled: true,
};
const OWNER = { ...ME, shops: [{ ...ME.shops[0], role: "owner" }] };

function api(extra = {}) {
  return fakeApi({
    "GET /api/shops/1/settings": { body: { items: [] } },
    "GET /api/shops/1/channels": { body: [CONNECTION] },
    ...extra,
  });
}

describe("channel settings on the shop settings page", () => {
  it("lets the owner change a connection's interval", async () => {
    const fake = api({
      "GET /api/auth/me": { body: OWNER },
      "PATCH /api/shops/1/channels/7": { body: { ...CONNECTION, sync_interval_minutes: 120 } },
    });
    renderApp("/shops/1/settings");
    const row = await screen.findByTestId("channel-settings-row");
    expect(row).toHaveTextContent("every 30 min");
    expect(row).toHaveTextContent("stock push off");
    expect(row).toHaveTextContent("prices pushed");
    fireEvent.click(within(row).getByRole("button", { name: "Settings Woo e-shop" }));
    fireEvent.change(await screen.findByLabelText("Sync every (minutes)"), { target: { value: "120" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(fake.callsTo("PATCH /api/shops/1/channels/7")).toHaveLength(1));
    expect(fake.callsTo("PATCH /api/shops/1/channels/7")[0]?.body).toEqual({ sync_interval_minutes: 120 });
  });

  it("shows others the settings without the form, in Czech", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    api();
    renderApp("/shops/1/settings");
    const panel = await screen.findByTestId("channel-settings-panel");
    expect(await within(panel).findByTestId("channel-settings-row")).toHaveTextContent("každých 30 min");
    expect(panel).toHaveTextContent("Nastavení kanálu může měnit jen vlastník obchodu.");
    expect(within(panel).queryByRole("button", { name: /Nastavení/ })).not.toBeInTheDocument();
  });
});
