/** Small SVG charts for the monitoring timelines: stacked bars per time bucket and latency lines.
 * Plain SVG keeps the page free of a charting dependency; each chart has a text title for
 * screen readers and a tooltip per bar. */

import { Group, Stack, Text } from "@mantine/core";

export type BarSeries = { key: string; label: string; color: string };

const WIDTH = 600;
const HEIGHT = 120;

export function StackedBars({
  title,
  data,
  series,
  labelOf,
}: {
  title: string;
  data: Record<string, number | string>[];
  series: BarSeries[];
  labelOf: (row: Record<string, number | string>) => string;
}) {
  const totals = data.map((row) => series.reduce((sum, s) => sum + Number(row[s.key] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const step = WIDTH / Math.max(1, data.length);
  return (
    <Stack gap={4}>
      <Group justify="space-between">
        <Text size="sm" fw={500}>
          {title}
        </Text>
        <Group gap="sm">
          {series.map((s) => (
            <Text key={s.key} size="xs" c={s.color}>
              ■ {s.label}
            </Text>
          ))}
        </Group>
      </Group>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" height={HEIGHT} role="img" aria-label={title}>
        {data.map((row, i) => {
          let y = HEIGHT;
          return (
            <g key={i} data-testid="bar">
              <title>{`${labelOf(row)}: ${series.map((s) => `${s.label} ${row[s.key] ?? 0}`).join(", ")}`}</title>
              {series.map((s) => {
                const h = (Number(row[s.key] ?? 0) / max) * (HEIGHT - 4);
                y -= h;
                return <rect key={s.key} x={i * step + 1} y={y} width={Math.max(1, step - 2)} height={h} fill={s.color} />;
              })}
            </g>
          );
        })}
      </svg>
    </Stack>
  );
}

export function Lines({
  title,
  data,
  series,
}: {
  title: string;
  data: Record<string, number | string | null>[];
  series: BarSeries[];
}) {
  const values = data.flatMap((row) => series.map((s) => Number(row[s.key] ?? 0)));
  const max = Math.max(1, ...values);
  const step = WIDTH / Math.max(1, data.length - 1);
  return (
    <Stack gap={4}>
      <Group justify="space-between">
        <Text size="sm" fw={500}>
          {title}
        </Text>
        <Group gap="sm">
          {series.map((s) => (
            <Text key={s.key} size="xs" c={s.color}>
              ― {s.label}
            </Text>
          ))}
        </Group>
      </Group>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" height={HEIGHT} role="img" aria-label={title}>
        {series.map((s) => {
          const points = data
            .map((row, i) => (row[s.key] === null || row[s.key] === undefined ? null : `${i * step},${HEIGHT - (Number(row[s.key]) / max) * (HEIGHT - 4)}`))
            .filter(Boolean)
            .join(" ");
          return (
            <g key={s.key}>
              <polyline points={points} fill="none" stroke={s.color} strokeWidth={2} data-testid={`line-${s.key}`} />
              {points.split(" ").filter(Boolean).map((point) => {
                const [x, y] = point.split(",");
                return <circle key={point} cx={x} cy={y} r={2.5} fill={s.color} />;
              })}
            </g>
          );
        })}
        <text x={WIDTH - 4} y={12} textAnchor="end" fontSize={11} fill="gray">
          {Math.round(max)} ms
        </text>
      </svg>
    </Stack>
  );
}
