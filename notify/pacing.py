"""One pace for all workers sending on a channel: the gateway's account limit (Aliyun's SendSms
calls per second, an SMSC's contracted throughput, a WeCom robot's 20 a minute) is the
account's, not a process's, so every process takes its turn from one schedule in Redis.

The schedule is a generic cell rate algorithm: Redis keeps, per channel, the moment the next
call may start. A sender reserves that moment and moves it on by 1/rate, in one atomic script
on Redis's own clock (so processes on other machines agree), then sleeps until its moment.
Calls are spaced evenly: no second ever gets more than the rate, whatever the number of
processes. One key per channel, one round trip per call.

Redis down or hung costs at most its timeout once: the process then paces itself alone for
LOCAL_PAUSE seconds, at the rate shared by its expected number of peers
(NOTIFY_SENDING_PROCESSES). A gateway that throttles anyway holds every sender for a moment
(`held`)."""

import logging
import threading
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

LOCAL_PAUSE = 5.0  # seconds without asking Redis after it failed

# KEYS[1]: the channel's next free moment (µs, Redis clock). ARGV[1]: the interval (µs);
# ARGV[2]: a hold (µs) to push the next free moment to at least now + hold; ARGV[3]: the
# longest wait (µs) worth reserving. Returns the wait, negative when it was not reserved.
RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local hold = tonumber(ARGV[2])
if hold > 0 then
  free = math.max(free, now + hold)
  redis.call('SET', KEYS[1], string.format('%d', free), 'PX', math.ceil((free - now) / 1000) + 1000)
  return 0
end
local slot = math.max(free, now)
if slot - now > tonumber(ARGV[3]) then
  return now - slot
end
local after = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', after), 'PX', math.ceil((after - now) / 1000) + 1000)
return slot - now
"""

_lock = threading.Lock()
_local_next = {}  # channel -> monotonic moment of this process's next call, when alone
_redis_down_until = 0.0
_reserve = None  # RESERVE, registered with a client of settings.REDIS_URL


def _script():
    global _reserve
    if _reserve is None:
        client = redis.Redis.from_url(settings.REDIS_URL, **settings.REDIS_CLIENT_TIMEOUTS)
        _reserve = client.register_script(RESERVE)
    return _reserve


def reset():
    """Forget the client and the local schedule (tests; a changed REDIS_URL)."""
    global _reserve, _redis_down_until
    _reserve, _redis_down_until = None, 0.0
    _local_next.clear()


class TurnFarOff(Exception):
    """The channel's next turn is further off than a worker should sleep (a WeCom robot's
    20 a minute behind a burst): the message is put back until then, not waited for, so the
    worker goes on with other channels' urgent messages."""

    def __init__(self, seconds):
        super().__init__(f"the next turn is {seconds:.1f} s off")
        self.seconds = seconds


def wait_turn(channel, per_second):
    """Sleep until this process's turn to call the channel's gateway; at once when the
    channel has no limit (per_second 0); TurnFarOff, with nothing reserved, when the turn is
    more than NOTIFY_PACE_MAX_WAIT_SECONDS off. Returns the seconds waited."""
    if not per_second:
        return 0.0
    wait = _reserved(channel, 1.0 / per_second, settings.NOTIFY_PACE_MAX_WAIT_SECONDS)
    if wait < 0:
        raise TurnFarOff(-wait)
    if wait > 0:
        time.sleep(wait)
    return wait


def held(channel, seconds):
    """The gateway said "too fast": no sender calls it for `seconds`."""
    if _shared_available():
        try:
            _script()(keys=[_key(channel)], args=[0, int(seconds * 1e6), 0])
            return
        except redis.RedisError:
            _shared_failed()
    with _lock:
        _local_next[channel] = max(_local_next.get(channel, 0.0), time.monotonic() + seconds)


def _reserved(channel, interval, longest):
    if _shared_available():
        try:
            micros = _script()(keys=[_key(channel)],
                               args=[int(interval * 1e6), 0, int(longest * 1e6)])
            return int(micros) / 1e6
        except redis.RedisError:
            _shared_failed()
    return _reserved_locally(channel, interval * settings.NOTIFY_SENDING_PROCESSES, longest)


def _reserved_locally(channel, interval, longest):
    with _lock:
        now = time.monotonic()
        slot = max(_local_next.get(channel, 0.0), now)
        if slot - now > longest:
            return now - slot
        _local_next[channel] = slot + interval
        return slot - now


def _key(channel):
    return settings.NOTIFY_PACE_KEY.format(channel=channel)


def _shared_available():
    return time.monotonic() >= _redis_down_until


def _shared_failed():
    global _redis_down_until
    _redis_down_until = time.monotonic() + LOCAL_PAUSE
    logger.warning("Redis unreachable: the gateways' pace is kept per process for %s s",
                   LOCAL_PAUSE)
