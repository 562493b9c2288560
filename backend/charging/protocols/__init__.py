"""Adapters of the protocols piles speak: each turns its frames into calls of the charging
services and the services' commands into its frames (OCPP 1.6J today; 云快充 could sit beside)."""
