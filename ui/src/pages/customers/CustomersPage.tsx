/** Customers: who is slipping away, what each is worth, what to offer next, and how well the
 * models predicted the past. Tabs and the open customer live in the URL. */

import { Alert, Group, Stack, Table, Tabs, Text, Title } from "@mantine/core";
import type { UseMutationResult } from "@tanstack/react-query";

import { useCustomerAnalysis, useCustomerSegments, type AnalysisStarted, type AnalysisState } from "../../api/customers";
import { ErrorBoundary } from "../../components/ErrorBoundary";
import { LinkButton } from "../../components/LinkButton";
import { QueryState } from "../../components/QueryState";
import { RunningAlert } from "../../components/RunningAlert";
import { RunNowButton } from "../../components/RunNowButton";
import { useCanManage, useCurrentShop } from "../../components/ShopScope";
import { useSearchUpdate } from "../../components/useSearchUpdate";
import { useFormat } from "../../i18n/locale";
import { AtRiskList } from "./AtRiskList";
import { SegmentBars } from "./charts";
import { CustomerDrawer } from "./CustomerDrawer";
import { useCustomersT } from "./messages";
import { PriceSensitivityTable } from "./PriceSensitivityTable";
import { TrackRecord } from "./TrackRecord";

const TABS = ["segments", "at-risk", "prices", "track-record"] as const;
type Tab = (typeof TABS)[number];

function AnalysisBanner({ state }: { state: AnalysisState }) {
  const t = useCustomersT();
  const f = useFormat();
  const report = state.report;
  if (!report) return <Alert data-testid="analysis-never-run">{t("neverRun")}</Alert>;
  if (report.status === "running") {
    const progress = state.progress;
    const total = progress?.customers_total ?? 0;
    const done = progress?.customers_processed ?? 0;
    return (
      <RunningAlert
        title={t("running", { phase: progress?.phase ?? "…" })}
        done={done}
        total={total}
        count={t("runningCount", { processed: f.number(done), total: f.number(total) })}
        testId="analysis-running"
      />
    );
  }
  if (report.status === "not_enough_data")
    return (
      <Alert color="yellow" title={t("notEnoughData")} data-testid="analysis-not-enough-data">
        {report.message}
      </Alert>
    );
  if (report.status === "failed")
    return (
      <Alert color="red" title={t("failed")} data-testid="analysis-failed">
        {report.message}
      </Alert>
    );
  return (
    <Text size="sm" c="dimmed" data-testid="analysis-last-run">
      {t("lastRun", {
        when: f.dateTime(report.finished_at ?? report.started_at),
        customers: f.number(report.customers),
        model: report.chosen_model ?? "–",
      })}
    </Text>
  );
}

function RunAnalysisButton({ run }: { run: UseMutationResult<AnalysisStarted, Error, void> }) {
  const t = useCustomersT();
  return <RunNowButton run={run} label={t("runNow")} started={t("runStarted")} alreadyRunning={t("runAlreadyRunning")} />;
}

function SegmentsTab({ shopId, onSegment }: { shopId: number; onSegment: (segment: string) => void }) {
  const t = useCustomersT();
  const f = useFormat();
  const segments = useCustomerSegments(shopId);
  const data = segments.data;
  return (
    <QueryState query={segments} isEmpty={!data || data.customers === 0} empty={t("segmentsEmpty")}>
      {data && (
        <Stack>
          <ErrorBoundary testId="chart-error">
            <SegmentBars items={data.items} />
          </ErrorBoundary>
          <Table striped verticalSpacing="xs" data-testid="segments-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("segment")}</Table.Th>
                <Table.Th ta="right">{t("customers")}</Table.Th>
                <Table.Th ta="right">{t("share")}</Table.Th>
                <Table.Th ta="right">{t("totalValue")}</Table.Th>
                <Table.Th ta="right">{t("clv")}</Table.Th>
                <Table.Th ta="right">{t("clvAtRisk")}</Table.Th>
                <Table.Th ta="right">{t("profitTotal")}</Table.Th>
                <Table.Th ta="right">{t("clvProfit")}</Table.Th>
                <Table.Th ta="right">{t("pAlive")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.items.map((item) => (
                <Table.Tr key={item.segment}>
                  <Table.Td>
                    <LinkButton onClick={() => onSegment(item.segment)}>{t(`segment.${item.segment}`)}</LinkButton>
                  </Table.Td>
                  <Table.Td ta="right">{f.number(item.customers)}</Table.Td>
                  <Table.Td ta="right">{f.percent((100 * item.customers) / data.customers)}</Table.Td>
                  <Table.Td ta="right">{f.money(item.total_value, data.currency)}</Table.Td>
                  <Table.Td ta="right">{f.money(item.clv_12m, data.currency)}</Table.Td>
                  <Table.Td ta="right">{f.money(item.clv_at_risk, data.currency)}</Table.Td>
                  <Table.Td ta="right">{f.money(item.profit_total, data.currency)}</Table.Td>
                  <Table.Td ta="right">{f.money(item.clv_profit_12m, data.currency)}</Table.Td>
                  <Table.Td ta="right">{item.avg_p_alive === null ? "–" : f.percent(100 * item.avg_p_alive)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
    </QueryState>
  );
}

export function CustomersPage() {
  const t = useCustomersT();
  const shop = useCurrentShop();
  const canManage = useCanManage(shop);
  const [params, update] = useSearchUpdate();
  const tab: Tab = TABS.find((name) => name === params.get("tab")) ?? "segments";
  const { state: analysis, start } = useCustomerAnalysis(shop.id);
  const currency = useCustomerSegments(shop.id).data?.currency ?? "CZK";

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("title")}</Title>
        {canManage && <RunAnalysisButton run={start} />}
      </Group>
      <QueryState query={analysis}>{analysis.data && <AnalysisBanner state={analysis.data} />}</QueryState>
      <Tabs value={tab} onChange={(value) => update({ tab: value === "segments" ? null : value })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="segments">{t("tabSegments")}</Tabs.Tab>
          <Tabs.Tab value="at-risk">{t("tabAtRisk")}</Tabs.Tab>
          <Tabs.Tab value="prices">{t("tabPrices")}</Tabs.Tab>
          <Tabs.Tab value="track-record">{t("tabTrackRecord")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="segments" pt="md">
          <SegmentsTab shopId={shop.id} onSegment={(segment) => update({ tab: "at-risk", segment, risk: "0" })} />
        </Tabs.Panel>
        <Tabs.Panel value="at-risk" pt="md">
          <AtRiskList
            shopId={shop.id}
            currency={currency}
            segment={params.get("segment")}
            risk={params.get("risk")}
            sort={params.get("sort")}
            onFilter={update}
            onOpen={(key) => update({ customer: key })}
          />
        </Tabs.Panel>
        <Tabs.Panel value="prices" pt="md">
          <PriceSensitivityTable shopId={shop.id} currency={currency} />
        </Tabs.Panel>
        <Tabs.Panel value="track-record" pt="md">
          <TrackRecord shopId={shop.id} />
        </Tabs.Panel>
      </Tabs>
      <CustomerDrawer
        shopId={shop.id}
        currency={currency}
        customerKey={params.get("customer")}
        onClose={() => update({ customer: null })}
      />
    </Stack>
  );
}
