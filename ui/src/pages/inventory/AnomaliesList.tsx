/** Anomalies the nightly planning found: sales far outside the forecast (with the channel,
 * region, price, promotion, customer or stock-out that explains them, ranked), stock that moved
 * without sales to explain it, purchase orders expected after the shelf runs empty; newest
 * first, filtered by severity and kind. */

import { Badge, Group, List, Table, Text } from "@mantine/core";

import {
  ANOMALY_KINDS,
  SEVERITIES,
  useInventoryAnomalies,
  type Anomaly,
  type AnomalyFilters,
} from "../../api/inventory";
import { FilterSelect } from "../../components/FilterSelect";
import { LinkButton } from "../../components/LinkButton";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import type { SearchUpdate } from "../../components/useSearchUpdate";
import { useFormat, useLocale } from "../../i18n/locale";
import { useInventoryT } from "./messages";

const SEVERITY_COLORS = { low: "gray", medium: "yellow", high: "red" } as const;

export function anomalyFilters(severity: string | null, kind: string | null): AnomalyFilters {
  return {
    ...(SEVERITIES.find((s) => s === severity) ? { severity: severity as AnomalyFilters["severity"] } : {}),
    ...(ANOMALY_KINDS.find((k) => k === kind) ? { kind: kind as AnomalyFilters["kind"] } : {}),
  };
}

function Detail({ anomaly }: { anomaly: Anomaly }) {
  const t = useInventoryT();
  const f = useFormat();
  if (anomaly.kind === "late_purchase_order")
    return (
      <>
        {t("latePurchaseOrderDetail", {
          day: f.date(anomaly.day),
          id: anomaly.purchase_order_id ?? "?",
          units: f.number(anomaly.expected, 0),
          arrives: f.date(anomaly.arrives_on),
          bridge: f.number(anomaly.bridge_quantity, 0),
        })}
      </>
    );
  if (anomaly.kind.startsWith("sales_"))
    return (
      <>
        {t("salesDetail", {
          sales: f.number(anomaly.sales, 1),
          lo: f.number(anomaly.lo, 1),
          hi: f.number(anomaly.hi, 1),
        })}
      </>
    );
  const change = anomaly.stock_change ?? 0;
  return (
    <>
      {t("stockDetail", {
        change: `${change > 0 ? "+" : ""}${f.number(change, 1)}`,
        sales: f.number(anomaly.sales, 1),
      })}
    </>
  );
}

/** A sales anomaly's ranked causes, each as its sentence in the shown language. */
export function Causes({ anomaly }: { anomaly: Anomaly }) {
  const t = useInventoryT();
  const { locale } = useLocale();
  if (!anomaly.kind.startsWith("sales_") || anomaly.causes == null) return null;
  if (anomaly.causes.length === 0)
    return (
      <Text size="xs" c="dimmed">
        {t("noCause")}
      </Text>
    );
  return (
    <List size="xs" type="ordered" data-testid="anomaly-causes" aria-label={t("causesTitle")}>
      {anomaly.causes.map((cause) => (
        <List.Item key={`${cause.dimension}:${cause.value}`}>
          {locale === "cs" ? cause.sentence_cs : cause.sentence}
        </List.Item>
      ))}
    </List>
  );
}

export function AnomaliesList({
  shopId,
  severity,
  kind,
  onFilter,
  onOpen,
}: {
  shopId: number;
  severity: string | null;
  kind: string | null;
  onFilter: SearchUpdate;
  onOpen: (code: string) => void;
}) {
  const t = useInventoryT();
  const f = useFormat();
  const filters = anomalyFilters(severity, kind);
  const list = useInventoryAnomalies(shopId, filters);
  return (
    <>
      <Group mb="sm" align="flex-end">
        <FilterSelect
          label={t("severity")}
          w={200}
          value={filters.severity}
          allLabel={t("allSeverities")}
          options={SEVERITIES.map((s) => ({ value: s, label: t(`severity.${s}`) }))}
          onChange={(value) => onFilter({ severity: value })}
        />
        <FilterSelect
          label={t("kind")}
          w={280}
          value={filters.kind}
          allLabel={t("allKinds")}
          options={ANOMALY_KINDS.map((k) => ({ value: k, label: t(`kind.${k}`) }))}
          onChange={(value) => onFilter({ kind: value })}
        />
      </Group>
      <QueryState query={list} isEmpty={list.items.length === 0} empty={t("anomaliesEmpty")}>
        <Table striped verticalSpacing="xs" data-testid="anomalies-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("day")}</Table.Th>
              <Table.Th>{t("variant")}</Table.Th>
              <Table.Th>{t("kind")}</Table.Th>
              <Table.Th>{t("severity")}</Table.Th>
              <Table.Th>{t("detail")}</Table.Th>
              <Table.Th ta="right">{t("score")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((a) => (
              <Table.Tr key={a.id} data-testid="anomaly-row">
                <Table.Td>{f.date(a.day)}</Table.Td>
                <Table.Td>
                  <LinkButton onClick={() => onOpen(a.variant_code)} detail={a.variant_name}>
                    {a.variant_code}
                  </LinkButton>
                </Table.Td>
                <Table.Td>{t(`kind.${a.kind}`)}</Table.Td>
                <Table.Td>
                  <Badge color={SEVERITY_COLORS[a.severity]} variant="light">
                    {t(`severity.${a.severity}`)}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Detail anomaly={a} />
                  <Causes anomaly={a} />
                </Table.Td>
                <Table.Td ta="right">{f.number(a.score, 1)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...list} />
      </QueryState>
    </>
  );
}
