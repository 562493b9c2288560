"""Settings of the official-cars module, read from the environment (the README lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.core.config import int_setting


@dataclass(frozen=True)
class FleetSettings:
    # FLEET_BUFFER_MINUTES: minutes kept free after a trip's planned end before the same car or
    # driver may start another (cleaning, refuelling, the way back to base).
    buffer_minutes: int = 15
    # FLEET_MAX_GPX_BYTES: the largest GPX file a trip's track may be imported from.
    max_gpx_bytes: int = 5 * 1024 * 1024
    # WECHAT_FLEET_TEMPLATE_ID: WeChat's id of the car-request progress notice, to requesters
    # and drivers ("" = not sent).
    notice_template_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FleetSettings:
        buffer = int_setting(env, "FLEET_BUFFER_MINUTES", 15)
        if not 0 <= buffer <= 240:
            raise ValueError(f"FLEET_BUFFER_MINUTES must be between 0 and 240, got {buffer}")
        gpx = int_setting(env, "FLEET_MAX_GPX_BYTES", 5 * 1024 * 1024)
        if not 1024 <= gpx <= 50 * 1024 * 1024:
            raise ValueError(f"FLEET_MAX_GPX_BYTES must be between 1 KiB and 50 MiB, got {gpx}")
        return cls(
            buffer_minutes=buffer,
            max_gpx_bytes=gpx,
            notice_template_id=env.get("WECHAT_FLEET_TEMPLATE_ID", "").strip(),
        )
