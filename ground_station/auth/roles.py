"""Roles and what each may do: one table, so route guards and tests read the same truth."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PILOT = "pilot"
    COMMANDER = "commander"
    PARTNER_VIEWER = "partner_viewer"
    ADMIN = "admin"


class Permission(StrEnum):
    VIEW_VEHICLES = "view_vehicles"
    COMMAND_VEHICLES = "command_vehicles"
    VIEW_MISSIONS = "view_missions"
    EDIT_MISSIONS = "edit_missions"
    UPLOAD_MISSIONS = "upload_missions"
    OVERRIDE_VALIDATION = "override_validation"
    VIEW_FLIGHTS = "view_flights"
    DOWNLOAD_TLOGS = "download_tlogs"
    VIEW_MAP = "view_map"
    VIEW_ALERTS = "view_alerts"
    ACKNOWLEDGE_ALERTS = "acknowledge_alerts"
    VIEW_TELEMETRY = "view_telemetry"
    VIEW_SELF = "view_self"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    MANAGE_SHARING = "manage_sharing"
    """Agreements with partner centres (admins)."""
    DECLARE_INCIDENTS = "declare_incidents"
    """Declare and close incidents, record cross-border flight permits (commanders)."""


_VIEWER = {
    Permission.VIEW_VEHICLES,
    Permission.VIEW_MAP,
    Permission.VIEW_ALERTS,
    Permission.VIEW_TELEMETRY,
    Permission.VIEW_SELF,
}
_PILOT = _VIEWER | {
    Permission.COMMAND_VEHICLES,
    Permission.VIEW_MISSIONS,
    Permission.EDIT_MISSIONS,
    Permission.UPLOAD_MISSIONS,
    Permission.VIEW_FLIGHTS,
    Permission.DOWNLOAD_TLOGS,
    Permission.ACKNOWLEDGE_ALERTS,
}
_COMMANDER = _PILOT | {Permission.OVERRIDE_VALIDATION, Permission.VIEW_AUDIT, Permission.DECLARE_INCIDENTS}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PARTNER_VIEWER: frozenset(_VIEWER),
    Role.PILOT: frozenset(_PILOT),
    Role.COMMANDER: frozenset(_COMMANDER),
    Role.ADMIN: frozenset(Permission),
}

CROSS_ORGANISATION_ROLES: frozenset[Role] = frozenset({Role.ADMIN})
"""Roles that act on other organisations' vehicles and missions; everyone else stays in their own."""


def has_permission(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def roles_with(permission: Permission) -> frozenset[Role]:
    return frozenset(role for role, perms in ROLE_PERMISSIONS.items() if permission in perms)
