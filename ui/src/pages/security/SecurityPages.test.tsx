/** The API tokens page (create shows the token once, revoke, password change) and the admins'
 * audit log (rows, the action filter, Czech). */

import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, ME, problem } from "../../test/api";
import { renderApp } from "../../test/render";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

const TOKEN = {
  id: 7, name: "stock script", created_at: "2026-11-01T10:00:00Z", last_used_at: null,
  expires_at: "2027-01-30T10:00:00Z", revoked_at: null, state: "active",
};

describe("API tokens", () => {
  it("creates a token with a name and expiry and shows it once", async () => {
    const fake = fakeApi({
      "GET /api/auth/tokens": { body: [] },
      "POST /api/auth/tokens": { status: 201, body: { id: 8, name: "export", token: "s3cr3t-token", expires_at: null } },
    });
    renderApp("/tokens");
    await screen.findByText("You have no API tokens.");
    fireEvent.change(screen.getByTestId("token-name"), { target: { value: " export " } });
    fireEvent.click(screen.getByTestId("token-create"));
    expect(await screen.findByTestId("new-token-value")).toHaveTextContent("s3cr3t-token");
    expect(fake.callsTo("POST /api/auth/tokens")[0]?.body).toEqual({ name: "export", days: 90 });
    await waitFor(() => expect(fake.callsTo("GET /api/auth/tokens")).toHaveLength(2));
  });

  it("revokes an active token and shows the API's problem when it fails", async () => {
    const fake = fakeApi({
      "GET /api/auth/tokens": { body: [TOKEN, { ...TOKEN, id: 6, name: "old", state: "revoked" }] },
      "DELETE /api/auth/tokens/7": problem(404, "Token not found", "You have no API token 7."),
    });
    renderApp("/tokens");
    const rows = await screen.findAllByTestId("token-row");
    expect(within(rows[1]!).queryByRole("button", { name: "Revoke" })).toBeNull();
    fireEvent.click(within(rows[0]!).getByRole("button", { name: "Revoke" }));
    expect(await screen.findByText("You have no API token 7.")).toBeInTheDocument();
    expect(fake.callsTo("DELETE /api/auth/tokens/7")).toHaveLength(1);
  });

  it("changes the password and says the tokens were revoked", async () => {
    const fake = fakeApi({ "GET /api/auth/tokens": { body: [] }, "POST /api/auth/password": { status: 204 } });
    renderApp("/tokens");
    fireEvent.change(await screen.findByLabelText(/Current password/), { target: { value: "old-password" } });
    fireEvent.change(screen.getByLabelText(/New password/), { target: { value: "a-new-long-password" } });
    fireEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText(/API tokens were revoked/)).toBeInTheDocument();
    expect(fake.callsTo("POST /api/auth/password")[0]?.body).toEqual({
      current_password: "old-password",
      new_password: "a-new-long-password",
    });
  });
});

describe("audit log", () => {
  const EVENT = {
    id: 3, at: "2026-12-01T08:00:00Z", action: "signin.failure", success: false, user_id: null,
    actor_email: "who@example.com", ip: "10.0.0.9", detail: { lockout_seconds: 30 },
  };

  it("lists events for an admin, in Czech too", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    fakeApi({
      "GET /api/auth/me": { body: { ...ME, role: "admin", locale: "cs" } },
      "GET /api/admin/audit-events": { body: { items: [EVENT], next_cursor: null } },
    });
    renderApp("/admin/audit-log");
    const row = await screen.findByTestId("audit-row");
    expect(row).toHaveTextContent("who@example.com");
    expect(row).toHaveTextContent("neúspěch");
    expect(screen.getByRole("heading", { name: "Auditní záznam" })).toBeInTheDocument();
  });

  it("shows the API's refusal to a member", async () => {
    fakeApi({ "GET /api/admin/audit-events": problem(403, "Forbidden", "This page needs the admin role.") });
    renderApp("/admin/audit-log");
    expect(await screen.findByText("This page needs the admin role.")).toBeInTheDocument();
  });
});
