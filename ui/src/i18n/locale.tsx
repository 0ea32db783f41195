/** The user's locale (from /api/auth/me, overridable by the switcher) and helpers bound to it. */

import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

import type { Locale } from "../api/types";
import * as format from "./format";
import { translate, type MessageKey } from "./messages";

const STORAGE_KEY = "shopops.locale";

type LocaleContextValue = { locale: Locale; setLocale: (locale: Locale) => void };

const LocaleContext = createContext<LocaleContextValue>({ locale: "en", setLocale: () => undefined });

function storedLocale(): Locale | null {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return value === "cs" || value === "en" ? value : null;
  } catch {
    return null;
  }
}

/** `userLocale` is the profile's; a choice made with the switcher wins and is remembered. */
export function LocaleProvider({ userLocale, children }: { userLocale?: Locale; children: ReactNode }) {
  const [chosen, setChosen] = useState<Locale | null>(storedLocale);
  const setLocale = useCallback((locale: Locale) => {
    setChosen(locale);
    try {
      window.localStorage.setItem(STORAGE_KEY, locale);
    } catch {
      // private mode: the choice lasts for this page only
    }
  }, []);
  const locale = chosen ?? userLocale ?? "en";
  const value = useMemo(() => ({ locale, setLocale }), [locale, setLocale]);
  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

export function useLocale(): LocaleContextValue {
  return useContext(LocaleContext);
}

export function useT() {
  const { locale } = useLocale();
  return useCallback(
    (key: MessageKey, vars?: Record<string, string | number>) => translate(locale, key, vars),
    [locale],
  );
}

type Numeric = number | string | null | undefined;

/** Formatting helpers already bound to the current locale. */
export function useFormat() {
  const { locale } = useLocale();
  return useMemo(
    () => ({
      number: (value: Numeric, digits = 0) => format.formatNumber(locale, value, digits),
      money: (amount: Numeric, currency: string) => format.formatMoney(locale, amount, currency),
      percent: (value: number) => format.formatPercent(locale, value),
      dateTime: (iso: string | null | undefined) => format.formatDateTime(locale, iso),
      date: (iso: string | null | undefined) => format.formatDate(locale, iso),
      duration: (seconds: Numeric) => format.formatDuration(locale, seconds),
      relative: (iso: string | null | undefined) => format.formatRelative(locale, iso),
    }),
    [locale],
  );
}
