"""The official-cars services: records, dispatch, trips, quotas, tracks, compliance, sealing, reports."""
