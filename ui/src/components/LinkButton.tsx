/** A table cell's link that opens something on the page (a drawer, a tab), with an optional
 * dimmed line under it (e.g. the name under a code). */

import { Anchor, Text } from "@mantine/core";
import type { ReactNode } from "react";

export function LinkButton({ onClick, children, detail }: { onClick: () => void; children: ReactNode; detail?: ReactNode }) {
  return (
    <>
      <Anchor component="button" onClick={onClick}>
        {children}
      </Anchor>
      {detail && (
        <Text size="xs" c="dimmed">
          {detail}
        </Text>
      )}
    </>
  );
}
