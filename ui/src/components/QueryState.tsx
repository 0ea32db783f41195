/** The one loading / empty / error presentation every page uses; errors show the API's message. */

import { Alert, Button, Center, Group, Loader, Stack, Text } from "@mantine/core";
import type { ReactNode } from "react";

import { errorMessage } from "../api/client";
import { useT } from "../i18n/locale";

export function ErrorNotice({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const t = useT();
  return (
    <Alert color="red" title={title ?? t("state.error")} role="alert" data-testid="error-state">
      <Stack gap="xs">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry && (
          <Group>
            <Button size="xs" variant="light" color="red" onClick={onRetry}>
              {t("state.retry")}
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

export function LoadingState({ label }: { label?: string }) {
  const t = useT();
  return (
    <Center py="xl" role="status" data-testid="loading-state">
      <Group gap="sm">
        <Loader size="sm" />
        <Text c="dimmed">{label ?? t("state.loading")}</Text>
      </Group>
    </Center>
  );
}

export function EmptyState({ children }: { children?: ReactNode }) {
  const t = useT();
  return (
    <Center py="xl" data-testid="empty-state">
      <Text c="dimmed">{children ?? t("state.empty")}</Text>
    </Center>
  );
}

type QueryLike = { isPending: boolean; error: unknown; data?: unknown; refetch?: () => unknown };

/**
 * Shows the query's loading or error state, the empty state when `isEmpty`, else the children.
 * An error after data arrived (e.g. a failed refetch or next page) is shown above the data.
 */
export function QueryState({
  query,
  isEmpty = false,
  empty,
  children,
}: {
  query: QueryLike;
  isEmpty?: boolean;
  empty?: ReactNode;
  children: ReactNode;
}) {
  const retry = query.refetch ? () => void query.refetch?.() : undefined;
  if (query.error && query.data === undefined) return <ErrorNotice error={query.error} onRetry={retry} />;
  if (query.isPending) return <LoadingState />;
  return (
    <>
      {query.error ? <ErrorNotice error={query.error} onRetry={retry} /> : null}
      {isEmpty ? <EmptyState>{empty}</EmptyState> : children}
    </>
  );
}
