"""Deliveries under a burst: a Level Ⅰ activation and a 重大 warning handed to the SMS gateway.

Per run it recreates the database, loads the plan and seeds the directory: every member unit
(22 in the plan) gets a liaison, a leader in charge (a person in the unit, no position: the
escalation's next person, copied on the activation by an added rule) and a mobile duty phone;
the townships get officers until the recipient rules for a 重大 warning select --recipients
people (member units' liaisons, townships' officers, the office on call, the commander and
deputies). It starts a local
Aliyun SMS gateway (tests/fakes/aliyun_gateway.py: a real HTTP server on loopback that checks
every request's signature) limited as Aliyun documents (see README), and the hand-over as
production runs it: one Celery worker (prefork, --concurrency as the Procfile's 2) consuming
notify's fast-path task `hand_over`, and beat (notify's 5-second sweep), with
SMS_GATEWAY=aliyun pointing the real backend (notify.backends.aliyun) at the fake.

Then, through the services, in this process: the commander starts a Level Ⅰ response
(every task group, every member unit notified), and right after approves a submitted 重大
warning for every township. Each cause's commit is stamped by an on_commit hook registered
first in its transaction. It waits until no SMS delivery is queued (or --timeout), and prints
per cause: messages, time from the commit to the gateway's receipt of each (p50/p99/max), to
its record as sent, lost (a delivery never taken by the gateway, or taken but not recorded as
sent) and duplicates (the gateway took the same OutId, the delivery's key, twice), beside the
floor measured in the same run: as many signed SendSms calls, made by --concurrency threads of
a bare loop (the same backend class, nothing else) against a fresh gateway with the same
limits, all ready at one instant.

Exit status 0 when, in every run, nothing is lost, nothing is duplicated, nothing moved to
another channel and nothing is left queued. It also prints how many SendSms calls the gateway
throttled and how many warning SMS it took before the activation's last. Not a test (pytest
only collects tests/). Needs PostgreSQL and Redis:

    .venv/bin/python bench/deliveries.py [--runs 3] [--recipients 1000] [--qps 100] [--pace N]
                                         [--concurrency 2] [--timeout 120]
"""

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from deadlines import CeleryProcess, percentile, recreate_database, stop_all  # bench/ is on the path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zz_n_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
KEY_ID, KEY_SECRET = "bench-key-id", "bench-key-secret"
SIGN_NAME, TEMPLATE_CODE = "泽州县应急", "SMS_900001"
# Aliyun's documented limit for notifications: 50 a day to one number with one signature and
# template (a rolling 24 hours). The account's SendSms calls per second are not in its public
# documents (README, "Messages"): simulated at --qps, the default pace a county starts with.
DEFAULT_QPS = 100
PER_NUMBER_PER_DAY, DAY_SECONDS = 50, 86400.0
SETTLE_SECONDS = 3  # after nothing is queued, let late duplicates show up
WORKER_READY = "ready."


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs, one after another (default 1)")
    parser.add_argument("--recipients", type=int, default=1000,
                        help="people the 重大 warning's rules select (default 1000)")
    parser.add_argument("--qps", type=int, default=DEFAULT_QPS,
                        help=f"the gateway's SendSms calls per second for the account (default "
                             f"{DEFAULT_QPS})")
    parser.add_argument("--pace", type=int, default=None,
                        help="ALIYUN_SMS_MAX_PER_SECOND, the workers' shared pace (default: "
                             "--qps, as a county sets it from its account)")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="the worker's prefork processes, and the floor's threads (default 2)")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds to wait for the hand-over (default 120)")
    args = parser.parse_args()
    args.pace = args.pace or args.qps
    return args


# --- environment ------------------------------------------------------------------------------


def configure_environment(args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zezhou_heat.settings.local")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DEBUG", "0")
    os.environ["CELERY_QUEUE"] = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.update(SMS_GATEWAY="aliyun", ALIYUN_SMS_ACCESS_KEY_ID=KEY_ID,
                      ALIYUN_SMS_ACCESS_KEY_SECRET=KEY_SECRET, ALIYUN_SMS_SIGN_NAME=SIGN_NAME,
                      ALIYUN_SMS_TEMPLATE_CODE=TEMPLATE_CODE,
                      ALIYUN_SMS_ENDPOINT="http://127.0.0.1:9/",  # each run names its gateway
                      ALIYUN_SMS_MAX_PER_SECOND=str(args.pace),
                      NOTIFY_SENDING_PROCESSES=str(args.concurrency))
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    sys.path.insert(0, str(ROOT))


def gateway(qps):
    from tests.fakes.aliyun_gateway import AliyunGateway

    # The per-number window as documented for notifications: 50 in any 24 hours.
    return AliyunGateway(keys={KEY_ID: KEY_SECRET}, sign_names=(SIGN_NAME,),
                         per_minute=PER_NUMBER_PER_DAY, minute_seconds=DAY_SECONDS,
                         per_hour=PER_NUMBER_PER_DAY, hour_seconds=DAY_SECONDS, qps=qps)


def fresh_database():
    import django
    from django.core.management import call_command
    from django.db import connections

    if not getattr(fresh_database, "done", False):
        django.setup()
        fresh_database.done = True
    for connection in connections.all():
        connection.close()
        if hasattr(connection, "close_pool"):  # the pool's connections would be dropped under it
            connection.close_pool()
    recreate_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    from directory.plan_loader import load_plan

    load_plan()
    from zezhou_heat.celery import app

    app.conf.task_default_queue = os.environ["CELERY_QUEUE"]


# --- the directory ----------------------------------------------------------------------------


class Numbers:
    """Unique mainland mobile numbers."""

    def __init__(self):
        self.n = 0

    def __call__(self):
        self.n += 1
        return f"137{self.n:08d}"


def person(numbers, name, unit, position=None, holding_unit=None, login=False):
    from django.contrib.auth import get_user_model

    from directory.models import Person, Position

    user = get_user_model().objects.create_user(f"bench-{numbers.n + 1}") if login else None
    someone = Person.objects.create(name=name, unit=unit, user=user, mobile=numbers())
    if position:
        someone.holdings.create(position=Position.objects.get(code=position), unit=holding_unit)
    return someone


def seed(recipients):
    """The office, the member units' people and duty phones, and township officers enough
    for the 重大 warning to reach `recipients` people. Returns the office's users."""
    from directory.choices import PositionCode as P
    from directory.choices import UnitKind
    from directory.models import Person, Position, PositionHolding, Unit

    numbers = Numbers()
    office = {code: person(numbers, f"办公室{code}", Unit.objects.get(code=unit), code,
                           login=True).user
              for code, unit in ((P.COMMANDER, "hq"), (P.DEPUTY_COMMANDER, "hq"),
                                 (P.OFFICE_DIRECTOR, "hq_office"), (P.DUTY_OFFICER, "hq_office"))}
    members = list(Unit.objects.filter(kind=UnitKind.MEMBER, merged_into__isnull=True))
    for unit in members:
        person(numbers, f"{unit.name}联络员", unit, P.UNIT_LIAISON, unit)
        unit.leader_in_charge = person(numbers, f"{unit.name}分管领导", unit)
        unit.duty_phone = numbers()
        unit.save(update_fields=["duty_phone", "leader_in_charge"])
    copy_leaders_on_activation()
    townships = list(Unit.objects.filter(kind=UnitKind.TOWNSHIP, merged_into__isnull=True))
    officers = max(0, recipients - len(members) - len(office))
    people = Person.objects.bulk_create([
        Person(name=f"乡镇干部{i}", unit=townships[i % len(townships)], mobile=numbers())
        for i in range(officers)])
    position = Position.objects.get(code=P.TOWNSHIP_OFFICER)
    PositionHolding.objects.bulk_create([PositionHolding(person=p, position=position, unit=p.unit)
                                 for p in people])
    return office, members, townships


def copy_leaders_on_activation():
    """The issue's load: each unit's activation notice to its liaison, duty phone and leader
    in charge. The plan's default rules leave the leader to the escalation; a county that
    wants its leaders told at once adds this rule (data, in the admin)."""
    from notify.choices import Audience, MessageKind
    from notify.models import RecipientRule

    RecipientRule.objects.create(kind=MessageKind.ACTIVATION, audience=Audience.LEADER_IN_CHARGE,
                                 channels=["sms"], order=99)


def incident_and_warning(office, townships):
    """An incident reported, and a 重大 warning for every township submitted (not yet approved)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from directory.choices import PositionCode as P
    from early_warnings import services as warnings
    from incidents import services as incidents

    now = timezone.now()
    incident = incidents.incident_reported(
        actor=office[P.DUTY_OFFICER], occurred_at=now - timedelta(minutes=20), reported_at=now,
        township=townships[0], place="东街换热站", reporter_name="李明",
        reporter_phone="13800001111", channel="phone", scenario="pipeline_damage",
        description="主管道爆裂，全县多处停暖", deaths=0, serious_injuries=1,
        direct_loss=Decimal("200000"), households_affected=20000, area_affected=Decimal("1500000"))
    draft = warnings.warning_draft_saved(
        actor=office[P.OFFICE_DIRECTOR], townships=townships, incident=incident,
        category="heating_facility", level="major", places="全县供热管网",
        starts_at=now, ends_at=now + timedelta(hours=24),
        impact="主热源停运，全县约2万户可能停暖24小时", watch_for="室内温度下降，老人儿童注意保暖",
        measures="关好门窗，使用电暖器注意用电安全",
        issuing_body="泽州县供热突发事件应急救援指挥部办公室", source="own_inspection")
    warning = warnings.warning_submitted(actor=office[P.OFFICE_DIRECTOR], warning=draft)
    return incident, warning


def committed(cause):
    """Run `cause` in a transaction; the wall time of its commit (an on_commit hook registered
    first, so it runs before the fast path's)."""
    from django.db import transaction

    stamp = {}
    with transaction.atomic():
        transaction.on_commit(lambda: stamp.setdefault("at", time.time()))
        cause()
    return stamp["at"]


def drive(office, incident, warning):
    from directory.choices import PositionCode as P
    from early_warnings import services as warnings
    from notify.choices import MessageKind
    from response import services as responses

    commander = office[P.COMMANDER]
    return {
        MessageKind.ACTIVATION: committed(lambda: responses.response_started_directly(
            actor=commander, incident=incident, level="I", reason="全县停暖，启动Ⅰ级响应")),
        MessageKind.WARNING: committed(lambda: warnings.warning_approved(
            actor=commander, warning=warning)),
    }


def queued_sms():
    from notify.choices import DeliveryStatus
    from notify.models import Delivery

    return Delivery.objects.filter(channel="sms", status=DeliveryStatus.QUEUED).count()


def wait_until_handed(timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not queued_sms():
            time.sleep(SETTLE_SECONDS)
            return True
        time.sleep(0.1)
    return False


# --- the floor --------------------------------------------------------------------------------


def floor(count, qps, threads):
    """`count` signed SendSms calls by `threads` threads of a bare loop, paced at `qps` calls a
    second in all, against a fresh gateway; per call, ms from the start to its receipt."""
    import logging

    from notify.backends.aliyun import AliyunSms

    logging.getLogger("notify.backends.aliyun").setLevel(logging.WARNING)  # a line per call
    from notify.backends.base import Outgoing, SendFailure

    with gateway(qps) as bare:
        pending = list(range(count))
        lock = threading.Lock()
        start = time.time()

        def loop():
            client = AliyunSms(access_key_id=KEY_ID, access_key_secret=KEY_SECRET,
                               sign_name=SIGN_NAME, template_code=TEMPLATE_CODE,
                               endpoint=bare.endpoint)
            while True:
                with lock:
                    if not pending:
                        return
                    i = pending.pop(0)
                time.sleep(max(0.0, start + i / qps - time.time()))
                message = Outgoing(key=f"floor/{i}", channel="sms", address=f"136{i:08d}",
                                   text="泽州县应急指挥部通知：请立即到岗。")
                while True:
                    try:
                        client.send(message)
                        break
                    except SendFailure:  # throttled at the edge of a second: again at once
                        time.sleep(0.01)

        workers = [threading.Thread(target=loop) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return sorted((record["received_at"] - start) * 1000 for record in bare.sent)


# --- figures ----------------------------------------------------------------------------------


def figures(fake, commits):
    """Per cause kind: the SMS deliveries' latencies and losses; duplicates over all OutIds."""
    from notify.choices import DeliveryStatus
    from notify.models import Delivery

    received = defaultdict(list)
    for record in fake.sent:
        received[record["out_id"]].append(record["received_at"])
    sent = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
    result = {}
    for kind, commit in commits.items():
        rows = list(Delivery.objects.filter(message__kind=kind, channel="sms").values_list(
            "key", "status", "handed_at", "attempts"))
        gateway_ms = sorted((min(received[key]) - commit) * 1000 for key, *_ in rows
                            if received[key])
        recorded_ms = sorted((handed.timestamp() - commit) * 1000 for _, status, handed, _ in rows
                             if handed and status in sent)
        result[kind] = {
            "messages": len(rows), "gateway": gateway_ms, "recorded": recorded_ms,
            "lost": sum(1 for key, status, *_ in rows
                        if not received[key] or status not in sent),
            "statuses": Counter(status for _, status, *_ in rows),
            "retried": sum(1 for *_, attempts in rows if attempts > 1),
        }
    result["duplicates"] = sum(1 for times in received.values() if len(times) > 1)
    result["throttled"] = fake.throttled
    result["other_channels"] = Delivery.objects.exclude(channel="sms").filter(
        message__kind__in=list(commits)).count()
    activation = {key for key in Delivery.objects.filter(
        message__kind="activation").values_list("key", flat=True)}
    last_activation = max((min(received[key]) for key in activation if received[key]),
                          default=0)
    result["warnings_before_last_activation"] = sum(
        1 for key, times in received.items() if key not in activation
        and min(times) < last_activation)
    calls = Counter(action for action, _ in fake.requests)
    result["calls"], result["refused"] = calls, calls["SendSms"] - len(fake.sent)
    return result


def describe(values):
    if not values:
        return "n/a"
    return (f"p50 {percentile(values, 50):.0f}, p99 {percentile(values, 99):.0f}, "
            f"max {values[-1]:.0f}")


def report(args, run, result, floor_ms, members):
    from notify.choices import MessageKind

    lines = [f"\n== deliveries benchmark, run {run['n']} of {args.runs} ==",
             f"machine:     {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
             f"{' '.join(f'{x:.2f}' for x in run['load'])} at the start, "
             f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end",
             f"gateway:     local Aliyun SendSms, signatures checked, {args.qps} calls/s per "
             f"account, {PER_NUMBER_PER_DAY} per number per 24 h; workers' shared pace "
             f"{args.pace}/s",
             f"hand-over:   1 Celery worker (prefork, concurrency {args.concurrency}) + beat "
             f"(notify sweep every 5 s); worker ready {run['startup']:.1f} s after start",
             f"seeded:      {members} member units (liaison, leader, mobile duty phone each, "
             f"all three told of the activation), "
             f"{run['people']} people in the directory",
             f"cpu:         {run['cpu']:.1f} s user+system in the worker and beat (startup "
             f"included); {run['elapsed']:.1f} s in all"]
    passed = run["handed"] and result["duplicates"] == 0 and result["other_channels"] == 0
    for kind, label in ((MessageKind.ACTIVATION, "Level Ⅰ activation"),
                        (MessageKind.WARNING, "重大 warning")):
        r = result[kind]
        passed = passed and r["lost"] == 0 and r["messages"] > 0
        lines += [f"{label}: {r['messages']} SMS, statuses {dict(r['statuses'])}, "
                  f"retried {r['retried']}, lost {r['lost']}",
                  f"  commit → gateway received (ms):   {describe(r['gateway'])}",
                  f"  commit → recorded as sent (ms):   {describe(r['recorded'])}"]
    lines += [f"floor, {len(floor_ms)} bare signed SendSms calls from {args.concurrency} threads "
              f"(ms from start): {describe(floor_ms)}",
              f"gateway:     calls {dict(result['calls'])}, SendSms refused {result['refused']} "
              f"(throttled {result['throttled']}), duplicates (same OutId taken twice) "
              f"{result['duplicates']}",
              f"order:       warning SMS taken before the activation's last: "
              f"{result['warnings_before_last_activation']}; deliveries moved to another "
              f"channel: {result['other_channels']}",
              f"target: every SMS handed over, lost 0, duplicates 0 → "
              f"{'PASS' if passed else 'FAIL'}"]
    print("\n".join(lines), flush=True)
    return passed


# --- main -------------------------------------------------------------------------------------


def start_celery(folder, concurrency):
    worker = CeleryProcess(["worker", "--concurrency", str(concurrency), "--loglevel", "INFO",
                            "--without-gossip", "--without-mingle", "--without-heartbeat",
                            "-n", "bench-deliveries@%h"])
    beat = CeleryProcess(["beat", "--loglevel", "INFO",
                          "--schedule", str(Path(folder) / "beat-schedule")])
    try:
        worker.wait_for(WORKER_READY)
        beat.wait_for("beat: Starting")
    except Exception:
        stop_all([worker, beat])
        raise
    return worker, beat


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(args, n):
    run = {"n": n, "load": os.getloadavg()}
    started = time.monotonic()
    fresh_database()
    from directory.models import Person

    office, members, townships = seed(args.recipients)
    incident, warning = incident_and_warning(office, townships)
    run["people"] = Person.objects.count()
    cpu_before = children_cpu_seconds()
    with gateway(args.qps) as fake, tempfile.TemporaryDirectory(prefix="bench-beat-") as folder:
        os.environ["ALIYUN_SMS_ENDPOINT"] = fake.endpoint
        worker, beat = start_celery(folder, args.concurrency)
        run["startup"] = time.monotonic() - started
        try:
            wait_until_handed(args.timeout)  # the approval request of the warning, first
            fake.sent.clear()
            fake.requests.clear()
            commits = drive(office, incident, warning)
            run["handed"] = wait_until_handed(args.timeout)
        finally:
            stop_all([worker, beat])
        run["cpu"] = children_cpu_seconds() - cpu_before
        result = figures(fake, commits)
    count = sum(result[kind]["messages"] for kind in commits)
    floor_ms = floor(count, args.qps, args.concurrency)
    run["elapsed"] = time.monotonic() - started
    return report(args, run, result, floor_ms, len(members))


def main():
    args = parse_args()
    configure_environment(args)
    results = [one_run(args, n) for n in range(1, args.runs + 1)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
