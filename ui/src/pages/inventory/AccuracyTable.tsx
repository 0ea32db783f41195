/** How good the forecasts were: MASE per variant against seasonal naive (from the selection
 * backtest), and overall for the latest run. */

import { Table, Text } from "@mantine/core";

import { useInventoryAccuracy, type OverallAccuracy } from "../../api/inventory";
import { LinkButton } from "../../components/LinkButton";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import { useFormat } from "../../i18n/locale";
import { useInventoryT } from "./messages";

function Overall({ overall }: { overall: OverallAccuracy }) {
  const t = useInventoryT();
  const f = useFormat();
  return (
    <Text size="sm" mb="sm" data-testid="accuracy-overall">
      {t("overall", {
        mase: f.number(overall.mase, 2),
        naive: f.number(overall.naive_mase, 2),
        ratio: overall.relative_mase === null ? "–" : f.percent(100 * overall.relative_mase),
        share: overall.beats_naive_share === null ? "–" : f.percent(100 * overall.beats_naive_share),
      })}
    </Text>
  );
}

/** The regressor groups a variant's forecast kept ("weather,promotion"), in the UI language. */
function usedNames(used: string, t: ReturnType<typeof useInventoryT>): string {
  return used
    .split(",")
    .map((name) =>
      name === "weather" || name === "promotion" ? t(`regressor.${name}`) : name,
    )
    .join(", ");
}

export function AccuracyTable({ shopId, onOpen }: { shopId: number; onOpen: (code: string) => void }) {
  const t = useInventoryT();
  const f = useFormat();
  const list = useInventoryAccuracy(shopId);
  return (
    <QueryState query={list} isEmpty={list.items.length === 0} empty={t("accuracyEmpty")}>
      {list.overall && <Overall overall={list.overall} />}
      <Table striped verticalSpacing="xs" data-testid="accuracy-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("variant")}</Table.Th>
            <Table.Th>{t("pattern")}</Table.Th>
            <Table.Th>{t("model")}</Table.Th>
            <Table.Th ta="right">{t("mase")}</Table.Th>
            <Table.Th ta="right">{t("naiveMase")}</Table.Th>
            <Table.Th ta="right">{t("relative")}</Table.Th>
            <Table.Th ta="right">{t("regressorGain")}</Table.Th>
            <Table.Th ta="right">{t("observed")}</Table.Th>
            <Table.Th ta="right">{t("censored")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.items.map((v) => (
            <Table.Tr key={v.variant_code} data-testid="accuracy-row">
              <Table.Td>
                <LinkButton onClick={() => onOpen(v.variant_code)}>{v.variant_code}</LinkButton>
              </Table.Td>
              <Table.Td>{v.pattern ? t(`pattern.${v.pattern}` as "pattern.smooth") : "–"}</Table.Td>
              <Table.Td>{v.model}</Table.Td>
              <Table.Td ta="right">{f.number(v.mase, 2)}</Table.Td>
              <Table.Td ta="right">{f.number(v.naive_mase, 2)}</Table.Td>
              <Table.Td ta="right" c={v.relative_mae !== null && v.relative_mae < 1 ? "teal" : undefined}>
                {v.relative_mae === null ? "–" : f.percent(100 * v.relative_mae)}
              </Table.Td>
              <Table.Td
                ta="right"
                data-testid="regressor-gain"
                c={v.regressor_gain != null && v.regressor_gain >= 0.02 ? "teal" : undefined}
                title={
                  v.regressor_gain == null
                    ? undefined
                    : t("regressorGainHint", {
                        without: f.number(v.mase_without_regressors ?? null, 2),
                        with: f.number(v.mase_with_regressors ?? null, 2),
                      })
                }
              >
                {v.regressor_gain == null ? "–" : f.percent(100 * v.regressor_gain)}
                {v.regressors_used ? ` · ${usedNames(v.regressors_used, t)}` : ""}
              </Table.Td>
              <Table.Td ta="right">{f.number(v.n_observed)}</Table.Td>
              <Table.Td ta="right">{f.number(v.n_censored)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <LoadMore {...list} />
    </QueryState>
  );
}
