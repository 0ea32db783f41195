import { screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { ModelReport } from "../../api/customers";
import { fakeApi } from "../../test/api";
import { renderWithProviders } from "../../test/render";
import { TrackRecordChart, trackPoints } from "./charts";

afterEach(() => vi.unstubAllGlobals());

const run = (id: number, started_at: string, holdout_mae: number | null, baseline_mae: number | null) =>
  ({ id, status: "completed", started_at, holdout_mae, baseline_mae }) as unknown as ModelReport;

describe("track-record chart", () => {
  it("plots completed runs oldest first with both errors, skipping runs without them", () => {
    const reports = [run(3, "2025-03-03T00:00:00Z", 0.4, 0.7), run(2, "2025-03-02T00:00:00Z", null, null), run(1, "2025-03-01T00:00:00Z", 0.5, 0.8)];
    expect(trackPoints(reports, (iso) => iso.slice(0, 10))).toEqual([
      { run: "2025-03-01", model: 0.5, baseline: 0.8 },
      { run: "2025-03-03", model: 0.4, baseline: 0.7 },
    ]);
  });

  it("says a single run's figures in words, in the user's language", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    fakeApi();
    renderWithProviders(<TrackRecordChart reports={[run(1, "2025-03-01T00:00:00Z", 0.5, 0.8)]} />);
    const chart = await screen.findByTestId("track-record-chart");
    expect(chart).toHaveAttribute("data-points", "1");
    expect(screen.getByTestId("track-record-single")).toHaveTextContent("chyba modelu 0,5, naivní předpovědi 0,8");
  });

  it("draws a line chart (no single-run note) from two runs, and nothing without any", () => {
    fakeApi();
    const { container } = renderWithProviders(
      <TrackRecordChart reports={[run(2, "2025-03-02T00:00:00Z", 0.4, 0.7), run(1, "2025-03-01T00:00:00Z", 0.5, 0.8)]} />,
    );
    expect(screen.getByTestId("track-record-chart")).toHaveAttribute("data-points", "2");
    expect(screen.queryByTestId("track-record-single")).toBeNull();
    expect(container.querySelector(".recharts-responsive-container")).not.toBeNull();
  });

  it("renders nothing when no run has errors to compare", () => {
    fakeApi();
    const { container } = renderWithProviders(<TrackRecordChart reports={[run(1, "2025-03-01T00:00:00Z", null, null)]} />);
    expect(container.querySelector('[data-testid="track-record-chart"]')).toBeNull();
  });
});
