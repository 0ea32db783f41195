/** The app's Mantine theme: only what the defaults get wrong for our pages. */

import { Badge, createTheme } from "@mantine/core";

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
