/** The feeds and resellers page's strings in English and Czech (`{name}` is filled in at run time). */

import { useCallback } from "react";

import { useLocale } from "../../i18n/locale";

const en = {
  title: "Feeds and resellers",
  feedsTitle: "Catalog feeds",
  feedsIntro:
    "Your catalog for Heureka, Zboží.cz, Google Merchant / Meta and idealo, regenerated every hour. Give each marketplace its address below; whoever has the address can read the feed.",
  feedsOff: "Feeds are off for this shop.",
  enable: "Publish feeds",
  enabled: "Feeds are published",
  outOfStockDays: "Days to dispatch when out of stock",
  carriers: "Carriers (Heureka and Zboží.cz DELIVERY)",
  carriersHelp: "One per line: ID;price;cash-on-delivery price, e.g. PPL;89;119",
  save: "Save",
  saved: "Saved",
  generateNow: "Generate now",
  generating: "Generation started; the files change when it finishes.",
  newAddress: "New addresses",
  confirmNewAddress: "The current addresses stop working at once; every marketplace needs the new ones. Continue?",
  generatedAt: "Last generated {when}",
  neverGenerated: "Not generated yet",
  items: "{count} items",
  format: "Format",
  address: "Address",
  resellersTitle: "Resellers (B2B API)",
  resellersIntro:
    "Resellers read your catalog with stock at their prices and send orders through the API; their orders appear among your orders with the channel “b2b”. Each key is shown only once.",
  ownerOnly: "Only the shop's owner manages resellers.",
  resellersEmpty: "No resellers yet.",
  name: "Name",
  email: "E-mail",
  discount: "Discount (%)",
  addReseller: "Add reseller",
  keys: "API keys",
  newKey: "New key",
  keyName: "Key name",
  keyShownOnce: "Copy this key now; it will not be shown again:",
  revoke: "Revoke",
  revokeKey: "Revoke key {prefix}",
  revoked: "revoked",
  confirmRevokeReseller: "Revoke {name} and all their keys? Their orders stay.",
  lastUsed: "last used {when}",
  neverUsed: "never used",
  close: "Close",
};

const cs: Record<keyof typeof en, string> = {
  title: "Feedy a velkoodběratelé",
  feedsTitle: "Katalogové feedy",
  feedsIntro:
    "Váš katalog pro Heureku, Zboží.cz, Google Merchant / Meta a idealo, přegenerovaný každou hodinu. Každému srovnávači dejte jeho adresu níže; kdo adresu zná, může feed číst.",
  feedsOff: "Feedy jsou pro tento obchod vypnuté.",
  enable: "Zveřejnit feedy",
  enabled: "Feedy jsou zveřejněné",
  outOfStockDays: "Dny do odeslání, když zboží není skladem",
  carriers: "Dopravci (DELIVERY pro Heureku a Zboží.cz)",
  carriersHelp: "Jeden na řádek: ID;cena;cena na dobírku, např. PPL;89;119",
  save: "Uložit",
  saved: "Uloženo",
  generateNow: "Vygenerovat teď",
  generating: "Generování začalo; soubory se změní, až doběhne.",
  newAddress: "Nové adresy",
  confirmNewAddress: "Současné adresy okamžitě přestanou fungovat; každý srovnávač potřebuje nové. Pokračovat?",
  generatedAt: "Naposledy vygenerováno {when}",
  neverGenerated: "Zatím nevygenerováno",
  items: "{count} položek",
  format: "Formát",
  address: "Adresa",
  resellersTitle: "Velkoodběratelé (B2B API)",
  resellersIntro:
    "Velkoodběratelé čtou váš katalog se skladem za své ceny a posílají objednávky přes API; jejich objednávky uvidíte mezi svými objednávkami s kanálem „b2b“. Každý klíč se zobrazí jen jednou.",
  ownerOnly: "Velkoodběratele spravuje jen vlastník obchodu.",
  resellersEmpty: "Zatím žádní velkoodběratelé.",
  name: "Název",
  email: "E-mail",
  discount: "Sleva (%)",
  addReseller: "Přidat velkoodběratele",
  keys: "API klíče",
  newKey: "Nový klíč",
  keyName: "Název klíče",
  keyShownOnce: "Zkopírujte si klíč hned; znovu se nezobrazí:",
  revoke: "Zrušit",
  revokeKey: "Zrušit klíč {prefix}",
  revoked: "zrušen",
  confirmRevokeReseller: "Zrušit {name} a všechny jeho klíče? Jeho objednávky zůstanou.",
  lastUsed: "naposledy použit {when}",
  neverUsed: "nikdy nepoužit",
  close: "Zavřít",
};

const MESSAGES = { en, cs };
export type ChannelsMessageKey = keyof typeof en;

export function useChannelsT() {
  const { locale } = useLocale();
  return useCallback(
    (key: ChannelsMessageKey, vars: Record<string, string | number> = {}) =>
      (MESSAGES[locale][key] ?? en[key]).replace(/\{(\w+)\}/g, (whole, name: string) =>
        name in vars ? String(vars[name]) : whole,
      ),
    [locale],
  );
}
