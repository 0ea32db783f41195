/** The Suppliers page's strings in English and Czech (`{name}` is filled in at run time). */

import { useCallback } from "react";

import { useLocale } from "../../../i18n/locale";

const en = {
  title: "Suppliers",
  intro:
    "Who you buy from and at what terms. The nightly planning chooses among these offers, so its recommendations name a supplier; without an offer a variant is recommended with no supplier and cannot be ordered.",
  addSupplier: "Add supplier",
  editSupplier: "Edit supplier",
  deleteSupplier: "Delete",
  name: "Name",
  email: "E-mail",
  currency: "Currency",
  leadTime: "Lead time",
  leadTimeDays: "Lead time (days, mean)",
  leadTimeSd: "Lead time spread (days, SD)",
  leadTimeHelp: "Days from ordering to the goods on the shelf; the spread is how much that varies.",
  orderCost: "Cost per order",
  orderCostHelp: "What one order with this supplier costs you besides the goods (shipping, handling).",
  offers: "Offers",
  offersOf: "Offers of {supplier}",
  suppliersEmpty: "No suppliers yet. Add the first one, or import offers after adding their suppliers.",
  offersEmpty: "This supplier has no offers yet.",
  pickSupplier: "Pick a supplier to see and edit its offers.",
  addOffer: "Add offer",
  editOffer: "Edit offer",
  deleteOffer: "Remove",
  variantCode: "Variant code",
  unitPrice: "Unit price",
  moq: "Minimum order (units)",
  packSize: "Pack size (units)",
  priceBreaks: "Price breaks",
  priceBreaksHelp: "All-units discounts: from this quantity on, every unit costs this price.",
  minQuantity: "From quantity",
  breakPrice: "Unit price",
  addBreak: "Add a price break",
  removeBreak: "Remove",
  offerLeadTimeHelp: "Leave empty to use the supplier's lead time.",
  suppliersLeadTime: "supplier's",
  save: "Save",
  cancel: "Cancel",
  saved: "Saved.",
  deleted: "Deleted.",
  saveFailed: "Not saved",
  deleteFailed: "Not deleted",
  importCsv: "Import offers (CSV)",
  importHelp:
    "Columns: supplier, variant_code, unit_price, moq, pack_size, price_breaks (50:90|100:85), lead_time_days, lead_time_sd_days. Comma or semicolon separated, decimal comma accepted, UTF-8.",
  importFailed: "The file was not imported",
  imported: "Imported {imported} offers ({created} new, {updated} updated); {rejected} rows rejected.",
  rejectedRow: "Line",
  rejectedReason: "Why it was rejected",
  confirmDelete: "Delete {name} and all its offers?",
  perUnit: "{price} / unit",
  breakFrom: "from {quantity}: {price}",
};

const cs: Record<keyof typeof en, string> = {
  title: "Dodavatelé",
  intro:
    "Od koho nakupujete a za jakých podmínek. Noční plánování vybírá z těchto nabídek, takže doporučení nákupu uvádějí dodavatele; variantu bez nabídky doporučí bez dodavatele a nelze ji objednat.",
  addSupplier: "Přidat dodavatele",
  editSupplier: "Upravit dodavatele",
  deleteSupplier: "Smazat",
  name: "Název",
  email: "E-mail",
  currency: "Měna",
  leadTime: "Dodací lhůta",
  leadTimeDays: "Dodací lhůta (dny, průměr)",
  leadTimeSd: "Rozptyl dodací lhůty (dny, směrodatná odchylka)",
  leadTimeHelp: "Dny od objednání po zboží na skladě; rozptyl říká, jak moc se to mění.",
  orderCost: "Náklady na objednávku",
  orderCostHelp: "Co vás stojí jedna objednávka u tohoto dodavatele kromě zboží (doprava, manipulace).",
  offers: "Nabídky",
  offersOf: "Nabídky dodavatele {supplier}",
  suppliersEmpty: "Zatím žádní dodavatelé. Přidejte prvního, nebo po přidání dodavatelů naimportujte nabídky.",
  offersEmpty: "Tento dodavatel zatím nemá žádné nabídky.",
  pickSupplier: "Vyberte dodavatele a uvidíte a upravíte jeho nabídky.",
  addOffer: "Přidat nabídku",
  editOffer: "Upravit nabídku",
  deleteOffer: "Odebrat",
  variantCode: "Kód varianty",
  unitPrice: "Cena za kus",
  moq: "Minimální objednávka (ks)",
  packSize: "Velikost balení (ks)",
  priceBreaks: "Množstevní slevy",
  priceBreaksHelp: "Sleva na všechny kusy: od tohoto množství stojí každý kus tuto cenu.",
  minQuantity: "Od množství",
  breakPrice: "Cena za kus",
  addBreak: "Přidat množstevní slevu",
  removeBreak: "Odebrat",
  offerLeadTimeHelp: "Prázdné: platí dodací lhůta dodavatele.",
  suppliersLeadTime: "dodavatele",
  save: "Uložit",
  cancel: "Zrušit",
  saved: "Uloženo.",
  deleted: "Smazáno.",
  saveFailed: "Neuloženo",
  deleteFailed: "Nesmazáno",
  importCsv: "Importovat nabídky (CSV)",
  importHelp:
    "Sloupce: supplier, variant_code, unit_price, moq, pack_size, price_breaks (50:90|100:85), lead_time_days, lead_time_sd_days. Oddělené čárkou nebo středníkem, desetinná čárka povolena, UTF-8.",
  importFailed: "Soubor se nepodařilo naimportovat",
  imported: "Naimportováno nabídek: {imported} (nových {created}, upravených {updated}); odmítnutých řádků: {rejected}.",
  rejectedRow: "Řádek",
  rejectedReason: "Proč byl odmítnut",
  confirmDelete: "Smazat {name} a všechny jeho nabídky?",
  perUnit: "{price} / ks",
  breakFrom: "od {quantity}: {price}",
};

const MESSAGES = { en, cs };
export type SuppliersMessageKey = keyof typeof en;

export function useSuppliersT() {
  const { locale } = useLocale();
  return useCallback(
    (key: SuppliersMessageKey, vars: Record<string, string | number> = {}) =>
      (MESSAGES[locale][key] ?? en[key]).replace(/\{(\w+)\}/g, (whole, name: string) =>
        name in vars ? String(vars[name]) : whole,
      ),
    [locale],
  );
}
