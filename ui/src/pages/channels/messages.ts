/** The Sales channels page's strings in English and Czech (`{name}` is filled in at run time). */

import { useCallback } from "react";

import { useLocale } from "../../i18n/locale";

const en = {
  title: "Sales channels",
  intro:
    "Other stores that sell the same goods. Their orders come into the orders list with their channel, each order reserves its units, and the stock left to sell is pushed back to every store, so two channels cannot sell the last unit twice.",
  add: "Connect WooCommerce",
  addTitle: "Connect a WooCommerce store",
  name: "Name",
  baseUrl: "Store address",
  baseUrlHelp: "The address of the WordPress site, e.g. https://eshop.cz (https is required).",
  consumerKey: "Consumer key",
  consumerSecret: "Consumer secret",
  keysHelp: "WooCommerce → Settings → Advanced → REST API → Add key, with Read/Write permission. The keys are stored encrypted.",
  save: "Connect",
  cancel: "Cancel",
  empty: "No store is connected yet.",
  ownerOnly: "Only the shop's owner can connect or remove a store.",
  kind: "Channel",
  status: "State",
  statusActive: "working",
  statusFailing: "last sync failed",
  ordersImported: "Orders imported",
  lastSync: "Last sync",
  never: "never",
  key: "Key",
  syncNow: "Sync now",
  syncing: "Syncing…",
  remove: "Remove",
  confirmRemove: "Remove {name}? Its imported orders stay.",
  removed: "Removed.",
  connected: "Connected.",
  failed: "Not saved",
  lastError: "Last error",
  phase_starting: "starting",
  phase_orders: "importing orders",
  phase_listings: "reading the store's products",
  phase_pushing: "pushing stock",
  phase_done: "done",
  phase_failed: "failed",
  progress: "{phase}: orders {imported} new of {total} (page {page}/{pages}), stock pushed {pushed}",
  ordersPerChannel: "Orders per channel",
  oversoldTitle: "Oversold orders",
  oversoldIntro: "Orders that came in when there was not enough stock left to reserve: ship them only after restocking or cancel them.",
  oversoldEmpty: "No oversold orders.",
  order: "Order",
  variant: "Variant",
  quantity: "Ordered",
  availableBefore: "Available then",
  when: "When",
};

const cs: Record<keyof typeof en, string> = {
  title: "Prodejní kanály",
  intro:
    "Další obchody, které prodávají stejné zboží. Jejich objednávky přicházejí do seznamu objednávek se svým kanálem, každá objednávka si rezervuje kusy a zbývající zásoba k prodeji se posílá zpět do všech obchodů, takže dva kanály nemohou prodat poslední kus dvakrát.",
  add: "Připojit WooCommerce",
  addTitle: "Připojit obchod WooCommerce",
  name: "Název",
  baseUrl: "Adresa obchodu",
  baseUrlHelp: "Adresa webu WordPress, např. https://eshop.cz (vyžaduje https).",
  consumerKey: "Consumer key",
  consumerSecret: "Consumer secret",
  keysHelp: "WooCommerce → Nastavení → Pokročilé → REST API → Přidat klíč, s oprávněním čtení i zápisu. Klíče se ukládají šifrovaně.",
  save: "Připojit",
  cancel: "Zrušit",
  empty: "Zatím není připojen žádný obchod.",
  ownerOnly: "Obchod může připojit nebo odebrat jen vlastník.",
  kind: "Kanál",
  status: "Stav",
  statusActive: "funguje",
  statusFailing: "poslední synchronizace selhala",
  ordersImported: "Načtené objednávky",
  lastSync: "Poslední synchronizace",
  never: "nikdy",
  key: "Klíč",
  syncNow: "Synchronizovat",
  syncing: "Synchronizuji…",
  remove: "Odebrat",
  confirmRemove: "Odebrat {name}? Načtené objednávky zůstanou.",
  removed: "Odebráno.",
  connected: "Připojeno.",
  failed: "Neuloženo",
  lastError: "Poslední chyba",
  phase_starting: "začíná",
  phase_orders: "načítám objednávky",
  phase_listings: "čtu produkty obchodu",
  phase_pushing: "posílám zásoby",
  phase_done: "hotovo",
  phase_failed: "selhalo",
  progress: "{phase}: nových objednávek {imported} z {total} (stránka {page}/{pages}), odeslaných zásob {pushed}",
  ordersPerChannel: "Objednávky podle kanálu",
  oversoldTitle: "Přeprodané objednávky",
  oversoldIntro: "Objednávky, které přišly, když už nezbývalo dost zásob k rezervaci: odešlete je až po naskladnění, nebo je zrušte.",
  oversoldEmpty: "Žádné přeprodané objednávky.",
  order: "Objednávka",
  variant: "Varianta",
  quantity: "Objednáno",
  availableBefore: "Tehdy k dispozici",
  when: "Kdy",
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
