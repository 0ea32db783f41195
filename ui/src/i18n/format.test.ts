import { describe, expect, it } from "vitest";

import { formatDateTime, formatDuration, formatMoney, formatNumber, formatPercent, formatRelative } from "./format";
import { translate } from "./messages";

// Czech groups digits with a no-break space; Intl uses U+00A0 for it.
const nbsp = "\u00a0";

describe("locale formatting", () => {
  it("groups and separates decimals by locale", () => {
    expect(formatNumber("en", 1234567.891, 2)).toBe("1,234,567.89");
    expect(formatNumber("cs", 1234567.891, 2)).toBe(`1${nbsp}234${nbsp}567,89`);
  });

  it("formats money from decimal strings with the currency", () => {
    expect(formatMoney("cs", "1234.50", "CZK")).toBe(`1${nbsp}234,50${nbsp}Kč`);
    expect(formatMoney("en", "1234.50", "EUR")).toBe("€1,234.50");
    expect(formatMoney("en", null, "CZK")).toBe("–");
  });

  it("formats percent", () => {
    expect(formatPercent("en", 42)).toBe("42%");
    expect(formatPercent("cs", 42)).toBe(`42${nbsp}%`);
  });

  it("formats dates in the user's style", () => {
    const iso = "2024-03-05T14:07:00+00:00";
    const en = formatDateTime("en", iso);
    const cs = formatDateTime("cs", iso);
    expect(en).toMatch(/5 Mar 2024/);
    expect(cs).toMatch(/5\. 3\. 2024/);
    expect(formatDateTime("cs", null)).toBe("–");
  });

  it("formats durations for ETAs", () => {
    expect(formatDuration("en", 65)).toBe("1 min 5 secs");
    expect(formatDuration("cs", 3725)).toBe("1 h 2 min");
    expect(formatDuration("en", 0)).toBe("0 secs");
    expect(formatDuration("en", null)).toBe("–");
  });

  it("says how far away a time is", () => {
    const now = Date.parse("2024-01-01T12:00:00Z");
    expect(formatRelative("en", "2024-01-01T12:25:00Z", now)).toBe("in 25 minutes");
    expect(formatRelative("cs", "2023-12-29T12:00:00Z", now)).toBe("před 3 dny");
  });

  it("translates with values filled in, in both languages", () => {
    expect(translate("en", "runs.lines", { processed: "5", total: "10" })).toBe("5 of 10 lines");
    expect(translate("cs", "runs.lines", { processed: "5", total: "10" })).toBe("5 z 10 řádků");
  });
});
