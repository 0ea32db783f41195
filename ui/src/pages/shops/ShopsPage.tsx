/** Every shop of the caller: installation state, API token state and expiry, last sync per resource. */

import { Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { Link } from "react-router-dom";

import { useShopCounts, useShops } from "../../api/shops";
import type { Shop } from "../../api/types";
import { QueryState } from "../../components/QueryState";
import { useFormat, useT } from "../../i18n/locale";
import type { MessageKey } from "../../i18n/messages";

const RESOURCES = ["orders", "products", "customers", "stock"];

const STATUS_COLORS: Record<string, string> = {
  active: "teal",
  installing: "blue",
  suspended: "orange",
  uninstalled: "gray",
};

export type TokenState = "valid" | "expired" | "missing";

export function tokenState(shop: Pick<Shop, "token_expires_at">, now: number = Date.now()): TokenState {
  if (!shop.token_expires_at) return "missing";
  return new Date(shop.token_expires_at).getTime() > now ? "valid" : "expired";
}

function ShopCounts({ shopId }: { shopId: number }) {
  const t = useT();
  const f = useFormat();
  const counts = useShopCounts(shopId);
  if (!counts.data) return null;
  return (
    <Text size="sm" c="dimmed">
      {t("shops.counts", {
        orders: f.number(counts.data.orders),
        customers: f.number(counts.data.customers),
        products: f.number(counts.data.products),
      })}
    </Text>
  );
}

function ShopCard({ shop }: { shop: Shop }) {
  const t = useT();
  const f = useFormat();
  const token = tokenState(shop);
  const statusKey = `status.${shop.status}` as MessageKey;
  return (
    <Card withBorder padding="lg" data-testid="shop-card">
      <Stack gap="sm">
        <Group justify="space-between">
          <div>
            <Title order={4}>{shop.name}</Title>
            <Text size="xs" c="dimmed">
              {t("shops.eshop", { eshopId: shop.eshop_id })}
              {shop.url && (
                <>
                  {" · "}
                  <Anchor href={shop.url} target="_blank" rel="noreferrer" size="xs">
                    {shop.url}
                  </Anchor>
                </>
              )}
            </Text>
          </div>
          <Badge color={STATUS_COLORS[shop.status] ?? "gray"}>{t(statusKey) ?? shop.status}</Badge>
        </Group>
        <ShopCounts shopId={shop.id} />
        <Table withRowBorders={false} verticalSpacing={2}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Td w={140}>{t("shops.installedAt")}</Table.Td>
              <Table.Td>{f.dateTime(shop.installed_at)}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>{t("shops.token")}</Table.Td>
              <Table.Td data-testid="token-state" data-state={token}>
                <Text size="sm" c={token === "valid" ? "teal" : token === "expired" ? "red" : "dimmed"}>
                  {token === "valid" && t("shops.tokenValid", { when: f.relative(shop.token_expires_at) })}
                  {token === "expired" && t("shops.tokenExpired", { when: f.relative(shop.token_expires_at) })}
                  {token === "missing" && t("shops.tokenMissing")}
                </Text>
                {shop.token_refreshed_at && (
                  <Text size="xs" c="dimmed">
                    {t("shops.refreshedAt", { when: f.dateTime(shop.token_refreshed_at) })}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>{t("shops.lastSync")}</Table.Td>
              <Table.Td>{shop.last_sync_at ? f.dateTime(shop.last_sync_at) : t("shops.neverSynced")}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
        {shop.sync.length > 0 && (
          <Table striped fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("shops.syncResource")}</Table.Th>
                <Table.Th>{t("shops.syncSuccess")}</Table.Th>
                <Table.Th>{t("shops.syncError")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shop.sync.map((sync) => (
                <Table.Tr key={sync.resource}>
                  <Table.Td>
                    {RESOURCES.includes(sync.resource) ? t(`resource.${sync.resource}` as MessageKey) : sync.resource}
                  </Table.Td>
                  <Table.Td>{sync.last_success_at ? f.dateTime(sync.last_success_at) : t("shops.neverSynced")}</Table.Td>
                  <Table.Td>
                    <Text size="xs" c="red">
                      {sync.last_error ?? ""}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Group>
          <Button component={Link} to={`/shops/${shop.id}/orders`} variant="light" size="xs">
            {t("shops.open")}
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

export function ShopsPage() {
  const t = useT();
  const shops = useShops();
  return (
    <Stack>
      <Title order={2}>{t("shops.title")}</Title>
      <QueryState query={shops} isEmpty={shops.data?.length === 0} empty={t("shops.empty")}>
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          {shops.data?.map((shop) => <ShopCard key={shop.id} shop={shop} />)}
        </SimpleGrid>
      </QueryState>
    </Stack>
  );
}
