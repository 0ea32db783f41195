/** Who is signed in, sign in and out, and the profile's language. */

import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";

import { ApiError, apiFetch } from "./client";
import { keys } from "./keys";
import type { Locale, Me } from "./types";

export function useMe() {
  return useQuery({
    queryKey: keys.me(),
    queryFn: async ({ signal }) => {
      try {
        return await apiFetch<Me>("/api/auth/me", { signal });
      } catch (error) {
        // Not signed in is an answer, not a failure: the router sends the user to sign in.
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/** Forget every other user's data but keep the `me` query object itself: `clear()` would detach
 * the observers mounted above the router (the locale), which then showed the previous user's
 * answer — English for a Czech profile — until a reload. */
function switchUser(client: QueryClient, me: Me | null) {
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== keys.me()[0] });
  client.setQueryData(keys.me(), me);
}

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      apiFetch<Me>("/api/auth/login", { method: "POST", body }),
    onSuccess: (me) => switchUser(client, me),
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => apiFetch<void>("/api/auth/logout", { method: "POST" }),
    onSettled: () => switchUser(client, null),
  });
}

/** The language switch saves the profile, so the next sign-in (on any device) starts in it.
 * The page switches at once; a failed save keeps the choice for this page. */
export function useSaveLocale() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (locale: Locale) => apiFetch<Me>("/api/auth/me", { method: "PATCH", body: { locale } }),
    onMutate: (locale) => {
      const me = client.getQueryData<Me | null>(keys.me());
      if (me) client.setQueryData(keys.me(), { ...me, locale });
    },
  });
}
