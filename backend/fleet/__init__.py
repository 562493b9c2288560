"""The official-cars module (公务用车): vehicles and drivers, cadres' requests through an approval
chain, dispatch without double booking, quotas, trips and tracks, compliance checks, sealing and
upkeep."""
