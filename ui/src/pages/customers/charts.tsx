/** Two small charts drawn with Mantine parts and SVG (no chart library): segment sizes and the
 * model's error against the naive forecast over runs. */

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

const WIDTH = 600;
const HEIGHT = 160;
const PAD = 24;

function coords(values: number[], top: number): [number, number][] {
  const step = values.length > 1 ? (WIDTH - 2 * PAD) / (values.length - 1) : 0;
  return values.map((v, i) => [PAD + i * step, HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD)]);
}

function polyline(values: number[], top: number): string {
  return coords(values, top)
    .map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`)
    .join(" ");
}

/** MAE of the chosen model and of the naive forecast for each completed run, oldest first. */
export function TrackRecordChart({ reports }: { reports: ModelReport[] }) {
  const t = useCustomersT();
  const runs = reports
    .filter((r) => r.holdout_mae !== null && r.baseline_mae !== null)
    .slice()
    .reverse();
  if (runs.length === 0) return null;
  const model = runs.map((r) => r.holdout_mae ?? 0);
  const baseline = runs.map((r) => r.baseline_mae ?? 0);
  const top = Math.max(...model, ...baseline) * 1.1 || 1;
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {t("chartMae")}
      </Text>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label={t("chartMae")} data-testid="track-record-chart">
        <line x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD} y2={HEIGHT - PAD} stroke="#ced4da" />
        <polyline points={polyline(baseline, top)} fill="none" stroke="#adb5bd" strokeWidth={2} strokeDasharray="6 4" />
        <polyline points={polyline(model, top)} fill="none" stroke="#228be6" strokeWidth={2} />
        {coords(model, top).map(([x, y], i) => (
          <circle key={runs[i]?.id ?? i} cx={x} cy={y} r={3} fill="#228be6" />
        ))}
      </svg>
      <Group gap="md">
        <Text size="xs" c="blue">
          ― {t("chartLegendModel")}
        </Text>
        <Text size="xs" c="dimmed">
          - - {t("chartLegendBaseline")}
        </Text>
      </Group>
    </Stack>
  );
}
