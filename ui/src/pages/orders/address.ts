/** Addresses in the order a letter is written: name, company, street, extra line, zip + city, country.
 *
 * The delivery address is Shoptet's object stored as JSONB, whose keys come back sorted by length
 * (zip, city, street, fullName…), so lines are picked by name, never by the object's key order. */

import { INTL_LOCALE } from "../../i18n/format";
import type { Locale } from "../../api/types";

type Fields = Record<string, unknown>;

function text(fields: Fields, ...names: string[]): string {
  for (const name of names) {
    const value = fields[name];
    if (typeof value === "string" && value.trim()) return value.trim();
    if (typeof value === "number") return String(value);
  }
  return "";
}

export function countryName(locale: Locale, code: string): string {
  if (!/^[A-Za-z]{2}$/.test(code)) return code;
  try {
    return new Intl.DisplayNames([INTL_LOCALE[locale]], { type: "region" }).of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** The lines of an address (Shoptet's camelCase or our billing fields), empty ones left out. */
export function addressLines(locale: Locale, value: unknown): string[] {
  if (!value || typeof value !== "object") return [];
  const a = value as Fields;
  const street = [text(a, "street", "billing_street"), text(a, "houseNumber", "house_number")].filter(Boolean).join(" ");
  const town = [text(a, "zip", "billing_zip"), text(a, "city", "billing_city")].filter(Boolean).join(" ");
  const district = text(a, "district");
  const country = text(a, "countryCode", "country", "billing_country");
  return [
    text(a, "fullName", "name", "billing_name"),
    text(a, "company", "billing_company"),
    street,
    text(a, "additional"),
    district && district !== text(a, "city") ? `${town}, ${district}` : town,
    country ? countryName(locale, country) : "",
  ].filter(Boolean);
}
