/** The shop settings page's Sales channels section: each connection's sync interval and push
 * state, and (owner only) its settings form, the same as on the Sales channels page. */

import { Anchor, Button, Group, Modal, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router-dom";

import { useMe } from "../../api/auth";
import { useChannels, type ChannelConnection } from "../../api/channels";
import { QueryState } from "../../components/QueryState";
import { useCurrentShop } from "../../components/ShopScope";
import { ChannelSettingsForm } from "./ChannelSettingsForm";
import { ConnectionBadges } from "./ConnectionBadges";
import { useChannelsT } from "./messages";

export function ChannelSettingsPanel() {
  const t = useChannelsT();
  const shop = useCurrentShop();
  const me = useMe();
  const isOwner = me.data?.role === "admin" || shop.role === "owner";
  const channels = useChannels(shop.id);
  const [editing, setEditing] = useState<ChannelConnection | null>(null);
  return (
    <Paper withBorder p="md" data-testid="channel-settings-panel">
      <Stack gap="xs">
        <Group justify="space-between" align="baseline">
          <Title order={3}>{t("title")}</Title>
          <Anchor component={Link} to={`/shops/${shop.id}/channels`} size="sm">
            {t("openChannels")}
          </Anchor>
        </Group>
        {!isOwner && (
          <Text size="sm" c="dimmed">
            {t("settingsOwnerOnly")}
          </Text>
        )}
        <QueryState query={channels} isEmpty={(channels.data ?? []).length === 0} empty={t("empty")}>
          <Table>
            <Table.Tbody>
              {(channels.data ?? []).map((c) => (
                <Table.Tr key={c.id} data-testid="channel-settings-row">
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {c.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {c.base_url}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <ConnectionBadges connection={c} size="sm" />
                  </Table.Td>
                  <Table.Td ta="right">
                    {isOwner && (
                      <Button size="xs" variant="light" onClick={() => setEditing(c)} aria-label={`${t("settings")} ${c.name}`}>
                        {t("settings")}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </QueryState>
      </Stack>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing ? t("settingsTitle", { name: editing.name }) : ""}>
        {editing && <ChannelSettingsForm shopId={shop.id} connection={editing} onClose={() => setEditing(null)} />}
      </Modal>
    </Paper>
  );
}
