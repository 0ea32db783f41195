/** Metered outbound calls: a shop's use today against its budgets (admins set the budgets),
 * and every shop's use today for the monitoring page. */

import { Badge, Button, Card, Group, NumberInput, Progress, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";

import { errorMessage } from "../../api/client";
import { METERED_KINDS, type Usage, useAllUsage, useSetBudget, useShopUsage } from "../../api/usage";
import { useMe } from "../../api/auth";
import { useFormat } from "../../i18n/locale";
import { type ReportsKey, useReportsT } from "../reports/messages";

function shareColor(share: number | null): string {
  if (share === null) return "gray";
  return share >= 1 ? "red" : share >= 0.8 ? "yellow" : "blue";
}

function BudgetInput({ shopId, kind, limit }: { shopId: number; kind: string; limit: number | null }) {
  const t = useReportsT();
  const [value, setValue] = useState<string | number>(limit ?? "");
  const save = useSetBudget(shopId);
  return (
    <Group gap="xs" wrap="nowrap">
      <NumberInput size="xs" w={120} min={0} value={value} onChange={setValue} placeholder={t("usage.unlimited")} aria-label={t("usage.budget")} />
      <Button size="xs" variant="light" loading={save.isPending} onClick={() => save.mutate({ kind, limit: value === "" ? null : Number(value) })}>
        {t("usage.setBudget")}
      </Button>
      {save.error && (
        <Text size="xs" c="red">
          {errorMessage(save.error)}
        </Text>
      )}
    </Group>
  );
}

export function UsagePanel({ shopId }: { shopId: number }) {
  const t = useReportsT();
  const f = useFormat();
  const me = useMe();
  const usage = useShopUsage(shopId);
  const isAdmin = me.data?.role === "admin";
  const today = usage.data?.[0]?.day;
  const byKind = new Map<string, Usage>((usage.data ?? []).filter((u) => u.day === today).map((u) => [u.kind, u]));
  return (
    <Card withBorder data-testid="usage-panel">
      <Stack>
        <Title order={3}>{t("usage.title")}</Title>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("usage.kind")}</Table.Th>
              <Table.Th>{t("usage.used")}</Table.Th>
              <Table.Th>{t("usage.refused")}</Table.Th>
              <Table.Th>{t("usage.budget")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {METERED_KINDS.map((kind) => {
              const u = byKind.get(kind);
              return (
                <Table.Tr key={kind}>
                  <Table.Td>{t(`usage.kind.${kind}` as ReportsKey)}</Table.Td>
                  <Table.Td>
                    {f.number(u?.used ?? 0)}
                    {u?.share != null && <Progress mt={4} value={Math.min(100, u.share * 100)} color={shareColor(u.share)} />}
                  </Table.Td>
                  <Table.Td>{u?.refused ? <Badge color="red">{f.number(u.refused)}</Badge> : "0"}</Table.Td>
                  <Table.Td>
                    {isAdmin ? <BudgetInput shopId={shopId} kind={kind} limit={u?.limit ?? null} /> : u?.limit != null ? f.number(u.limit) : t("usage.none")}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Stack>
    </Card>
  );
}

export function AllUsagePanel() {
  const t = useReportsT();
  const f = useFormat();
  const all = useAllUsage();
  const rows = (all.data ?? []).flatMap((shop) => shop.usage.map((u) => ({ shop: shop.shop_name, ...u })));
  return (
    <Card withBorder data-testid="all-usage">
      <Title order={3} mb="xs">
        {t("usage.allTitle")}
      </Title>
      {rows.length === 0 ? (
        <Text c="dimmed">{t("usage.empty")}</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("usage.shop")}</Table.Th>
              <Table.Th>{t("usage.kind")}</Table.Th>
              <Table.Th>{t("usage.used")}</Table.Th>
              <Table.Th>{t("usage.refused")}</Table.Th>
              <Table.Th>{t("usage.budget")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={`${r.shop}:${r.kind}`}>
                <Table.Td>{r.shop}</Table.Td>
                <Table.Td>{t(`usage.kind.${r.kind}` as ReportsKey)}</Table.Td>
                <Table.Td>
                  <Badge color={shareColor(r.share)} variant="light">
                    {f.number(r.used)}
                  </Badge>
                </Table.Td>
                <Table.Td>{f.number(r.refused)}</Table.Td>
                <Table.Td>{r.limit != null ? f.number(r.limit) : t("usage.none")}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
