/** Pages behind sign-in: unknown callers go to /signin and come back afterwards. */

import { Navigate, Outlet, useLocation } from "react-router-dom";

import { useMe } from "../api/auth";
import { ErrorNotice, LoadingState } from "./QueryState";

export function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <LoadingState />;
  if (me.error) return <ErrorNotice error={me.error} onRetry={() => void me.refetch()} />;
  if (!me.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/signin?next=${next}`} replace />;
  }
  return <Outlet />;
}
