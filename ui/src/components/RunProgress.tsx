/** A run's live progress bar with percent, lines, rate and ETA. */

import { Group, Progress, Stack, Text } from "@mantine/core";

import type { SnapshotRun } from "../api/types";
import { useFormat, useT } from "../i18n/locale";
import { runProgress } from "./runProgress";

const COLORS: Record<string, string> = {
  failed: "red",
  cancelled: "gray",
  completed_with_rejects: "yellow",
  completed: "teal",
};

export function RunProgress({ run, compact = false }: { run: SnapshotRun; compact?: boolean }) {
  const t = useT();
  const f = useFormat();
  const view = runProgress(run);
  const shown = view.percent ?? (view.active ? 100 : 0);
  const label = view.percent === null ? "–" : f.percent(view.percent);
  const lines = run.total_lines
    ? t("runs.lines", { processed: f.number(run.processed_lines), total: f.number(run.total_lines) })
    : t("runs.linesNoTotal", { processed: f.number(run.processed_lines) });
  return (
    <Stack gap={4} data-testid="run-progress" data-percent={view.percent === null ? "" : Math.round(view.percent)}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="sm" fw={600} data-testid="run-percent">
          {label}
        </Text>
        {!compact && (
          <Text size="xs" c="dimmed">
            {lines}
          </Text>
        )}
      </Group>
      <Progress
        value={shown}
        color={COLORS[run.status] ?? "blue"}
        striped={view.active}
        animated={view.active}
        size={compact ? "sm" : "lg"}
        aria-label={`${t("runs.progress")} ${label}`}
      />
      {view.active && (view.rate !== null || view.etaSeconds !== null) && (
        <Group gap="md">
          {view.rate !== null && (
            <Text size="xs" c="dimmed" data-testid="run-rate">
              {t("runs.rate", { rate: f.number(view.rate) })}
            </Text>
          )}
          {view.etaSeconds !== null && (
            <Text size="xs" c="dimmed" data-testid="run-eta">
              {t("runs.eta", { eta: f.duration(view.etaSeconds) })}
            </Text>
          )}
        </Group>
      )}
    </Stack>
  );
}
