/** Render the real app (providers and routes) at a URL, as a signed-in browser would see it. */

import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router-dom";

import { makeQueryClient } from "../api/queryClient";
import { AppProviders, AppRoutes } from "../App";

export function renderApp(path: string) {
  const client = makeQueryClient();
  const result = render(
    <MemoryRouter initialEntries={[path]}>
      <AppProviders client={client} env="test">
        <AppRoutes />
      </AppProviders>
    </MemoryRouter>,
  );
  return { ...result, client };
}

/** Render one component inside the app's providers (no routes). */
export function renderWithProviders(ui: ReactElement, path = "/") {
  const client = makeQueryClient();
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AppProviders client={client} env="test">{ui}</AppProviders>
    </MemoryRouter>,
  );
}
