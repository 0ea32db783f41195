/** The at-risk list: customers by CLV at risk, filtered by segment and churn risk, cursor pages,
 * and the same list as a streamed CSV download. */

import { Button, Group, NumberInput, Table, Text } from "@mantine/core";

import { SEGMENT_KEYS, atRiskCsvUrl, useAtRiskCustomers, type AtRiskFilters, type SegmentKey } from "../../api/customers";
import { FilterSelect } from "../../components/FilterSelect";
import { LinkButton } from "../../components/LinkButton";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import type { SearchUpdate } from "../../components/useSearchUpdate";
import { useFormat } from "../../i18n/locale";
import { useCustomersT } from "./messages";

export const DEFAULT_MIN_CHURN_RISK = 0.5;

export function atRiskFilters(segment: string | null, risk: string | null): AtRiskFilters {
  const chosen = SEGMENT_KEYS.find((key) => key === segment);
  const parsed = risk === null ? NaN : Number(risk);
  const min = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : DEFAULT_MIN_CHURN_RISK;
  return chosen ? { segment: chosen, min_churn_risk: min } : { min_churn_risk: min };
}

export function AtRiskList({
  shopId,
  currency,
  segment,
  risk,
  onFilter,
  onOpen,
}: {
  shopId: number;
  currency: string;
  segment: string | null;
  risk: string | null;
  onFilter: SearchUpdate;
  onOpen: (key: string) => void;
}) {
  const t = useCustomersT();
  const f = useFormat();
  const filters = atRiskFilters(segment, risk);
  const list = useAtRiskCustomers(shopId, filters);
  return (
    <>
      <Group justify="space-between" align="flex-end" mb="sm">
        <Group align="flex-end">
          <FilterSelect
            label={t("segment")}
            w={220}
            value={filters.segment}
            allLabel={t("anySegment")}
            options={SEGMENT_KEYS.map((key: SegmentKey) => ({ value: key, label: t(`segment.${key}`) }))}
            onChange={(value) => onFilter({ segment: value })}
          />
          <NumberInput
            label={t("minChurnRisk")}
            w={160}
            min={0}
            max={1}
            step={0.1}
            decimalScale={2}
            value={filters.min_churn_risk}
            onChange={(value) => onFilter({ risk: value === "" ? null : String(value) })}
          />
        </Group>
        <Button component="a" href={atRiskCsvUrl(shopId, filters)} variant="light" data-testid="export-csv">
          {t("exportCsv")}
        </Button>
      </Group>
      <QueryState query={list} isEmpty={list.items.length === 0} empty={t("atRiskEmpty")}>
        <Table striped highlightOnHover verticalSpacing="xs" data-testid="at-risk-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("customer")}</Table.Th>
              <Table.Th>{t("segment")}</Table.Th>
              <Table.Th ta="right">{t("clvAtRisk")}</Table.Th>
              <Table.Th ta="right">{t("churnRisk")}</Table.Th>
              <Table.Th ta="right">{t("clv")}</Table.Th>
              <Table.Th ta="right">{t("orders")}</Table.Th>
              <Table.Th>{t("lastOrder")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((c) => (
              <Table.Tr key={c.customer_key}>
                <Table.Td>
                  <LinkButton onClick={() => onOpen(c.customer_key)}>{c.name || c.email || c.customer_key}</LinkButton>
                </Table.Td>
                <Table.Td>{t(`segment.${c.segment}`)}</Table.Td>
                <Table.Td ta="right">{f.money(c.clv_at_risk, currency)}</Table.Td>
                <Table.Td ta="right">{c.churn_risk === null ? "–" : f.percent(100 * c.churn_risk)}</Table.Td>
                <Table.Td ta="right">{f.money(c.clv_12m, currency)}</Table.Td>
                <Table.Td ta="right">{f.number(c.orders)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{f.date(c.last_order_at)}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...list} />
      </QueryState>
    </>
  );
}
