/** The user's locale and helpers bound to it.
 *
 * Signed in, the profile's locale (from /api/auth/me) is the language; at sign-in it takes over
 * from any earlier choice in this browser. The switcher's choice wins from then on, is
 * remembered here and saved to the profile. Before sign-in: the remembered choice, else the
 * browser's language, so the sign-in page already speaks Czech to a Czech browser. */

import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

import type { Locale } from "../api/types";
import * as format from "./format";
import { translate, type MessageKey } from "./messages";

const STORAGE_KEY = "shopops.locale";

type LocaleContextValue = {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  /** At sign-in: drop this browser's choice so the profile's locale applies. */
  followProfile: () => void;
};

const LocaleContext = createContext<LocaleContextValue>({
  locale: "en",
  setLocale: () => undefined,
  followProfile: () => undefined,
});

function storedLocale(): Locale | null {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return value === "cs" || value === "en" ? value : null;
  } catch {
    return null;
  }
}

function store(locale: Locale | null) {
  try {
    if (locale) window.localStorage.setItem(STORAGE_KEY, locale);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

export function browserLocale(): Locale {
  const languages = typeof navigator === "undefined" ? [] : [...(navigator.languages ?? []), navigator.language];
  return languages.some((l) => l?.toLowerCase().startsWith("cs")) ? "cs" : "en";
}

/** `userLocale` is the profile's (absent before sign-in); `onProfileLocale` saves a switch to it. */
export function LocaleProvider({
  userLocale,
  onProfileLocale,
  children,
}: {
  userLocale?: Locale;
  onProfileLocale?: (locale: Locale) => void;
  children: ReactNode;
}) {
  const [chosen, setChosen] = useState<Locale | null>(storedLocale);
  const setLocale = useCallback(
    (locale: Locale) => {
      setChosen(locale);
      store(locale);
      if (userLocale) onProfileLocale?.(locale);
    },
    [userLocale, onProfileLocale],
  );
  const followProfile = useCallback(() => {
    setChosen(null);
    store(null);
  }, []);
  const locale = chosen ?? userLocale ?? browserLocale();
  const value = useMemo(() => ({ locale, setLocale, followProfile }), [locale, setLocale, followProfile]);
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
