"""The Redis client waits for a free connection in a burst instead of failing the request."""

import asyncio

from backend.core.redis import make_redis


async def test_a_burst_larger_than_the_pool_waits_for_connections_instead_of_failing(requires_redis):
    separator = "&" if "?" in requires_redis else "?"
    client = make_redis(f"{requires_redis}{separator}max_connections=2")
    try:
        # BLPOP on an empty key holds its connection for the whole timeout.
        answers = await asyncio.gather(*(client.blpop([f"pool-test-{i}"], timeout=0.2) for i in range(6)))
    finally:
        await client.aclose()
    assert answers == [None] * 6
