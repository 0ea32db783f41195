/** Filters of the orders list (date range, status, channel, text); they live in the URL's query string. */

import { Button, Group, Select, TextInput } from "@mantine/core";
import { DateInput } from "@mantine/dates";
import { useDebouncedValue } from "@mantine/hooks";
import { useEffect, useState } from "react";

import { errorMessage } from "../../api/client";
import { useOrderStatuses } from "../../api/orders";
import { SALES_CHANNELS } from "../../api/types";
import { useFormat, useLocale, useT } from "../../i18n/locale";

export type FilterValues = {
  from: string | null;
  to: string | null;
  status: string | null;
  channel: string | null;
  q: string;
};

export function OrderFiltersBar({
  shopId,
  values,
  onChange,
}: {
  shopId: number;
  values: FilterValues;
  onChange: (values: FilterValues) => void;
}) {
  const t = useT();
  const f = useFormat();
  const { locale } = useLocale();
  const dateFormat = locale === "cs" ? "D. M. YYYY" : "D MMM YYYY";
  const statuses = useOrderStatuses(shopId);
  const [text, setText] = useState(values.q);
  const [debounced] = useDebouncedValue(text, 300);

  useEffect(() => {
    if (debounced !== values.q) onChange({ ...values, q: debounced });
    // only the debounced text triggers this; the other filter values are read as they are then
  }, [debounced]);

  return (
    <Group align="flex-end" gap="sm">
      <DateInput
        label={t("orders.from")}
        value={values.from}
        onChange={(from) => onChange({ ...values, from })}
        clearable
        w={160}
        valueFormat={dateFormat}
      />
      <DateInput
        label={t("orders.to")}
        value={values.to}
        onChange={(to) => onChange({ ...values, to })}
        clearable
        w={160}
        valueFormat={dateFormat}
      />
      <Select
        label={t("orders.status")}
        placeholder={t("orders.anyStatus")}
        value={values.status}
        onChange={(status) => onChange({ ...values, status })}
        data={(statuses.data ?? []).map((s) => ({ value: String(s.id), label: `${s.name} (${f.number(s.count)})` }))}
        error={statuses.error ? errorMessage(statuses.error) : undefined}
        clearable
        searchable
        w={240}
      />
      <Select
        label={t("orders.channel")}
        placeholder={t("orders.anyChannel")}
        value={values.channel}
        onChange={(channel) => onChange({ ...values, channel })}
        data={SALES_CHANNELS.map((c) => ({ value: c, label: t(`channel.${c}`) }))}
        clearable
        w={180}
        data-testid="orders-channel"
      />
      <TextInput
        label={t("orders.search")}
        description={text.trim().length > 0 && text.trim().length < 3 ? t("orders.searchMin") : undefined}
        inputWrapperOrder={["label", "input", "description"]}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        w={260}
        data-testid="orders-q"
      />
      <Button
        variant="subtle"
        onClick={() => {
          setText("");
          onChange({ from: null, to: null, status: null, channel: null, q: "" });
        }}
      >
        {t("orders.clear")}
      </Button>
    </Group>
  );
}
