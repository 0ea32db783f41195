/** The app's Mantine theme: only what the defaults get wrong for our pages. */

import { Badge, createTheme, mergeThemeOverrides, NumberInput, type MantineThemeOverride } from "@mantine/core";

import type { Locale } from "./api/types";

export const theme = createTheme({
  components: {
    // A badge in a narrow table column was cut to "COMPL…": it keeps its full width instead.
    Badge: Badge.extend({
      styles: {
        root: { minWidth: "fit-content", flexShrink: 0, overflow: "visible" },
        label: { overflow: "visible", textOverflow: "clip" },
      },
    }),
  },
});

/** The theme with number inputs that read and write numbers the way the locale does. */
export function localisedTheme(locale: Locale): MantineThemeOverride {
  return mergeThemeOverrides(theme, {
    components: {
      NumberInput: NumberInput.extend({
        defaultProps: locale === "cs" ? { decimalSeparator: ",", thousandSeparator: " " } : { decimalSeparator: "." },
      }),
    },
  });
}
