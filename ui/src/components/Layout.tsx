/** The frame around every signed-in page: shop switcher, navigation, locale, notifications, sign out. */

import {
  ActionIcon,
  AppShell,
  Group,
  Indicator,
  Menu,
  NavLink,
  SegmentedControl,
  Select,
  Text,
  Title,
  UnstyledButton,
} from "@mantine/core";
import { Link, Outlet, useLocation, useMatch, useNavigate } from "react-router-dom";

import { useMe, useSignOut } from "../api/auth";
import { useUnreadCount } from "../api/notifications";
import type { Locale } from "../api/types";
import { useLocale, useT } from "../i18n/locale";
import type { MessageKey } from "../i18n/messages";
import { ErrorBoundary } from "./ErrorBoundary";
import { GlobalSearch } from "./search/GlobalSearch";
import { useMonitoringT } from "../pages/monitoring/messages";
import { useSecurityT } from "../pages/security/messages";

const SHOP_PAGES: { path: string; label: MessageKey }[] = [
  { path: "orders", label: "nav.orders" },
  { path: "customers", label: "nav.customers" },
  { path: "inventory", label: "nav.inventory" },
  { path: "suppliers", label: "nav.suppliers" },
  { path: "feeds-resellers", label: "nav.feedsResellers" },
  { path: "reports", label: "nav.reports" },
  { path: "channels", label: "nav.channels" },
  { path: "snapshot-runs", label: "nav.snapshots" },
  { path: "webhook-events", label: "nav.webhooks" },
  { path: "webhook-endpoints", label: "nav.endpoints" },
  { path: "exports", label: "nav.exports" },
  { path: "settings", label: "nav.shopSettings" },
];

function BellIcon() {
  return (
    <svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden>
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}

function UnreadBell() {
  const t = useT();
  const unread = useUnreadCount();
  const count = unread.data?.count ?? 0;
  const label = unread.data?.more ? `${count - 1}+` : String(count);
  return (
    <Indicator label={label} size={18} disabled={count === 0} color="red" data-testid="unread-badge" data-count={count}>
      <ActionIcon
        component={Link}
        to="/notifications"
        variant="subtle"
        size="lg"
        aria-label={t("header.unread", { count: label })}
      >
        <BellIcon />
      </ActionIcon>
    </Indicator>
  );
}

function ShopSwitcher({ currentShopId, section }: { currentShopId: string | null; section: string }) {
  const t = useT();
  const me = useMe();
  const navigate = useNavigate();
  const shops = me.data?.shops ?? [];
  return (
    <Select
      aria-label={t("header.shop")}
      placeholder={shops.length ? t("header.shop") : t("header.noShops")}
      data={shops.map((shop) => ({ value: String(shop.id), label: shop.name }))}
      value={currentShopId && shops.some((s) => String(s.id) === currentShopId) ? currentShopId : null}
      onChange={(value) => value && navigate(`/shops/${value}/${section || "orders"}`)}
      allowDeselect={false}
      w={240}
      data-testid="shop-switcher"
      comboboxProps={{ withinPortal: true }}
    />
  );
}

export function Layout() {
  const t = useT();
  const monitoringT = useMonitoringT();
  const securityT = useSecurityT();
  const me = useMe();
  const { locale, setLocale } = useLocale();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const location = useLocation();
  const match = useMatch("/shops/:shopId/*");
  const currentShopId = match?.params.shopId ?? null;
  const section = (match?.params["*"] ?? "").split("/")[0] ?? "";
  const navShopId = currentShopId ?? (me.data?.shops[0] ? String(me.data.shops[0].id) : null);

  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 220, breakpoint: "sm" }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <UnstyledButton component={Link} to="/shops">
              <Title order={3}>{t("app.name")}</Title>
            </UnstyledButton>
            <ShopSwitcher currentShopId={currentShopId} section={section} />
            <GlobalSearch />
          </Group>
          <Group wrap="nowrap">
            <SegmentedControl
              size="xs"
              aria-label={t("header.language")}
              value={locale}
              onChange={(value) => setLocale(value as Locale)}
              data={[
                { value: "cs", label: "CS" },
                { value: "en", label: "EN" },
              ]}
              data-testid="locale-switcher"
            />
            <UnreadBell />
            <Menu position="bottom-end">
              <Menu.Target>
                <UnstyledButton data-testid="user-menu">
                  <Text size="sm">{me.data?.display_name || me.data?.email}</Text>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{me.data?.email}</Menu.Label>
                <Menu.Item
                  onClick={() => signOut.mutate(undefined, { onSettled: () => navigate("/signin") })}
                >
                  {t("header.signOut")}
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <NavLink component={Link} to="/shops" label={t("nav.shops")} active={location.pathname === "/shops"} />
        {navShopId &&
          SHOP_PAGES.map((page) => {
            const to = `/shops/${navShopId}/${page.path}`;
            return (
              <NavLink
                key={page.path}
                component={Link}
                to={to}
                label={t(page.label)}
                active={location.pathname.startsWith(to)}
              />
            );
          })}
        <NavLink
          component={Link}
          to="/notifications"
          label={t("nav.notifications")}
          active={location.pathname === "/notifications"}
        />
        {me.data?.role === "admin" && (
          <NavLink
            component={Link}
            to="/settings"
            label={t("nav.appSettings")}
            active={location.pathname === "/settings"}
          />
        )}
        <NavLink component={Link} to="/tokens" label={securityT("nav.tokens")} active={location.pathname === "/tokens"} />
        {me.data?.role === "admin" && (
          <NavLink
            component={Link}
            to="/admin/monitoring"
            label={monitoringT("nav")}
            active={location.pathname === "/admin/monitoring"}
          />
        )}
        {me.data?.role === "admin" && (
          <NavLink
            component={Link}
            to="/admin/audit-log"
            label={securityT("nav.audit")}
            active={location.pathname === "/admin/audit-log"}
          />
        )}
      </AppShell.Navbar>
      <AppShell.Main>
        <ErrorBoundary resetKey={location.pathname} title={t("state.crashed")} testId="page-error">
          <Outlet />
        </ErrorBoundary>
      </AppShell.Main>
    </AppShell>
  );
}
