/** Turning typed settings into form text and back, and API validation problems into per-key messages. */

import { ApiError } from "../../api/client";
import type { Setting, SettingType } from "../../api/types";

export type Draft = Record<string, unknown>;

/** The value as the input of its type holds it (JSON as indented text). */
export function toInput(type: SettingType, value: unknown): unknown {
  if (type === "json") return value === undefined ? "" : JSON.stringify(value, null, 2);
  if (type === "bool") return Boolean(value);
  return value ?? "";
}

/** The value to send, or an Error whose message says what is wrong with the input. */
export function fromInput(type: SettingType, input: unknown): unknown {
  if (type === "json") {
    try {
      return JSON.parse(String(input));
    } catch (error) {
      return new Error((error as Error).message);
    }
  }
  if ((type === "int" || type === "float") && input === "") return new Error("a number is required");
  return input;
}

export function changedValues(items: Setting[], draft: Draft): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of items) {
    if (!(item.key in draft)) continue;
    const value = fromInput(item.type, draft[item.key]);
    if (JSON.stringify(value) !== JSON.stringify(item.value)) out[item.key] = value;
  }
  return out;
}

/**
 * Per-setting messages from a 422 problem: `errors` as a list of `{loc, msg}` or an object
 * `{key: msg}`; failing both, the setting whose key the `detail` names gets the detail.
 */
export function problemsByKey(error: unknown, keys: string[]): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  const { errors, detail } = error.problem as { errors?: unknown; detail?: string };
  if (Array.isArray(errors)) {
    for (const entry of errors as { loc?: unknown[]; msg?: string; key?: string }[]) {
      const key = entry.key ?? entry.loc?.map(String).find((part) => keys.includes(part));
      if (key && entry.msg) out[key] = entry.msg;
    }
  } else if (errors && typeof errors === "object") {
    for (const [key, msg] of Object.entries(errors as Record<string, unknown>)) {
      if (keys.includes(key)) out[key] = String(msg);
    }
  }
  if (Object.keys(out).length === 0 && detail) {
    const named = keys.filter((key) => detail.includes(key)).sort((a, b) => b.length - a.length)[0];
    if (named) out[named] = detail;
  }
  return out;
}
