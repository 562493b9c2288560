"""A module that only declares an approval kind, for the approvals tests (no module declares one
yet); activated by the `approval_kind` fixture."""
