/** The header's search box: Ctrl+K or "/" opens it, results come grouped by kind, arrow keys
 * move through them and Enter opens the record (order drawer, inventory view, customer view). */

import { Badge, Button, Group, Kbd, Loader, Modal, Stack, Text, TextInput, UnstyledButton } from "@mantine/core";
import { useDebouncedValue, useHotkeys } from "@mantine/hooks";
import { Fragment, useEffect, useMemo, useState, type KeyboardEvent } from "react";
import { useNavigate } from "react-router-dom";

import { errorMessage } from "../../api/client";
import { hitPath, MAX_QUERY, useSearch, type SearchHit, type SearchKind } from "../../api/search";
import { useSearchT } from "./messages";

const GROUPS: SearchKind[] = ["product", "order", "customer"];

/** The highlight's <mark> parts as React nodes: the text itself is never parsed as HTML. */
export function Highlight({ text }: { text: string }) {
  const parts = text.split(/<mark>|<\/mark>/);
  return (
    <>
      {parts.map((part, i) => (i % 2 === 1 ? <mark key={i}>{part}</mark> : <Fragment key={i}>{part}</Fragment>))}
    </>
  );
}

/** Hits in the order they are shown: grouped by kind, best first within a group. */
export function groupHits(hits: SearchHit[]): { kind: SearchKind; hits: SearchHit[] }[] {
  return GROUPS.map((kind) => ({ kind, hits: hits.filter((h) => h.kind === kind) })).filter((g) => g.hits.length);
}

export function GlobalSearch() {
  const t = useSearchT();
  const navigate = useNavigate();
  const [opened, setOpened] = useState(false);
  const [q, setQ] = useState("");
  const [debounced] = useDebouncedValue(q, 150);
  const [active, setActive] = useState(0);
  const search = useSearch(debounced);
  useHotkeys([
    ["mod+K", () => setOpened(true)],
    ["/", () => setOpened(true)],
  ]);
  const groups = useMemo(() => groupHits(search.data?.hits ?? []), [search.data]);
  const ordered = useMemo(() => groups.flatMap((g) => g.hits), [groups]);
  useEffect(() => setActive(0), [search.data]);

  const open = (hit: SearchHit | undefined) => {
    if (!hit) return;
    setOpened(false);
    setQ("");
    navigate(hitPath(hit));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      setActive((i) => Math.min(i + 1, ordered.length - 1));
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      setActive((i) => Math.max(i - 1, 0));
    } else if (event.key === "Enter") {
      event.preventDefault();
      open(ordered[active]);
    }
  };
  const text = debounced.trim();

  return (
    <>
      <Button variant="default" size="xs" onClick={() => setOpened(true)} data-testid="search-open"
        rightSection={<Kbd size="xs">{t("shortcut")}</Kbd>}>
        {t("open")}
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title={t("label")} size="lg">
        <Stack gap="xs">
          <TextInput
            data-autofocus
            aria-label={t("label")}
            placeholder={t("placeholder")}
            value={q}
            onChange={(event) => setQ(event.currentTarget.value)}
            onKeyDown={onKeyDown}
            maxLength={MAX_QUERY}
            rightSection={search.isFetching ? <Loader size="xs" /> : null}
            role="combobox"
            aria-expanded={ordered.length > 0}
            aria-controls="global-search-results"
            aria-activedescendant={ordered[active] ? `search-hit-${active}` : undefined}
          />
          {!text && <Text size="xs" c="dimmed">{t("hint")}</Text>}
          {search.isError && <Text size="sm" c="red">{t("failed", { error: errorMessage(search.error) })}</Text>}
          {text && search.isSuccess && ordered.length === 0 && !search.isFetching && (
            <Text size="sm" c="dimmed" data-testid="search-empty">{t("empty", { q: text })}</Text>
          )}
          <Stack gap={4} id="global-search-results" role="listbox" aria-label={t("label")}>
            {groups.map((group) => (
              <Stack gap={2} key={group.kind}>
                <Text size="xs" fw={700} c="dimmed" tt="uppercase">{t(`group.${group.kind}`)}</Text>
                {group.hits.map((hit) => {
                  const index = ordered.indexOf(hit);
                  const selected = index === active;
                  return (
                    <UnstyledButton
                      key={`${hit.shop_id}:${hit.kind}:${hit.ref}`}
                      id={`search-hit-${index}`}
                      role="option"
                      aria-selected={selected}
                      onMouseEnter={() => setActive(index)}
                      onClick={() => open(hit)}
                      p={6}
                      style={{ borderRadius: 4, background: selected ? "var(--mantine-color-blue-light)" : undefined }}
                    >
                      <Group justify="space-between" wrap="nowrap">
                        <Stack gap={0}>
                          <Text size="sm"><Highlight text={hit.highlight} /></Text>
                          {hit.subtitle && <Text size="xs" c="dimmed">{hit.subtitle}</Text>}
                        </Stack>
                        {hit.status && <Badge variant="light" size="sm">{hit.status}</Badge>}
                      </Group>
                    </UnstyledButton>
                  );
                })}
              </Stack>
            ))}
          </Stack>
        </Stack>
      </Modal>
    </>
  );
}
