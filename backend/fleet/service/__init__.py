"""The official-cars services: records, dispatch and suggestions, trips and quotas, tracks, compliance and sealing."""
