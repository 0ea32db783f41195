/** The state of a check (ok / warn / critical / unavailable) as a coloured badge. */

import { Badge } from "@mantine/core";

import type { CheckState } from "../../api/monitoring";
import { useMonitoringT } from "./messages";

export const STATE_COLORS: Record<CheckState, string> = { ok: "green", warn: "yellow", critical: "red", unavailable: "gray" };

export function StateBadge({ state }: { state: CheckState }) {
  const t = useMonitoringT();
  return (
    <Badge color={STATE_COLORS[state]} variant="light" data-testid="check-state" data-state={state}>
      {t(`state.${state}`)}
    </Badge>
  );
}
