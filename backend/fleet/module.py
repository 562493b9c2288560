"""The official-cars module (公务用车): vehicles, drivers and rentals, requests and their approval,
dispatch, quotas, trips and tracks, compliance checks, sealing and upkeep."""

from __future__ import annotations

from backend.core.modules import Module
from backend.fleet.permissions import FleetPermission as P

MODULE = Module(
    name="fleet",
    title="公务用车",
    models="backend.fleet.models",
    permissions=P,
    settings="backend.fleet.config:FleetSettings",
    presets={
        "车辆调度": (P.VIEW_FLEET, P.DISPATCH_TRIP, P.VIEW_QUOTA),
        "车管中心": (
            P.VIEW_FLEET,
            P.MANAGE_FLEET,
            P.DISPATCH_TRIP,
            P.VIEW_QUOTA,
            P.MANAGE_QUOTA,
            P.REVIEW_FLAG,
            P.MANAGE_SEALING,
            P.MANAGE_UPKEEP,
        ),
        "财务": (P.VIEW_QUOTA,),
    },
)
