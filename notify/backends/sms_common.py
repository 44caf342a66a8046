"""What both SMS backends (Aliyun, SMPP) need: mainland numbers, segment counts, masking.

Segments are counted as Chinese gateways bill them: a text of up to 70 characters is one
message; a longer one is split into parts of 67 characters (the other 3 carry the
concatenation header), whatever the script, since our texts are sent as UCS-2."""

import math
import re

SINGLE_SEGMENT = 70
PART_SEGMENT = 67
_MAINLAND_PREFIX = re.compile(r"^(?:\+?86|0086)(?=1\d{10}$)")


def segments(length):
    """How many SMS a text of `length` characters is billed as."""
    if length <= SINGLE_SEGMENT:
        return 1
    return math.ceil(length / PART_SEGMENT)


def mainland_number(address):
    """The 11-digit mainland number in `address` ("+8613800000000", "86 138 0000 0000"), or
    the address stripped of spaces if it is not one."""
    compact = re.sub(r"[\s-]", "", address or "")
    return _MAINLAND_PREFIX.sub("", compact)


def is_mainland_mobile(address):
    return re.fullmatch(r"1[3-9]\d{9}", address or "") is not None


def masked(address):
    """A number fit for a log line: 138****0000."""
    address = address or ""
    if len(address) < 7:
        return "*" * len(address)
    return f"{address[:3]}{'*' * (len(address) - 7)}{address[-4:]}"
