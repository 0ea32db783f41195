/** "Run now" for a shop's analytics run: starts it, and says whether it started or was already running. */

import { Button } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import type { UseMutationResult } from "@tanstack/react-query";

import { errorMessage } from "../api/client";

export function RunNowButton<Answer extends { started: boolean }>({
  run,
  label,
  started,
  alreadyRunning,
}: {
  run: UseMutationResult<Answer, Error, void>;
  label: string;
  started: string;
  alreadyRunning: string;
}) {
  return (
    <Button
      loading={run.isPending}
      onClick={() =>
        run.mutate(undefined, {
          onSuccess: (answer) => notifications.show({ message: answer.started ? started : alreadyRunning }),
          onError: (error) => notifications.show({ color: "red", message: errorMessage(error) }),
        })
      }
    >
      {label}
    </Button>
  );
}
