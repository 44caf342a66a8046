"""notify's receivers of the signals of the floors below (connected in NotifyConfig.ready)."""

import logging

from django.db import InterfaceError, OperationalError, transaction

from notify import ack_links, escalation, services
from notify.choices import Channel

logger = logging.getLogger(__name__)


def event_appended(sender, event, **kwargs):
    """The messages an event causes and the escalation steps it takes (notify.escalation),
    written in the event's transaction. A message or a step that cannot
    be made (a bug, a broken rule) must not stop the cause (a response started in an
    emergency): it is rolled back to its savepoint and logged as an error; the database
    failing stops the cause, as it would anyway."""
    if not (services.follows(event.kind) or escalation.follows(event.kind)):
        return  # most events (a delivery's own among them): no savepoints to pay for
    for follow in (services.messages_created, escalation.escalation_followed):
        try:
            with transaction.atomic():
                follow(event=event)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception("Event %s (%s) could not be followed by %s", event.seq,
                             event.kind, follow.__name__)


def reply_arrived(sender, reply, **kwargs):
    """An SMS reply carrying a notice's code acknowledges it (notify.ack_links), in the
    reply's transaction: the reply and the acknowledgement it makes are committed together,
    so a process that dies in between loses neither. An acknowledgement that fails is rolled
    back to its savepoint and logged; the reply stays kept, on the timeline for a person to
    read."""
    if reply.channel != Channel.SMS:
        return
    try:
        with transaction.atomic():
            ack_links.acknowledge_by_reply(reply.address, reply.text)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.exception("Reply %s could not be read for an acknowledgement", reply.pk)


def plan_loaded(sender, report, **kwargs):
    """The receiver of directory.plan_loader.plan_loaded: the default recipient rules."""
    from notify.rules import load_default_rules

    report.created.extend(["recipient rule"] * load_default_rules())
