/** Two small charts: segment sizes (Mantine progress bars) and the model's error against the
 * naive forecast over runs (Mantine's line chart, with axes). */

import "@mantine/charts/styles.css";

import { LineChart } from "@mantine/charts";
import { Group, Progress, Stack, Text } from "@mantine/core";

import type { ModelReport, SegmentSummary } from "../../api/customers";
import { useFormat } from "../../i18n/locale";
import { useCustomersT } from "./messages";

export const SEGMENT_COLORS: Record<string, string> = {
  champions: "teal",
  loyal: "green",
  potential_loyalists: "lime",
  new: "cyan",
  promising: "blue",
  need_attention: "yellow",
  about_to_sleep: "orange",
  at_risk: "red",
  cant_lose: "grape",
  hibernating: "gray",
  lost: "dark",
};

export function SegmentBars({ items }: { items: SegmentSummary[] }) {
  const t = useCustomersT();
  const f = useFormat();
  const largest = Math.max(1, ...items.map((i) => i.customers));
  return (
    <Stack gap={6} data-testid="segment-chart" role="img" aria-label={t("customers")}>
      {items.map((item) => (
        <Group key={item.segment} gap="sm" wrap="nowrap">
          <Text size="sm" w={160}>
            {t(`segment.${item.segment}`)}
          </Text>
          <Progress
            value={(100 * item.customers) / largest}
            color={SEGMENT_COLORS[item.segment]}
            style={{ flex: 1 }}
            aria-label={t(`segment.${item.segment}`)}
          />
          <Text size="sm" w={80} ta="right">
            {f.number(item.customers)}
          </Text>
        </Group>
      ))}
    </Stack>
  );
}

export type TrackPoint = { run: string; model: number; baseline: number };

/** Completed runs with both errors, oldest first, labelled by their day in the user's locale. */
export function trackPoints(reports: ModelReport[], label: (iso: string) => string): TrackPoint[] {
  return reports
    .filter((r) => r.holdout_mae !== null && r.baseline_mae !== null)
    .slice()
    .reverse()
    .map((r) => ({ run: label(r.started_at), model: Number(r.holdout_mae), baseline: Number(r.baseline_mae) }));
}

/** MAE of the chosen model and of the naive forecast for each run, with axes, dots and a legend;
 * a single run (one dot per series) also says its two figures in words. */
export function TrackRecordChart({ reports }: { reports: ModelReport[] }) {
  const t = useCustomersT();
  const f = useFormat();
  const points = trackPoints(reports, f.dateTime);
  if (points.length === 0) return null;
  const only = points.length === 1 ? points[0] : undefined;
  return (
    <Stack gap={4} data-testid="track-record-chart" data-points={points.length} role="img" aria-label={t("chartMae")}>
      <Text size="sm" fw={500}>
        {t("chartMae")} ({t("mae")})
      </Text>
      <LineChart
        h={220}
        data={points}
        dataKey="run"
        withLegend
        legendProps={{ verticalAlign: "bottom" }}
        withDots
        dotProps={{ r: 4 }}
        curveType="linear"
        xAxisLabel={t("runAt")}
        withXAxis
        withYAxis
        gridAxis="xy"
        valueFormatter={(value) => f.number(value, 3)}
        xAxisProps={{ padding: { left: 30, right: 30 } }}
        yAxisProps={{ domain: [0, "auto"], width: 70 }}
        series={[
          { name: "model", label: t("chartLegendModel"), color: "blue.6" },
          { name: "baseline", label: t("chartLegendBaseline"), color: "gray.6", strokeDasharray: "6 4" },
        ]}
      />
      {only && (
        <Text size="xs" c="dimmed" data-testid="track-record-single">
          {t("chartSingleRun", { model: f.number(only.model, 3), baseline: f.number(only.baseline, 3) })}
        </Text>
      )}
    </Stack>
  );
}
