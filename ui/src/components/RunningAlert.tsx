/** A run in progress: its phase as the title, a bar of `done` of `total`, and the count in words. */

import { Alert, Progress, Stack, Text } from "@mantine/core";

export function RunningAlert({
  title,
  done,
  total,
  count,
  testId,
}: {
  title: string;
  done: number;
  total: number;
  count: string;
  testId: string;
}) {
  return (
    <Alert color="blue" title={title} data-testid={testId}>
      <Stack gap={4}>
        <Progress value={total ? (100 * done) / total : 0} animated />
        <Text size="sm">{count}</Text>
      </Stack>
    </Alert>
  );
}
