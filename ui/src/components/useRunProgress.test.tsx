/** The "run now" pattern: the pure decision when a run ended, and the hook against a fake API
 * that counts requests: one refresh of the page's data per run, polling that stops by itself,
 * and a run that ends between two polls still noticed. */

import { QueryClientProvider, useQuery } from "@tanstack/react-query";
import { act, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { makeQueryClient } from "../api/queryClient";
import { MAX_AWAIT_POLLS, runEnded, useRunProgress, type RunView } from "./useRunProgress";

const idle = (runId: number | null): RunView => ({ running: false, runId });
const busy = (runId: number | null): RunView => ({ running: true, runId });

describe("runEnded", () => {
  it("ends a run seen running when an answer says it is not", () => {
    expect(runEnded(busy(7), idle(7), null)).toEqual({ ended: true, awaited: null });
    expect(runEnded(idle(7), idle(7), null)).toEqual({ ended: false, awaited: null });
    expect(runEnded(undefined, idle(7), null)).toEqual({ ended: false, awaited: null });
    expect(runEnded(busy(7), busy(7), null)).toEqual({ ended: false, awaited: null });
  });

  it("after a start, waits for the run, then ends it once", () => {
    const started = { before: 7, polls: 0, seenRunning: false };
    const waiting = runEnded(idle(7), idle(7), started); // the run has no row yet
    expect(waiting).toEqual({ ended: false, awaited: { before: 7, polls: 1, seenRunning: false } });
    const seen = runEnded(idle(7), busy(8), waiting.awaited);
    expect(seen.ended).toBe(false);
    expect(seen.awaited?.seenRunning).toBe(true);
    expect(runEnded(busy(8), idle(8), seen.awaited)).toEqual({ ended: true, awaited: null });
  });

  it("notices a run that started and ended between two answers by its new id", () => {
    expect(runEnded(idle(7), idle(8), { before: 7, polls: 0, seenRunning: false })).toEqual({
      ended: true,
      awaited: null,
    });
    expect(runEnded(undefined, idle(1), { before: null, polls: 0, seenRunning: false }).ended).toBe(true);
  });

  it("gives up waiting for a run that never shows", () => {
    let awaited: ReturnType<typeof runEnded>["awaited"] = { before: 7, polls: 0, seenRunning: false };
    let answers = 0;
    while (awaited) {
      awaited = runEnded(idle(7), idle(7), awaited).awaited;
      answers += 1;
    }
    expect(answers).toBe(MAX_AWAIT_POLLS);
  });
});

type State = { running: boolean; id: number };

/** A fake run: `script` is what the state endpoint answers, one entry per request (the last
 * one repeats); `page` counts fetches of the page's other data. */
function setup(script: State[]) {
  const counts = { state: 0, page: 0, starts: 0 };
  const client = makeQueryClient();
  function Page() {
    const run = useRunProgress<State, { started: boolean }>({
      stateKey: ["demo", 1, "run"],
      fetchState: async () => {
        const answer = script[Math.min(counts.state, script.length - 1)] as State;
        counts.state += 1;
        return answer;
      },
      view: (state) => ({ running: state.running, runId: state.id }),
      startRun: async () => {
        counts.starts += 1;
        return { started: true };
      },
      refreshKey: ["demo", 1],
      pollMs: 5,
    });
    const data = useQuery({
      queryKey: ["demo", 1, "data"],
      queryFn: async () => {
        counts.page += 1;
        return counts.page;
      },
    });
    return (
      <div>
        <span data-testid="state">{run.state.data ? `${run.state.data.id}:${run.state.data.running}` : "-"}</span>
        <span data-testid="data">{data.data ?? "-"}</span>
        <button onClick={() => run.start.mutate()}>start</button>
      </div>
    );
  }
  render(
    <QueryClientProvider client={client}>
      <Page />
    </QueryClientProvider>,
  );
  return counts;
}

describe("useRunProgress", () => {
  it("refreshes the page once when a run seen running ends, and stops polling", async () => {
    const counts = setup([
      { running: true, id: 8 },
      { running: true, id: 8 },
      { running: false, id: 8 },
    ]);
    await waitFor(() => expect(screen.getByTestId("state")).toHaveTextContent("8:false"));
    await waitFor(() => expect(screen.getByTestId("data")).toHaveTextContent("2"));
    const seen = counts.state;
    await act(() => new Promise((resolve) => setTimeout(resolve, 100))); // 20 poll intervals
    expect(counts.state).toBe(seen);
    expect(counts.page).toBe(2);
  });

  it("after Start, notices a run that ended before any poll saw it running", async () => {
    const counts = setup([
      { running: false, id: 7 },
      { running: false, id: 7 }, // just started: no row yet
      { running: false, id: 8 }, // done already
    ]);
    await waitFor(() => expect(screen.getByTestId("state")).toHaveTextContent("7:false"));
    expect(counts.page).toBe(1);
    act(() => screen.getByText("start").click());
    await waitFor(() => expect(screen.getByTestId("state")).toHaveTextContent("8:false"));
    await waitFor(() => expect(counts.page).toBe(2));
    const seen = counts.state;
    await act(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expect(counts.state).toBe(seen);
    expect(counts.starts).toBe(1);
    expect(counts.page).toBe(2);
  });

  it("stops waiting for a run that never shows up, with a bounded number of requests", async () => {
    const counts = setup([{ running: false, id: 7 }]);
    await waitFor(() => expect(screen.getByTestId("state")).toHaveTextContent("7:false"));
    act(() => screen.getByText("start").click());
    await waitFor(() => expect(counts.state).toBeGreaterThanOrEqual(MAX_AWAIT_POLLS));
    await act(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expect(counts.state).toBeLessThanOrEqual(MAX_AWAIT_POLLS + 2);
    expect(counts.page).toBe(1);
  });
});
