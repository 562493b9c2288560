"""Cross-cutting code shared by every domain module (config, errors, crypto, redis, auth...)."""
