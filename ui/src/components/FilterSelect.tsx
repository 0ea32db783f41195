/** A list filter on one field: one of `options`, or every value ("all", which the page keeps as no filter). */

import { Select } from "@mantine/core";

const ALL = "all";

export function FilterSelect({
  label,
  ariaLabel,
  w,
  value,
  allLabel,
  options,
  onChange,
}: {
  label?: string;
  ariaLabel?: string;
  w: number;
  value: string | null | undefined;
  allLabel: string;
  options: { value: string; label: string }[];
  onChange: (value: string | null) => void;
}) {
  return (
    <Select
      label={label}
      aria-label={ariaLabel}
      w={w}
      value={value ?? ALL}
      allowDeselect={false}
      onChange={(chosen) => onChange(chosen === ALL ? null : chosen)}
      data={[{ value: ALL, label: allLabel }, ...options]}
    />
  );
}
