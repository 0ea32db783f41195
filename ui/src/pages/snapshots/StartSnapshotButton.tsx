/** "Start snapshot": pick a resource (and optionally a since-date), start a run, open it. */

import { Anchor, Button, Group, Modal, SegmentedControl, Stack, Text } from "@mantine/core";
import { DateInput } from "@mantine/dates";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { ApiError } from "../../api/client";
import { useStartSnapshot } from "../../api/snapshots";
import { SNAPSHOT_RESOURCES, type SnapshotResource } from "../../api/types";
import { ErrorNotice } from "../../components/QueryState";
import { useT } from "../../i18n/locale";

export function StartSnapshotButton({ shopId }: { shopId: number }) {
  const t = useT();
  const navigate = useNavigate();
  const [opened, { open, close }] = useDisclosure(false);
  const [resource, setResource] = useState<SnapshotResource>("orders");
  const [since, setSince] = useState<string | null>(null);
  const start = useStartSnapshot(shopId);
  const runningId = start.error instanceof ApiError ? start.error.problem.run_id : undefined;

  const submit = () => {
    const body = since ? { resource, changed_since: new Date(since).toISOString() } : { resource };
    start.mutate(body, {
      onSuccess: (run) => {
        close();
        notifications.show({ message: t("runs.started", { id: run.id }), color: "teal" });
        navigate(`/shops/${shopId}/snapshot-runs/${run.id}`);
      },
    });
  };

  return (
    <>
      <Button
        onClick={() => {
          start.reset();
          open();
        }}
        data-testid="start-snapshot"
      >
        {t("runs.start")}
      </Button>
      <Modal opened={opened} onClose={close} title={t("runs.startTitle")}>
        <Stack>
          <div>
            <Text size="sm" fw={500} mb={4}>
              {t("runs.resource")}
            </Text>
            <SegmentedControl
              fullWidth
              value={resource}
              onChange={(value) => setResource(value as SnapshotResource)}
              data={SNAPSHOT_RESOURCES.map((r) => ({ value: r, label: t(`resource.${r}`) }))}
              data-testid="resource-picker"
            />
          </div>
          <DateInput label={t("runs.changedSince")} value={since} onChange={setSince} clearable />
          {start.error && <ErrorNotice error={start.error} />}
          {typeof runningId === "number" && (
            <Anchor component={Link} to={`/shops/${shopId}/snapshot-runs/${runningId}`} onClick={close}>
              {t("runs.alreadyRunning")}
            </Anchor>
          )}
          <Group justify="flex-end">
            <Button onClick={submit} loading={start.isPending} data-testid="start-snapshot-submit">
              {t("runs.startSubmit")}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
