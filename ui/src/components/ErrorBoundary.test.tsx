/** A render error stays in its part of the page: the message is shown, "Try again" and a new
 * reset key render the part anew, and the rest of the page stays. */

import { fireEvent, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi } from "../test/api";
import { renderWithProviders } from "../test/render";
import { ErrorBoundary } from "./ErrorBoundary";

afterEach(() => vi.restoreAllMocks());

let broken = true;
function Fragile({ label }: { label: string }) {
  if (broken) throw new Error(`Invariant failed (${label})`);
  return <p>drawn {label}</p>;
}

function Page() {
  const [resetKey, setKey] = useState("A/1");
  return (
    <div>
      <h2>still here</h2>
      <button onClick={() => setKey("B/2")}>next variant</button>
      <ErrorBoundary resetKey={resetKey} testId="chart-error">
        <Fragile label={resetKey} />
      </ErrorBoundary>
    </div>
  );
}

describe("ErrorBoundary", () => {
  it("keeps the page, shows the error, and renders again on retry or a new key", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    fakeApi();
    broken = true;
    renderWithProviders(<Page />);
    const notice = await screen.findByTestId("chart-error");
    expect(notice).toHaveTextContent("This part of the page failed");
    expect(notice).toHaveTextContent("Invariant failed (A/1)");
    expect(screen.getByRole("heading", { name: "still here" })).toBeInTheDocument();

    broken = false;
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("drawn A/1")).toBeInTheDocument();

    broken = true;
    fireEvent.click(screen.getByRole("button", { name: "next variant" }));
    expect(await screen.findByTestId("chart-error")).toHaveTextContent("Invariant failed (B/2)");
  });
});
