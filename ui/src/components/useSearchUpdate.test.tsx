/** Page state in the URL: several params change at once, and an empty value removes one. */

import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router-dom";
import { describe, expect, it } from "vitest";

import { renderWithProviders } from "../test/render";
import { useSearchUpdate } from "./useSearchUpdate";

function Probe() {
  const [params, update] = useSearchUpdate();
  const location = useLocation();
  return (
    <>
      <output data-testid="search">{location.search}</output>
      <output data-testid="tab">{params.get("tab")}</output>
      <button onClick={() => update({ tab: "at-risk", segment: "lost", risk: null })}>filter</button>
      <button onClick={() => update({ segment: "" })}>clear</button>
    </>
  );
}

describe("useSearchUpdate", () => {
  it("sets and removes several params, keeping the others", async () => {
    renderWithProviders(<Probe />, "/shops/1/customers?risk=0.3&customer=abc");
    await userEvent.click(screen.getByRole("button", { name: "filter" }));
    expect(screen.getByTestId("search")).toHaveTextContent("?customer=abc&tab=at-risk&segment=lost");
    expect(screen.getByTestId("tab")).toHaveTextContent("at-risk");
    await userEvent.click(screen.getByRole("button", { name: "clear" }));
    expect(screen.getByTestId("search")).toHaveTextContent("?customer=abc&tab=at-risk");
  });
});
