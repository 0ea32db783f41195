/** Helpers for cursor pages (`{items, next_cursor}`) consumed with useInfiniteQuery. */

import type { InfiniteData } from "@tanstack/react-query";

import type { Page } from "./types";

export const firstCursor: string | null = null;

export function nextCursor<T>(last: Page<T>): string | null {
  return last.next_cursor ?? null;
}

export function flatItems<T>(data: InfiniteData<Page<T>, unknown> | undefined): T[] {
  return data ? data.pages.flatMap((page) => page.items) : [];
}
