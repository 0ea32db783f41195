/** Who is signed in, sign in and out. */

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { ApiError, apiFetch } from "./client";
import { keys } from "./keys";
import type { Me } from "./types";

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

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      apiFetch<Me>("/api/auth/login", { method: "POST", body }),
    onSuccess: (me) => {
      client.clear();
      client.setQueryData(keys.me(), me);
    },
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => apiFetch<void>("/api/auth/logout", { method: "POST" }),
    onSettled: () => {
      client.clear();
      client.setQueryData(keys.me(), null);
    },
  });
}
