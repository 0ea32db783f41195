/** Page state kept in the URL's query: read the params, and change several at once (a null or
 * empty value removes one) without adding a history entry. */

import { useSearchParams } from "react-router-dom";

export type SearchUpdate = (changes: Record<string, string | null>) => void;

export function useSearchUpdate(): [URLSearchParams, SearchUpdate] {
  const [params, setParams] = useSearchParams();
  const update: SearchUpdate = (changes) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    setParams(next, { replace: true });
  };
  return [params, update];
}
