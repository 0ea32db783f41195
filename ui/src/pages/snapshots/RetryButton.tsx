/** Retry a failed or cancelled run: the API starts a new run (`retry_of` = this one) and we open it. */

import { Button } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useNavigate } from "react-router-dom";

import { ApiError, errorMessage } from "../../api/client";
import { useRetrySnapshotRun } from "../../api/snapshots";
import type { SnapshotRun } from "../../api/types";
import { useT } from "../../i18n/locale";

export function RetryButton({ run, size = "xs" }: { run: SnapshotRun; size?: "xs" | "sm" }) {
  const t = useT();
  const navigate = useNavigate();
  const retry = useRetrySnapshotRun();
  if (run.status !== "failed" && run.status !== "cancelled") return null;
  return (
    <Button
      size={size}
      color="orange"
      variant="light"
      loading={retry.isPending}
      data-testid="retry-run"
      onClick={() =>
        retry.mutate(run.id, {
          onSuccess: (next) => {
            notifications.show({ message: t("runs.retried", { id: next.id }), color: "teal" });
            navigate(`/shops/${run.shop_id}/snapshot-runs/${next.id}`);
          },
          onError: (error) => {
            notifications.show({ title: t("runs.retry"), message: errorMessage(error), color: "red" });
            // "Already retried" names the run that retried it: open that one.
            const existing = error instanceof ApiError ? error.problem.run_id : undefined;
            if (typeof existing === "number") navigate(`/shops/${run.shop_id}/snapshot-runs/${existing}`);
          },
        })
      }
    >
      {t("runs.retry")}
    </Button>
  );
}

export function TemporalLink({ run, size = "xs" }: { run: SnapshotRun; size?: "xs" | "sm" }) {
  const t = useT();
  if (!run.temporal_url) return null;
  return (
    <Button
      component="a"
      href={run.temporal_url}
      target="_blank"
      rel="noreferrer"
      size={size}
      variant="subtle"
      data-testid="temporal-link"
    >
      {t("runs.temporal")}
    </Button>
  );
}
