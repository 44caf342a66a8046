"""What a page action did, in words: the confirmation shown after it.

Every service appends its timeline event last (DESIGN.md), and `append_event` records each
event's words (its label and its sentence) here while a page action collects them; the page
action shows the last as its confirmation. So every page action confirms what it did without
code of its own, and the words are the timeline's. The floor: imports nothing of the project."""

from contextlib import contextmanager
from contextvars import ContextVar

_collecting = ContextVar("confirmations", default=None)


@contextmanager
def collected():
    """Yields the list the events appended meanwhile (in this context) are recorded in."""
    done = []
    token = _collecting.set(done)
    try:
        yield done
    finally:
        _collecting.reset(token)


def record(words):
    """`words()` gives the confirmation's text; it is called only while a page action collects
    (a sweep appending a thousand events writes no words)."""
    done = _collecting.get()
    if done is not None:
        done.append(words())
