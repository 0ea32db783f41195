/** Coloured badges for run and webhook statuses, labelled in the user's language. */

import { Badge } from "@mantine/core";

import type { RunStatus, WebhookStatus } from "../api/types";
import { useT } from "../i18n/locale";

const RUN_COLORS: Record<RunStatus, string> = {
  pending: "gray",
  running: "blue",
  completed: "teal",
  completed_with_rejects: "yellow",
  failed: "red",
  cancelled: "dark",
};

const WEBHOOK_COLORS: Record<WebhookStatus, string> = {
  received: "blue",
  dispatched: "teal",
  duplicate: "gray",
  rejected: "orange",
  failed: "red",
};

export function RunStatusBadge({ status }: { status: RunStatus }) {
  const t = useT();
  return (
    <Badge color={RUN_COLORS[status] ?? "gray"} variant="light" data-testid="run-status" data-status={status}>
      {t(`run.${status}`)}
    </Badge>
  );
}

export function WebhookStatusBadge({ status }: { status: WebhookStatus }) {
  const t = useT();
  return (
    <Badge color={WEBHOOK_COLORS[status] ?? "gray"} variant="light">
      {t(`webhook.${status}`)}
    </Badge>
  );
}
