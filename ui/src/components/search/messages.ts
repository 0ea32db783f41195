/** The global search box's words in both languages (kept beside the component). */

import { messagesHook } from "../../i18n/messages";

const en = {
  open: "Search…",
  shortcut: "Ctrl+K",
  label: "Search products, orders and customers",
  placeholder: "Name, code, EAN, e-mail, phone…",
  "group.product": "Products",
  "group.order": "Orders",
  "group.customer": "Customers",
  empty: "Nothing found for “{q}”.",
  hint: "Type to search. ↑ ↓ to move, Enter to open, Esc to close.",
  tooLong: "At most {max} characters.",
  failed: "Search failed: {error}",
};

const cs: Record<keyof typeof en, string> = {
  open: "Hledat…",
  shortcut: "Ctrl+K",
  label: "Hledat produkty, objednávky a zákazníky",
  placeholder: "Název, kód, EAN, e-mail, telefon…",
  "group.product": "Produkty",
  "group.order": "Objednávky",
  "group.customer": "Zákazníci",
  empty: "Pro „{q}“ nebylo nic nalezeno.",
  hint: "Pište pro hledání. ↑ ↓ pro pohyb, Enter otevře, Esc zavře.",
  tooLong: "Nejvýše {max} znaků.",
  failed: "Hledání selhalo: {error}",
};

export type SearchMessageKey = keyof typeof en;
export const searchMessages = { en, cs };

export const useSearchT = messagesHook(searchMessages);
