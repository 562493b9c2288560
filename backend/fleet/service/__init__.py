"""The official-cars module's business rules, one file per part (records, upkeep, dispatch,
trips, quotas, tracks, compliance, sealing)."""
