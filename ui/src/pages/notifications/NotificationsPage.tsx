/** Notifications for the caller's shops: newest first, unread filter, mark one or all read. */

import { Badge, Button, Card, Group, SegmentedControl, Stack, Text, Title } from "@mantine/core";
import { useState } from "react";

import { useMe } from "../../api/auth";
import { errorMessage } from "../../api/client";
import { useMarkAllRead, useMarkRead, useNotifications } from "../../api/notifications";
import type { Notification } from "../../api/types";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import { useFormat, useLocale, useT } from "../../i18n/locale";
import { PreferencesPanel } from "./PreferencesPanel";
import type { MessageKey } from "../../i18n/messages";

const LEVEL_COLORS: Record<string, string> = { info: "blue", warning: "yellow", critical: "red" };

const LEVELS = ["info", "warning", "critical"];

function NotificationCard({ item, shopName }: { item: Notification; shopName: string | null }) {
  const t = useT();
  const f = useFormat();
  const markRead = useMarkRead();
  const { locale } = useLocale();
  // every notifier writes its Czech words in data.title_cs / data.body_cs (db/notify.py); older rows may lack them
  const data = (item.data ?? {}) as Record<string, unknown>;
  const czech = (key: string) => (locale === "cs" && typeof data[key] === "string" ? (data[key] as string) : null);
  const title = czech("title_cs") ?? item.title;
  const body = czech("body_cs") ?? item.body;
  const level = LEVELS.includes(item.level) ? t(`notifications.level.${item.level}` as MessageKey) : item.level;
  return (
    <Card withBorder padding="sm" data-testid="notification" data-read={item.read_at ? "yes" : "no"} opacity={item.read_at ? 0.7 : 1}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={4}>
          <Group gap="xs">
            <Badge color={LEVEL_COLORS[item.level] ?? "gray"} variant="light">
              {level}
            </Badge>
            <Text fw={item.read_at ? 400 : 600}>{title}</Text>
          </Group>
          {body && <Text size="sm">{body}</Text>}
          <Text size="xs" c="dimmed">
            {[shopName, f.dateTime(item.created_at), item.read_at && t("notifications.read", { when: f.dateTime(item.read_at) })]
              .filter(Boolean)
              .join(" · ")}
          </Text>
          {markRead.error && (
            <Text size="xs" c="red">
              {errorMessage(markRead.error)}
            </Text>
          )}
        </Stack>
        {!item.read_at && (
          <Button size="xs" variant="light" loading={markRead.isPending} onClick={() => markRead.mutate(item.id)}>
            {t("notifications.markRead")}
          </Button>
        )}
      </Group>
    </Card>
  );
}

export function NotificationsPage() {
  const t = useT();
  const me = useMe();
  const [filter, setFilter] = useState<"all" | "unread">("all");
  const list = useNotifications({ unread: filter === "unread" });
  const markAll = useMarkAllRead();
  const shopNames = new Map((me.data?.shops ?? []).map((shop) => [shop.id, shop.name]));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("notifications.title")}</Title>
        <Group>
          <SegmentedControl
            value={filter}
            onChange={(v) => setFilter(v as "all" | "unread")}
            data={[
              { value: "all", label: t("webhooks.all") },
              { value: "unread", label: t("notifications.unreadOnly") },
            ]}
          />
          <Button variant="light" loading={markAll.isPending} onClick={() => markAll.mutate()}>
            {t("notifications.markAllRead")}
          </Button>
        </Group>
      </Group>
      {markAll.error && <Text c="red">{errorMessage(markAll.error)}</Text>}
      <QueryState query={list} isEmpty={list.items.length === 0} empty={t("notifications.empty")}>
        <Stack gap="xs">
          {list.items.map((item) => (
            <NotificationCard key={item.id} item={item} shopName={item.shop_id === null ? null : (shopNames.get(item.shop_id) ?? null)} />
          ))}
        </Stack>
        <LoadMore {...list} />
      </QueryState>
      <PreferencesPanel />
    </Stack>
  );
}
