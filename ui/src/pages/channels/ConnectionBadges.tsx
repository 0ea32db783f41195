// How a connection syncs, at a glance: its interval, and stock or catalog push when they differ
// from the default (shown on the channels page and in the shop settings' channel list).
import { Badge, Group, type MantineSize } from "@mantine/core";

import type { ChannelConnection } from "../../api/channels";
import { useChannelsT } from "./messages";

export function ConnectionBadges({ connection, size, mt }: { connection: ChannelConnection; size: MantineSize; mt?: number }) {
  const t = useChannelsT();
  return (
    <Group gap={4} mt={mt}>
      <Badge size={size} variant="outline" color="gray">
        {t("everyMinutes", { minutes: connection.sync_interval_minutes })}
      </Badge>
      {!connection.stock_push_enabled && (
        <Badge size={size} variant="outline" color="yellow">
          {t("stockPushOff")}
        </Badge>
      )}
      {connection.catalog_push_enabled && (
        <Badge size={size} variant="outline" color="blue">
          {t("catalogPushOn")}
        </Badge>
      )}
    </Group>
  );
}
