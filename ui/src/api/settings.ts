/** App settings (admins) and one shop's settings (managers may change them). */

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys } from "./keys";
import type { Setting } from "./types";

type SettingsAnswer = { items: Setting[] };

function settingsPath(shopId: number | null): string {
  return shopId === null ? "/api/settings" : `/api/shops/${shopId}/settings`;
}

function settingsKey(shopId: number | null) {
  return shopId === null ? keys.settings.app() : keys.settings.shop(shopId);
}

/** `shopId === null` means the app-wide settings. */
export function useSettings(shopId: number | null) {
  return useQuery({
    queryKey: settingsKey(shopId),
    queryFn: ({ signal }) => apiFetch<SettingsAnswer>(settingsPath(shopId), { signal }),
  });
}

export function useSaveSettings(shopId: number | null) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (changes: Record<string, unknown>) =>
      apiFetch<SettingsAnswer | undefined>(settingsPath(shopId), { method: "PUT", body: changes }),
    onSuccess: (answer) => {
      if (answer?.items) client.setQueryData(settingsKey(shopId), answer);
      else void client.invalidateQueries({ queryKey: settingsKey(shopId) });
    },
  });
}
