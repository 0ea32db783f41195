/** Providers and routes. Shop pages live under /shops/:shopId so the selected shop is in the URL. */

import { MantineProvider, MantineThemeProvider } from "@mantine/core";
import { DatesProvider } from "@mantine/dates";
import { Notifications } from "@mantine/notifications";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { useMemo, type ReactNode } from "react";
import { Navigate, Route, Routes } from "react-router-dom";

import { useMe, useSaveLocale } from "./api/auth";
import { Layout } from "./components/Layout";
import { NotFound } from "./components/NotFound";
import { RequireAuth } from "./components/RequireAuth";
import { ShopScope } from "./components/ShopScope";
import { LocaleProvider, useLocale } from "./i18n/locale";
import { ChannelsPage } from "./pages/channels/ChannelsPage";
import { CustomersPage } from "./pages/customers/CustomersPage";
import { InventoryPage } from "./pages/inventory/InventoryPage";
import { NotificationsPage } from "./pages/notifications/NotificationsPage";
import { OrdersPage } from "./pages/orders/OrdersPage";
import { MonitoringPage } from "./pages/monitoring/MonitoringPage";
import { AuditLogPage } from "./pages/security/AuditLogPage";
import { TokensPage } from "./pages/security/TokensPage";
import { AppSettingsPage, ShopSettingsPage } from "./pages/settings/SettingsPage";
import { ShopsPage } from "./pages/shops/ShopsPage";
import { SignInPage } from "./pages/signin/SignInPage";
import { SnapshotRunPage } from "./pages/snapshots/SnapshotRunPage";
import { SnapshotRunsPage } from "./pages/snapshots/SnapshotRunsPage";
import { SuppliersPage } from "./pages/inventory/suppliers/SuppliersPage";
import { FeedsResellersPage } from "./pages/channels/FeedsResellersPage";
import { WebhookEventsPage } from "./pages/webhooks/WebhookEventsPage";
import { ExportsPage } from "./pages/exports/ExportsPage";
import { EndpointsPage } from "./pages/endpoints/EndpointsPage";
import { localisedTheme, theme } from "./theme";
import { ReportsPage } from "./pages/reports/ReportsPage";

function LocaleFromProfile({ children }: { children: ReactNode }) {
  const me = useMe();
  const save = useSaveLocale();
  const saveLocale = save.mutate;
  return (
    <LocaleProvider userLocale={me.data?.locale} onProfileLocale={saveLocale}>
      {children}
    </LocaleProvider>
  );
}

/** Date pickers and number inputs in the user's locale (Czech writes 0,5, not 0.5). */
function LocalisedInputs({ children }: { children: ReactNode }) {
  const { locale } = useLocale();
  const localised = useMemo(() => localisedTheme(locale), [locale]);
  return (
    <MantineThemeProvider theme={localised}>
      <DatesProvider settings={{ locale, firstDayOfWeek: 1 }}>{children}</DatesProvider>
    </MantineThemeProvider>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/signin" element={<SignInPage />} />
      <Route element={<RequireAuth />}>
        <Route element={<Layout />}>
          <Route index element={<Navigate to="/shops" replace />} />
          <Route path="shops" element={<ShopsPage />} />
          <Route path="shops/:shopId" element={<ShopScope />}>
            <Route index element={<Navigate to="orders" replace />} />
            <Route path="orders" element={<OrdersPage />} />
            <Route path="customers" element={<CustomersPage />} />
            <Route path="inventory" element={<InventoryPage />} />
            <Route path="suppliers" element={<SuppliersPage />} />
            <Route path="feeds-resellers" element={<FeedsResellersPage />} />
            <Route path="channels" element={<ChannelsPage />} />
            <Route path="snapshot-runs" element={<SnapshotRunsPage />} />
            <Route path="snapshot-runs/:runId" element={<SnapshotRunPage />} />
            <Route path="webhook-events" element={<WebhookEventsPage />} />
            <Route path="exports" element={<ExportsPage />} />
            <Route path="webhook-endpoints" element={<EndpointsPage />} />
            <Route path="settings" element={<ShopSettingsPage />} />
            <Route path="reports" element={<ReportsPage />} />
            <Route path="*" element={<NotFound />} />
          </Route>
          <Route path="settings" element={<AppSettingsPage />} />
          <Route path="notifications" element={<NotificationsPage />} />
          <Route path="admin/monitoring" element={<MonitoringPage />} />
          <Route path="admin/audit-log" element={<AuditLogPage />} />
          <Route path="tokens" element={<TokensPage />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Route>
    </Routes>
  );
}

/** Everything but the router, so tests can wrap the app in a MemoryRouter. */
export function AppProviders({
  client,
  env,
  children,
}: {
  client: QueryClient;
  /** "test" turns off Mantine's transitions and portals for component tests. */
  env?: "test";
  children: ReactNode;
}) {
  return (
    <QueryClientProvider client={client}>
      <MantineProvider theme={theme} defaultColorScheme="light" env={env}>
        <LocaleFromProfile>
          <LocalisedInputs>
            <Notifications position="top-right" />
            {children}
          </LocalisedInputs>
        </LocaleFromProfile>
      </MantineProvider>
    </QueryClientProvider>
  );
}
