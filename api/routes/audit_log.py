"""Admin: the audit log (sign-ins, token and password changes, admin actions), newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AdminCaller, SessionDep
from api.pagination import Page
from api.services import audit_log
from api.services.audit_log import AuditEventOut

router = APIRouter(prefix="/api/admin/audit-events", tags=["admin"])


@router.get("")
async def list_audit_events(
    _: AdminCaller,
    session: SessionDep,
    action: Annotated[
        str | None,
        Query(max_length=60, pattern=r"^[a-z_.]+$", description="e.g. signin.failure"),
    ] = None,
    user_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[AuditEventOut]:
    return await audit_log.page(session, action=action, user_id=user_id, cursor=cursor, limit=limit)
