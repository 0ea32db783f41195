/** What to order: variant, quantity, supplier, order-by date and expected cost, soonest first,
 * in cursor pages; the same list as a streamed CSV download. */

import { Badge, Button, Group, Table, Text } from "@mantine/core";

import { recommendationsCsvUrl, useRecommendations } from "../../api/inventory";
import { LinkButton } from "../../components/LinkButton";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import { useFormat } from "../../i18n/locale";
import { useInventoryT } from "./messages";

export function RecommendationsTable({ shopId, onOpen }: { shopId: number; onOpen: (code: string) => void }) {
  const t = useInventoryT();
  const f = useFormat();
  const list = useRecommendations(shopId);
  return (
    <>
      <Group justify="flex-end" mb="sm">
        <Button component="a" href={recommendationsCsvUrl(shopId)} download variant="light" data-testid="export-csv">
          {t("exportCsv")}
        </Button>
      </Group>
      <QueryState query={list} isEmpty={list.items.length === 0} empty={t("recommendationsEmpty")}>
        <Table striped verticalSpacing="xs" data-testid="recommendations-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("variant")}</Table.Th>
              <Table.Th ta="right">{t("quantity")}</Table.Th>
              <Table.Th>{t("supplier")}</Table.Th>
              <Table.Th>{t("orderBy")}</Table.Th>
              <Table.Th ta="right">{t("unitPrice")}</Table.Th>
              <Table.Th ta="right">{t("expectedCost")}</Table.Th>
              <Table.Th ta="right">{t("onHand")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((line) => (
              <Table.Tr key={line.id} data-testid="recommendation-row">
                <Table.Td>
                  <LinkButton onClick={() => onOpen(line.variant_code)} detail={line.variant_name}>
                    {line.variant_code}
                  </LinkButton>
                </Table.Td>
                <Table.Td ta="right">
                  {f.number(line.quantity)}
                  {line.packs !== null && (
                    <Text size="xs" c="dimmed">
                      {t("packs", { packs: f.number(line.packs) })}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {line.supplier_name ?? (
                    <Badge color="orange" variant="light" title={line.note ?? undefined}>
                      {t("noSupplier")}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{f.date(line.order_by)}</Table.Td>
                <Table.Td ta="right">{f.money(line.unit_price, line.currency)}</Table.Td>
                <Table.Td ta="right">{f.money(line.expected_cost, line.currency)}</Table.Td>
                <Table.Td ta="right">{f.number(line.on_hand)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...list} />
      </QueryState>
    </>
  );
}
