/** Sign in with e-mail and password; the API sets the session cookie. */

import { Button, Center, Group, Paper, PasswordInput, SegmentedControl, Stack, TextInput, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";

import { useMe, useSignIn } from "../../api/auth";
import type { Locale } from "../../api/types";
import { ErrorNotice } from "../../components/QueryState";
import { useLocale, useT } from "../../i18n/locale";

/** Only same-site paths are followed after sign-in. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/shops";
}

export function SignInPage() {
  const t = useT();
  const me = useMe();
  const signIn = useSignIn();
  const { locale, setLocale, followProfile } = useLocale();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const next = safeNext(params.get("next"));

  if (me.data) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate(
      { email, password },
      {
        onSuccess: () => {
          followProfile();
          navigate(next, { replace: true });
        },
      },
    );
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w={380}>
        <form onSubmit={submit}>
          <Stack>
            <Group justify="space-between" wrap="nowrap">
              <Title order={2}>{t("signin.title")}</Title>
              <SegmentedControl
                size="xs"
                aria-label={t("header.language")}
                value={locale}
                onChange={(value) => setLocale(value as Locale)}
                data={[
                  { value: "cs", label: "CS" },
                  { value: "en", label: "EN" },
                ]}
                data-testid="locale-switcher"
              />
            </Group>
            {signIn.error && <ErrorNotice error={signIn.error} />}
            <TextInput
              label={t("signin.email")}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
            />
            <PasswordInput
              label={t("signin.password")}
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={signIn.isPending}>
              {t("signin.submit")}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
