/** The shared list filter: "all" on screen is no filter for the page, and back. */

import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { renderWithProviders } from "../test/render";
import { FilterSelect } from "./FilterSelect";

const OPTIONS = [
  { value: "low", label: "Low" },
  { value: "high", label: "High" },
];

describe("FilterSelect", () => {
  it("shows every value when there is no filter and reports a chosen one", async () => {
    const onChange = vi.fn();
    renderWithProviders(
      <FilterSelect label="Severity" w={200} value={null} allLabel="All severities" options={OPTIONS} onChange={onChange} />,
    );
    const input = screen.getByRole("textbox", { name: "Severity" });
    expect(input).toHaveValue("All severities");
    await userEvent.click(input);
    await userEvent.click(await screen.findByRole("option", { name: "High" }));
    expect(onChange).toHaveBeenLastCalledWith("high");
  });

  it("reports choosing all again as no filter", async () => {
    const onChange = vi.fn();
    renderWithProviders(
      <FilterSelect label="Severity" w={200} value="high" allLabel="All severities" options={OPTIONS} onChange={onChange} />,
    );
    const input = screen.getByRole("textbox", { name: "Severity" });
    expect(input).toHaveValue("High");
    await userEvent.click(input);
    await userEvent.click(await screen.findByRole("option", { name: "All severities" }));
    expect(onChange).toHaveBeenLastCalledWith(null);
  });
});
