/** Inventory: what to order, how much, from whom and by when; each variant's forecast with its
 * history; anomalies; and how accurate the forecasts were. Tab, variant and filters live in the URL. */

import { Alert, Button, Group, Stack, Tabs, Text, TextInput, Title } from "@mantine/core";
import type { UseMutationResult } from "@tanstack/react-query";
import { useState } from "react";

import {
  PURCHASE_ORDER_STATUSES,
  useInventoryRun,
  useVariantForecast,
  type InventoryState,
  type RunStarted,
} from "../../api/inventory";
import { ErrorBoundary } from "../../components/ErrorBoundary";
import { EmptyState, QueryState } from "../../components/QueryState";
import { RunningAlert } from "../../components/RunningAlert";
import { RunNowButton } from "../../components/RunNowButton";
import { useCanManage, useCurrentShop } from "../../components/ShopScope";
import { useSearchUpdate } from "../../components/useSearchUpdate";
import { useFormat } from "../../i18n/locale";
import { AccuracyTable } from "./AccuracyTable";
import { AnomaliesList } from "./AnomaliesList";
import { ForecastChart, VariantFacts } from "./ForecastChart";
import { useInventoryT, type InventoryMessageKey } from "./messages";
import { PurchaseOrdersList } from "./PurchaseOrdersList";
import { RecommendationsTable } from "./RecommendationsTable";

const TABS = ["recommendations", "orders", "forecast", "anomalies", "accuracy"] as const;
type Tab = (typeof TABS)[number];

function phaseLabel(t: ReturnType<typeof useInventoryT>, phase: string | undefined): string {
  return phase ? t(`phase.${phase}` as InventoryMessageKey) : "…";
}

function RunBanner({ state }: { state: InventoryState }) {
  const t = useInventoryT();
  const f = useFormat();
  const run = state.run;
  if (state.running) {
    const total = state.progress?.variants_total ?? 0;
    const done = state.progress?.variants_done ?? 0;
    return (
      <RunningAlert
        title={t("running", { phase: phaseLabel(t, state.progress?.phase) })}
        done={done}
        total={total}
        count={t("runningCount", { done: f.number(done), total: f.number(total) })}
        testId="run-running"
      />
    );
  }
  if (!run) return <Alert data-testid="run-never">{t("neverRun")}</Alert>;
  if (run.status === "failed")
    return (
      <Alert color="red" title={t("failed")} data-testid="run-failed">
        {run.message}
      </Alert>
    );
  return (
    <Stack gap={2} data-testid="run-last">
      <Text size="sm" c="dimmed">
        {t("lastRun", {
          when: f.dateTime(run.finished_at ?? run.started_at),
          asOf: f.date(run.as_of),
          variants: f.number(run.variants_forecast),
          recommendations: f.number(run.recommendations),
          cost: f.money(run.recommended_cost, run.currency),
        })}
      </Text>
      {run.message && (
        <Text size="sm" c="orange">
          {t("planNote", { message: run.message })}
        </Text>
      )}
    </Stack>
  );
}

function PlanNowButton({ run }: { run: UseMutationResult<RunStarted, Error, void> }) {
  const t = useInventoryT();
  return <RunNowButton run={run} label={t("runNow")} started={t("runStarted")} alreadyRunning={t("runAlreadyRunning")} />;
}

function ForecastPanel({
  shopId,
  code,
  onPick,
}: {
  shopId: number;
  code: string | null;
  onPick: (code: string | null) => void;
}) {
  const t = useInventoryT();
  const [typed, setTyped] = useState(code ?? "");
  const forecast = useVariantForecast(shopId, code);
  return (
    <Stack>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onPick(typed.trim() || null);
        }}
      >
        <Group align="flex-end">
          <TextInput
            label={t("pickVariant")}
            w={260}
            value={typed}
            onChange={(event) => setTyped(event.currentTarget.value)}
          />
          <Button type="submit" variant="light">
            {t("showForecast")}
          </Button>
        </Group>
      </form>
      {code === null ? (
        <EmptyState>{t("forecastEmpty")}</EmptyState>
      ) : (
        <QueryState query={forecast}>
          {forecast.data && (
            <Stack>
              <Title order={4}>
                {forecast.data.variant_code}
                {forecast.data.variant_name ? ` · ${forecast.data.variant_name}` : ""}
              </Title>
              <ErrorBoundary resetKey={code} title={t("chartFailed")} testId="chart-error">
                <ForecastChart data={forecast.data} />
              </ErrorBoundary>
              <VariantFacts data={forecast.data} />
            </Stack>
          )}
        </QueryState>
      )}
    </Stack>
  );
}

export function InventoryPage() {
  const t = useInventoryT();
  const shop = useCurrentShop();
  const canManage = useCanManage(shop);
  const [params, update] = useSearchUpdate();
  const tab: Tab = TABS.find((name) => name === params.get("tab")) ?? "recommendations";
  const { state: run, start } = useInventoryRun(shop.id);
  const open = (code: string) => update({ tab: "forecast", variant: code });
  const orderStatus = PURCHASE_ORDER_STATUSES.find((name) => name === params.get("po")) ?? "open";

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("title")}</Title>
        {canManage && <PlanNowButton run={start} />}
      </Group>
      <QueryState query={run}>{run.data && <RunBanner state={run.data} />}</QueryState>
      <Tabs
        value={tab}
        onChange={(value) => update({ tab: value === "recommendations" ? null : value })}
        keepMounted={false}
      >
        <Tabs.List>
          <Tabs.Tab value="recommendations">{t("tabRecommendations")}</Tabs.Tab>
          <Tabs.Tab value="orders">{t("tabPurchaseOrders")}</Tabs.Tab>
          <Tabs.Tab value="forecast">{t("tabForecast")}</Tabs.Tab>
          <Tabs.Tab value="anomalies">{t("tabAnomalies")}</Tabs.Tab>
          <Tabs.Tab value="accuracy">{t("tabAccuracy")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="recommendations" pt="md">
          <RecommendationsTable shopId={shop.id} onOpen={open} canOrder={canManage} />
        </Tabs.Panel>
        <Tabs.Panel value="orders" pt="md">
          <PurchaseOrdersList
            shopId={shop.id}
            status={orderStatus}
            onStatus={(value) => update({ po: value === "open" ? null : value })}
            canManage={canManage}
          />
        </Tabs.Panel>
        <Tabs.Panel value="forecast" pt="md">
          <ForecastPanel
            key={params.get("variant") ?? ""}
            shopId={shop.id}
            code={params.get("variant")}
            onPick={(code) => update({ variant: code })}
          />
        </Tabs.Panel>
        <Tabs.Panel value="anomalies" pt="md">
          <AnomaliesList
            shopId={shop.id}
            severity={params.get("severity")}
            kind={params.get("kind")}
            onFilter={update}
            onOpen={open}
          />
        </Tabs.Panel>
        <Tabs.Panel value="accuracy" pt="md">
          <AccuracyTable shopId={shop.id} onOpen={open} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
