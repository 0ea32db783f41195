/** The caller's notification delivery rules: per kind (or family, or every kind) the lowest
 * level and the channels; and the Slack webhook, which is never shown back (a secret). */

import { Alert, Button, Card, Checkbox, Group, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { useEffect, useState } from "react";

import { errorMessage } from "../../api/client";
import { type PreferenceRule, usePreferences, useSavePreferences } from "../../api/notifications";
import { useT } from "../../i18n/locale";
import type { MessageKey } from "../../i18n/messages";
import { type ReportsKey, useReportsT } from "../reports/messages";

export function PreferencesPanel() {
  const t = useReportsT();
  const common = useT();
  const prefs = usePreferences();
  const save = useSavePreferences();
  const [rules, setRules] = useState<PreferenceRule[]>([]);
  const [slack, setSlack] = useState("");
  useEffect(() => {
    if (prefs.data) setRules(prefs.data.rules);
  }, [prefs.data]);
  if (!prefs.data) return null;
  const families = Array.from(new Set(prefs.data.kinds.map((k) => `${k.kind.split(".")[0]}.`)));
  const kindOptions = [
    { value: "*", label: t("prefs.allKinds") },
    ...families.map((f) => ({ value: f, label: `${f}*` })),
    ...prefs.data.kinds.map((k) => ({ value: k.kind, label: `${k.kind} – ${k.description}` })),
  ];
  const update = (i: number, change: Partial<PreferenceRule>) =>
    setRules(rules.map((rule, j) => (j === i ? { ...rule, ...change } : rule)));
  const submit = (clearSlack = false) =>
    save.mutate({ rules, ...(clearSlack ? { slack_webhook_url: "" } : slack ? { slack_webhook_url: slack } : {}) });

  return (
    <Card withBorder data-testid="notification-preferences">
      <Stack>
        <Title order={3}>{t("prefs.title")}</Title>
        <Text size="sm" c="dimmed">
          {t("prefs.help")}
        </Text>
        {rules.map((rule, i) => (
          <Group key={i} align="flex-end">
            <Select
              label={t("prefs.kind")}
              data={kindOptions}
              value={rule.kind}
              onChange={(v) => update(i, { kind: v ?? "*" })}
              searchable
              w={320}
            />
            <Select
              label={t("prefs.minLevel")}
              data={prefs.data.levels.map((l) => ({ value: l, label: common(`notifications.level.${l}` as MessageKey) }))}
              value={rule.min_level}
              onChange={(v) => update(i, { min_level: v ?? "info" })}
              w={140}
            />
            <Checkbox.Group label={t("prefs.channels")} value={rule.channels} onChange={(v) => update(i, { channels: v })}>
              <Group>
                {prefs.data.channels.map((c) => (
                  <Checkbox key={c} value={c} label={t(`prefs.channel.${c}` as ReportsKey)} />
                ))}
              </Group>
            </Checkbox.Group>
            <Button variant="subtle" color="red" onClick={() => setRules(rules.filter((_, j) => j !== i))}>
              {t("prefs.remove")}
            </Button>
          </Group>
        ))}
        <Group>
          <Button variant="light" onClick={() => setRules([...rules, { kind: "*", min_level: "warning", channels: ["in_app", "email"] }])}>
            {t("prefs.addRule")}
          </Button>
        </Group>
        <TextInput
          label={t("prefs.slack")}
          description={prefs.data.slack_webhook_set ? t("prefs.slackSet") : undefined}
          placeholder="https://hooks.slack.com/services/…"
          value={slack}
          onChange={(e) => setSlack(e.currentTarget.value)}
        />
        {save.error && <Alert color="red">{errorMessage(save.error)}</Alert>}
        {save.isSuccess && <Text c="green">{t("prefs.saved")}</Text>}
        <Group>
          <Button loading={save.isPending} onClick={() => submit()}>
            {t("prefs.save")}
          </Button>
          {prefs.data.slack_webhook_set && (
            <Button variant="subtle" color="red" onClick={() => submit(true)}>
              {t("prefs.slackClear")}
            </Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}
