/** The not-found page, also shown for shops the caller may not see (no hint that they exist). */

import { Button, Stack, Text, Title } from "@mantine/core";
import { Link } from "react-router-dom";

import { useT } from "../i18n/locale";

export function NotFound({ kind = "page", shopId = "" }: { kind?: "page" | "shop"; shopId?: string }) {
  const t = useT();
  return (
    <Stack align="flex-start" data-testid="not-found">
      <Title order={2}>{t("notFound.title")}</Title>
      <Text>{kind === "shop" ? t("notFound.shop", { shopId }) : t("notFound.page")}</Text>
      <Button component={Link} to="/shops" variant="light">
        {t("notFound.back")}
      </Button>
    </Stack>
  );
}
