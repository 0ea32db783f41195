/** Number, money, date and duration formatting for the user's locale, all through Intl. */

import type { Locale } from "../api/types";

export const INTL_LOCALE: Record<Locale, string> = { cs: "cs-CZ", en: "en-GB" };

type Numeric = number | string | null | undefined;

function toNumber(value: Numeric): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export function formatNumber(locale: Locale, value: Numeric, maximumFractionDigits = 0): string {
  const n = toNumber(value);
  if (n === null) return "–";
  return new Intl.NumberFormat(INTL_LOCALE[locale], { maximumFractionDigits }).format(n);
}

/** Money arrives as a decimal string; it is shown with its currency in the user's locale. */
export function formatMoney(locale: Locale, amount: Numeric, currency: string): string {
  const n = toNumber(amount);
  if (n === null) return "–";
  try {
    return new Intl.NumberFormat(INTL_LOCALE[locale], { style: "currency", currency }).format(n);
  } catch {
    return `${formatNumber(locale, n, 2)} ${currency}`;
  }
}

export function formatPercent(locale: Locale, percent: number): string {
  return new Intl.NumberFormat(INTL_LOCALE[locale], { style: "percent", maximumFractionDigits: 0 }).format(
    percent / 100,
  );
}

export function formatDateTime(locale: Locale, iso: string | null | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], { dateStyle: "medium", timeStyle: "short" }).format(date);
}

export function formatDate(locale: Locale, iso: string | null | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], { dateStyle: "medium" }).format(date);
}

function unit(locale: Locale, value: number, name: "hour" | "minute" | "second"): string {
  return new Intl.NumberFormat(INTL_LOCALE[locale], { style: "unit", unit: name, unitDisplay: "short" }).format(
    value,
  );
}

/** A duration such as an ETA: "1 hr 5 min" / "1 h 5 min"; seconds only under ten minutes. */
export function formatDuration(locale: Locale, seconds: Numeric): string {
  const total = toNumber(seconds);
  if (total === null || total < 0) return "–";
  const s = Math.round(total);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const parts: string[] = [];
  if (hours) parts.push(unit(locale, hours, "hour"));
  if (minutes) parts.push(unit(locale, minutes, "minute"));
  if ((!hours && minutes < 10 && rest) || parts.length === 0) parts.push(unit(locale, rest, "second"));
  return parts.join(" ");
}

/** "in 25 minutes" / "před 3 dny": how far a time is from now. */
export function formatRelative(locale: Locale, iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "–";
  const diff = (new Date(iso).getTime() - now) / 1000;
  if (Number.isNaN(diff)) return iso;
  const rtf = new Intl.RelativeTimeFormat(INTL_LOCALE[locale], { numeric: "auto" });
  const steps: [number, Intl.RelativeTimeFormatUnit][] = [
    [60, "second"],
    [3600, "minute"],
    [86400, "hour"],
    [Infinity, "day"],
  ];
  const sizes: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };
  for (const [limit, name] of steps) {
    if (Math.abs(diff) < limit) return rtf.format(Math.round(diff / (sizes[name] ?? 1)), name);
  }
  return rtf.format(Math.round(diff / 86400), "day");
}
