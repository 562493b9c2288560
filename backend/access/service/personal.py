"""Stand-in for V's personal-data helpers (only what P calls; V's file replaces it at merge)."""


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    kept = 2 if len(name) >= 4 else 1
    return name[:kept] + "*" * max(len(name) - kept, 1)
