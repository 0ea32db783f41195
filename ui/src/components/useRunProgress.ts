/**
 * The one "run now" pattern: a query of the run's state (live progress from the workflow's
 * query while it runs), a start mutation, and exactly one refresh of the page's data when the
 * run ends.
 *
 * Why it is built this way (issue 16): refreshing from inside the state query's own fetch
 * invalidated that same query, which cancelled and restarted the fetch before it could store
 * its answer; the page never saw the run end and sent ~40 requests a second. Here:
 * - polling is TanStack Query's `refetchInterval` as a function, which returns `false` as soon as
 *   nothing is running and nothing is awaited, so no loop can outlive the run;
 * - the end of a run is decided by the pure `runEnded` on (previous answer, new answer, what
 *   the start awaited), and the refresh invalidates the page's other queries, never the state
 *   query itself;
 * - after "Run now" the hook awaits the run even when the first answers do not show it yet
 *   (a run just started may have no row) or it ended between two polls (a 4 s run), by
 *   comparing the run's identity with the one before the start; that wait is bounded.
 */

import {
  useMutation,
  useQuery,
  useQueryClient,
  type QueryKey,
  type UseMutationResult,
  type UseQueryResult,
} from "@tanstack/react-query";
import { useRef } from "react";

export const RUN_POLL_MS = 2000;
/** How many answers to wait for a started run to show up before giving up the wait. */
export const MAX_AWAIT_POLLS = 30;

export type RunView = {
  /** Whether a run is going now. */
  running: boolean;
  /** What identifies the latest run (its id); a new run has a new one. */
  runId: string | number | null;
};

export type Awaited = { before: RunView["runId"]; polls: number; seenRunning: boolean };

export type RunStep = {
  /** The run ended with this answer: refresh the page's data once. */
  ended: boolean;
  /** What to keep awaiting after this answer (null: nothing). */
  awaited: Awaited | null;
};

/** Pure: did a run end between `previous` and `next`, and is a started run still awaited? */
export function runEnded(previous: RunView | undefined, next: RunView, awaited: Awaited | null): RunStep {
  if (next.running) {
    return { ended: false, awaited: awaited && { ...awaited, polls: awaited.polls + 1, seenRunning: true } };
  }
  if (awaited) {
    const finished = awaited.seenRunning || next.runId !== awaited.before || Boolean(previous?.running);
    if (finished) return { ended: true, awaited: null };
    const polls = awaited.polls + 1;
    return { ended: false, awaited: polls >= MAX_AWAIT_POLLS ? null : { ...awaited, polls } };
  }
  return { ended: Boolean(previous?.running), awaited: null };
}

export type RunProgress<State, Started> = {
  state: UseQueryResult<State>;
  start: UseMutationResult<Started, Error, void>;
  /** Running now, or a started run not seen ended yet. */
  active: boolean;
};

export function useRunProgress<State, Started>({
  stateKey,
  fetchState,
  view,
  startRun,
  refreshKey,
  pollMs = RUN_POLL_MS,
}: {
  stateKey: QueryKey;
  fetchState: (signal: AbortSignal) => Promise<State>;
  view: (state: State) => RunView;
  startRun: () => Promise<Started>;
  /** Every query under this key but the state's is refreshed once when a run ends. */
  refreshKey: QueryKey;
  pollMs?: number;
}): RunProgress<State, Started> {
  const client = useQueryClient();
  const awaited = useRef<Awaited | null>(null);
  const state = useQuery({
    queryKey: stateKey,
    queryFn: async ({ signal }) => {
      const next = await fetchState(signal);
      const previous = client.getQueryData<State>(stateKey);
      const step = runEnded(previous === undefined ? undefined : view(previous), view(next), awaited.current);
      awaited.current = step.awaited;
      if (step.ended) {
        const own = JSON.stringify(stateKey);
        void client.invalidateQueries({
          queryKey: refreshKey,
          predicate: (query) => JSON.stringify(query.queryKey) !== own,
        });
      }
      return next;
    },
    refetchInterval: (query) => {
      const data = query.state.data;
      return (data !== undefined && view(data).running) || awaited.current ? pollMs : false;
    },
  });
  const start = useMutation({
    mutationFn: startRun,
    onMutate: () => {
      const current = client.getQueryData<State>(stateKey);
      awaited.current = { before: current === undefined ? null : view(current).runId, polls: 0, seenRunning: false };
    },
    onSuccess: () => client.invalidateQueries({ queryKey: stateKey, exact: true }),
    onError: () => {
      awaited.current = null;
    },
  });
  const active = Boolean((state.data !== undefined && view(state.data).running) || awaited.current);
  return { state, start, active };
}
