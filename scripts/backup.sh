#!/bin/sh
# Backups of the dashboard's PostgreSQL database that restore (README "Backups").
#
#   backup.sh dump [FILE]        a consistent dump of the running database (pg_dump -Fc: one
#                                snapshot, writers are not blocked), written to FILE or to
#                                $BACKUP_DIR/zezhou-YYYYMMDD-HHMMSS.dump, checked readable
#   backup.sh restore FILE DB    a new database DB (it must not exist) holding that dump
#   backup.sh prune              delete the dumps in $BACKUP_DIR older than $BACKUP_RETENTION_DAYS
#   backup.sh nightly            for ever: wait until $BACKUP_AT county time, dump, prune (and
#                                once at start when no dump is younger than a day)
#
# The connection is libpq's: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (the owner role,
# which sees every table and sequence). docker-compose's `backup` service runs `nightly`.
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_RETENTION_DAYS=${BACKUP_RETENTION_DAYS:-190}  # six months and a margin (网络安全法 §21)
BACKUP_AT=${BACKUP_AT:-02:00}
# County time is UTC+8 all year (no summer time): a POSIX rule, no zoneinfo files needed.
BACKUP_TZ=${BACKUP_TZ:-CST-8}

say() { echo "$(TZ=$BACKUP_TZ date '+%Y-%m-%d %H:%M:%S') backup: $*"; }

dump() {
    file=${1:-$BACKUP_DIR/zezhou-$(TZ=$BACKUP_TZ date +%Y%m%d-%H%M%S).dump}
    partial="$file.partial"
    # Each step checked by hand: `set -e` does not apply inside `if dump` (nightly).
    mkdir -p "$(dirname "$file")" || return 1
    pg_dump --format=custom --compress=6 --file="$partial" || { rm -f "$partial"; return 1; }
    # Readable to the end, or no backup.
    pg_restore --list "$partial" >/dev/null || { rm -f "$partial"; return 1; }
    mv "$partial" "$file" || return 1
    say "wrote $file ($(wc -c <"$file") bytes)"
}

restore() {
    file=$1 database=$2
    createdb "$database"
    # Objects are owned by whoever restores (the owner role). Grants are left out: the
    # application's role is made again by `manage.py grant_app_role` (docker-compose's
    # `migrate` service does it at every start), so a dump restores on any cluster.
    pg_restore --exit-on-error --no-owner --no-privileges --single-transaction \
        --dbname="$database" "$file"
    say "restored $file into database $database"
}

prune() {
    case $BACKUP_RETENTION_DAYS in
        ''|*[!0-9]*) say "BACKUP_RETENTION_DAYS must be a number of days"; exit 2 ;;
    esac
    find "$BACKUP_DIR" -maxdepth 1 -name 'zezhou-*.dump' -mtime "+$BACKUP_RETENTION_DAYS" \
        -print -delete | while read -r old; do say "deleted $old"; done
    find "$BACKUP_DIR" -maxdepth 1 -name '*.partial' -mmin +720 -delete
}

seconds_until_next() {
    now=$(date +%s)
    next=$(TZ=$BACKUP_TZ date -d "$BACKUP_AT" +%s)
    [ "$next" -gt "$now" ] || next=$((next + 86400))
    echo $((next - now))
}

nightly() {
    TZ=$BACKUP_TZ date -d "$BACKUP_AT" >/dev/null || { say "BACKUP_AT: not a time"; exit 2; }
    say "dumps at $BACKUP_AT county time into $BACKUP_DIR, kept $BACKUP_RETENTION_DAYS days"
    mkdir -p "$BACKUP_DIR"
    if [ -z "$(find "$BACKUP_DIR" -maxdepth 1 -name 'zezhou-*.dump' -mmin -1440)" ]; then
        # A first deployment, or a host that was down at night: one dump now.
        if dump; then prune; else say "dump FAILED; older dumps kept"; fi
    fi
    while :; do
        sleep "$(seconds_until_next)"
        # A failed dump deletes nothing: the older dumps stay until a new one is good.
        if dump; then prune; else say "dump FAILED; older dumps kept"; fi
        sleep 60  # past the minute, so one night gives one dump
    done
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
    dump) dump "$@" ;;
    restore) [ $# -eq 2 ] || { echo "usage: $0 restore FILE DATABASE" >&2; exit 2; }; restore "$@" ;;
    prune) prune ;;
    nightly) nightly ;;
    *) echo "usage: $0 dump [FILE] | restore FILE DATABASE | prune | nightly" >&2; exit 2 ;;
esac
