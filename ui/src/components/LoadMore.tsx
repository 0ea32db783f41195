/** "Load more" for cursor-paginated lists that are short enough not to need virtualisation. */

import { Button, Center } from "@mantine/core";

import { useT } from "../i18n/locale";

export function LoadMore({
  hasNextPage,
  isFetchingNextPage,
  fetchNextPage,
}: {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}) {
  const t = useT();
  if (!hasNextPage) return null;
  return (
    <Center py="sm">
      <Button variant="subtle" loading={isFetchingNextPage} onClick={() => void fetchNextPage()}>
        {t("state.loadMore")}
      </Button>
    </Center>
  );
}
