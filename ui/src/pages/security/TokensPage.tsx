/** The caller's API tokens (create with a name and expiry, list, revoke) and password change. */

import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  PasswordInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useState, type FormEvent } from "react";

import { errorMessage } from "../../api/client";
import { useApiTokens, useChangePassword, useCreateApiToken, useRevokeApiToken } from "../../api/security";
import type { ApiToken, ApiTokenState } from "../../api/types";
import { QueryState } from "../../components/QueryState";
import { useFormat } from "../../i18n/locale";
import { useSecurityT } from "./messages";

const EXPIRY_DAYS = ["30", "90", "365", "never"] as const;
const STATE_COLORS: Record<ApiTokenState, string> = { active: "green", expired: "gray", revoked: "red" };

function CreateToken() {
  const t = useSecurityT();
  const create = useCreateApiToken();
  const [name, setName] = useState("");
  const [expiry, setExpiry] = useState<string>("90");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), days: expiry === "never" ? null : Number(expiry) }, { onSuccess: () => setName("") });
  };
  return (
    <Stack gap="xs">
      <form onSubmit={submit}>
        <Group align="flex-end">
          <TextInput
            label={t("tokens.name")}
            placeholder={t("tokens.namePlaceholder")}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={100}
            required
            data-testid="token-name"
          />
          <Select
            label={t("tokens.expiry")}
            value={expiry}
            onChange={(v) => v && setExpiry(v)}
            allowDeselect={false}
            data={EXPIRY_DAYS.map((d) => ({ value: d, label: d === "never" ? t("tokens.never") : t("tokens.days", { days: d }) }))}
            w={160}
          />
          <Button type="submit" loading={create.isPending} disabled={!name.trim()} data-testid="token-create">
            {t("tokens.create")}
          </Button>
        </Group>
      </form>
      {create.error && <Text c="red">{errorMessage(create.error)}</Text>}
      {create.data && (
        <Alert color="green" data-testid="new-token">
          <Stack gap="xs">
            <Text size="sm">{t("tokens.created", { name: create.data.name })}</Text>
            <Group>
              <Code data-testid="new-token-value">{create.data.token}</Code>
              <CopyButton value={create.data.token}>
                {({ copied, copy }) => (
                  <Button size="xs" variant="light" onClick={copy}>
                    {copied ? t("tokens.copied") : t("tokens.copy")}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </Stack>
        </Alert>
      )}
    </Stack>
  );
}

function TokenRow({ token }: { token: ApiToken }) {
  const t = useSecurityT();
  const f = useFormat();
  const revoke = useRevokeApiToken();
  return (
    <Table.Tr data-testid="token-row" data-state={token.state}>
      <Table.Td>{token.name}</Table.Td>
      <Table.Td>
        <Badge color={STATE_COLORS[token.state]} variant="light">
          {t(`state.${token.state}`)}
        </Badge>
      </Table.Td>
      <Table.Td>{f.dateTime(token.created_at)}</Table.Td>
      <Table.Td>{token.last_used_at ? f.dateTime(token.last_used_at) : t("tokens.never.used")}</Table.Td>
      <Table.Td>{token.expires_at ? f.dateTime(token.expires_at) : t("tokens.never")}</Table.Td>
      <Table.Td>
        {token.state === "active" && (
          <Button size="xs" color="red" variant="light" loading={revoke.isPending} onClick={() => revoke.mutate(token.id)}>
            {t("tokens.revoke")}
          </Button>
        )}
        {revoke.error && (
          <Text size="xs" c="red">
            {errorMessage(revoke.error)}
          </Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function ChangePassword() {
  const t = useSecurityT();
  const change = useChangePassword();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          setCurrent("");
          setNext("");
        },
      },
    );
  };
  return (
    <Card withBorder>
      <form onSubmit={submit}>
        <Stack gap="xs" maw={420}>
          <Title order={3}>{t("password.title")}</Title>
          <PasswordInput label={t("password.current")} value={current} onChange={(e) => setCurrent(e.currentTarget.value)} required />
          <PasswordInput label={t("password.new")} value={next} onChange={(e) => setNext(e.currentTarget.value)} minLength={10} required />
          <Group>
            <Button type="submit" loading={change.isPending}>
              {t("password.submit")}
            </Button>
          </Group>
          {change.error && <Text c="red">{errorMessage(change.error)}</Text>}
          {change.isSuccess && <Text c="green">{t("password.changed")}</Text>}
        </Stack>
      </form>
    </Card>
  );
}

export function TokensPage() {
  const t = useSecurityT();
  const tokens = useApiTokens();
  return (
    <Stack>
      <Title order={2}>{t("tokens.title")}</Title>
      <Text size="sm" c="dimmed">
        {t("tokens.intro")}
      </Text>
      <CreateToken />
      <QueryState query={tokens} isEmpty={tokens.data?.length === 0} empty={t("tokens.empty")}>
        <Table striped data-testid="tokens-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("tokens.name")}</Table.Th>
              <Table.Th>{t("tokens.state")}</Table.Th>
              <Table.Th>{t("tokens.createdAt")}</Table.Th>
              <Table.Th>{t("tokens.lastUsed")}</Table.Th>
              <Table.Th>{t("tokens.expires")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(tokens.data ?? []).map((token) => (
              <TokenRow key={token.id} token={token} />
            ))}
          </Table.Tbody>
        </Table>
      </QueryState>
      <ChangePassword />
    </Stack>
  );
}
