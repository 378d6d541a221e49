#!/usr/bin/env bash
# Bring back a base backup made by scripts/backup.sh, replaying the archived WAL up to a point in time (or to
# the end of the archive), into an empty data folder. docs/backups.md has the whole recipe.
#
# Usage (run as the PostgreSQL OS user, e.g. `sudo -u postgres scripts/restore.sh ...`):
#   restore.sh BASE_BACKUP ARCHIVE_DIR TARGET_DATA_DIR [--time 'YYYY-MM-DD HH:MM:SS+TZ'] [--port PORT]
#              [--keep-archiving] [--no-verify]
#
#   BASE_BACKUP      a base-YYYYMMDDTHHMMSSZ folder from `backup.sh base`, older than the --time
#   ARCHIVE_DIR      the WAL archive (archive_command's folder), read with restore_command
#   TARGET_DATA_DIR  empty or not there yet; it becomes the restored server's data folder
#   --time T         stop replaying before the first transaction that committed after T, then open for
#                    writes (recovery_target_action = promote). Give the zone (+08 is WITA): without one the
#                    server reads T in its own TimeZone setting. Without --time: everything archived.
#   --port PORT      the port the restored server listens on (a trial restore beside the running primary)
#   --keep-archiving the restored server archives into the configured archive (when it is to be the new
#                    primary). By default archive_mode is off: a trial restore must not write its new
#                    timeline into the production archive, where a later restore would follow it.
#   --no-verify      skip pg_verifybackup (checks every file against the backup's manifest before replay)
#
# It extracts the backup, checks it, writes restore_command / recovery_target_* to postgresql.auto.conf and
# recovery.signal, and prints how to start the server and what to look for. It starts nothing itself.
set -euo pipefail

die() { echo "restore.sh: $*" >&2; exit 1; }
say() { echo "restore.sh: $*" >&2; }
usage() { sed -n '5,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

pg_bin() {
  if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR/$1"; return; fi
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/$1" ]; then echo "/usr/lib/postgresql/$v/bin/$1"
  else command -v "$1" || die "$1 not found (set PG_BINDIR)"; fi
}

[ $# -ge 3 ] || usage
base=${1%/} archive=${2%/} target=${3%/}
shift 3
time_target='' port='' keep_archiving=0 verify=1
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_target=${2:?--time needs a timestamp}; shift 2 ;;
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --keep-archiving) keep_archiving=1; shift ;;
    --no-verify) verify=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1" ;;
  esac
done

[ "$(id -u)" != 0 ] || die "run as the PostgreSQL OS user (sudo -u postgres ...): the server refuses root's files"
[ -f "$base/base.tar.gz" ] && [ -f "$base/backup_manifest" ] || die "$base: no base.tar.gz and backup_manifest"
[ ! -e "$base.partial" ] || say "warning: $base.partial exists: is a backup of that name still running?"
case "$archive" in /*) ;; *) die "ARCHIVE_DIR must be an absolute path (the server reads it from its own folder)" ;; esac
case "$archive" in *[\"\'\`\$\\%\ ]*|*$'\n'*) die "ARCHIVE_DIR must not contain quotes, spaces, \$, \\, \` or %" ;; esac
[ -d "$archive" ] || die "$archive is not a folder"
[ -z "$port" ] || [[ "$port" =~ ^[0-9]+$ ]] || die "--port must be a number"
if [ -n "$time_target" ]; then
  # The zone may be an offset (+08, +08:00) or a name (Asia/Makassar); nothing that could end the quoted value.
  [[ "$time_target" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}[\ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(\ ?[A-Za-z0-9+:/_-]*)$ ]] \
    || die "--time must look like 'YYYY-MM-DD HH:MM:SS+08'"
  [ -n "${BASH_REMATCH[3]// /}" ] || say "warning: --time has no zone: the server will read it in its TimeZone"
  # Replay cannot stop inside the backup's own WAL: the backup must have ended before the target.
  say "recovery target: $time_target; the backup started $(sed -n 's/^START TIME: //p' "$base/backup_label.txt" \
    2>/dev/null || echo '(unknown)')"
fi
if [ -e "$target" ]; then
  [ -d "$target" ] && [ -z "$(ls -A "$target")" ] \
    || die "$target is not empty: restore into an empty folder (move the old one aside)"
  chmod 700 "$target"
else
  mkdir -p "$target" && chmod 700 "$target"
fi
for extra in "$base"/*.tar.gz; do
  case "$(basename "$extra")" in base.tar.gz|pg_wal.tar.gz) ;;
    *) die "$base holds a tablespace archive ($(basename "$extra")): restore it by hand, see docs/backups.md" ;;
  esac
done

trap 'echo "restore.sh: FAILED; $target may hold part of the backup: empty it before trying again" >&2' ERR
started=$(date +%s)
progress=(--checkpoint=26214 --checkpoint-action="echo=  extracting %{r}T")  # a line per 256 MiB read
say "extracting $base/base.tar.gz ($(du -h "$base/base.tar.gz" | cut -f1) compressed) into $target"
tar -xzf "$base/base.tar.gz" -C "$target" "${progress[@]}"
if [ -f "$base/pg_wal.tar.gz" ]; then
  tar -xzf "$base/pg_wal.tar.gz" -C "$target/pg_wal"
  wal=(-w "$target/pg_wal")
else
  wal=(-w "$archive")  # a backup taken with -X none: its WAL is in the archive only
fi
chmod 700 "$target"  # an archive's "./" entry may carry other permissions, which the server refuses
say "extracted in $(( $(date +%s) - started )) s"
if [ "$verify" = 1 ]; then
  say "checking every file against backup_manifest (pg_verifybackup)"
  "$(pg_bin pg_verifybackup)" -q -m "$base/backup_manifest" "${wal[@]}" "$target" \
    || die "the backup in $base does not match its manifest: try an older one ($target is left as it is)"
fi
cp "$base/backup_manifest" "$target/backup_manifest.restored-from"

# postgresql.auto.conf is read last, after postgresql.conf wherever that lives (in the data folder, or
# /etc/postgresql/15/main on Debian), so these settings win. Lines a previous restore left in the backup's copy
# are dropped first: a recovery target carried over from an earlier restore would stop this one in the past.
auto="$target/postgresql.auto.conf"
touch "$auto"
keys='restore_command|recovery_target[a-z_]*'
[ "$keep_archiving" = 1 ] || keys="$keys|archive_mode"
[ -z "$port" ] || keys="$keys|port"
grep -Ev "^[[:space:]]*($keys)[[:space:]]*=|^# peta-aduan restore" "$auto" > "$auto.new" || true
{
  echo "# peta-aduan restore: written by scripts/restore.sh on $(date -u '+%Y-%m-%d %H:%M:%S UTC') from $base"
  echo "restore_command = 'cp \"$archive/%f\" \"%p\"'"
  echo "recovery_target_timeline = 'latest'"
  if [ -n "$time_target" ]; then
    echo "recovery_target_time = '$time_target'"
    echo "recovery_target_action = 'promote'"
  fi
  [ "$keep_archiving" = 1 ] || echo "archive_mode = off"
  [ -z "$port" ] || echo "port = $port"
} >> "$auto.new"
mv "$auto.new" "$auto"
chmod 600 "$auto"
# Debian keeps postgresql.conf and pg_hba.conf in /etc/postgresql/NN/main, so its base backups hold neither.
# Its own start (pg_ctlcluster) names those files and ignores these; a trial restore started with pg_ctl -D
# needs some: an empty configuration (the defaults, plus the port above) and local connections only.
if [ ! -f "$target/postgresql.conf" ]; then
  echo "# written by scripts/restore.sh: the backup held no postgresql.conf; settings in postgresql.auto.conf" \
    > "$target/postgresql.conf"
  say "the backup held no postgresql.conf (Debian keeps it in /etc/postgresql): wrote an empty one"
fi
if [ ! -f "$target/pg_hba.conf" ]; then
  printf '%s\n' "# written by scripts/restore.sh: the backup held no pg_hba.conf; local connections only" \
    "local all all peer" "host all all 127.0.0.1/32 scram-sha-256" "host all all ::1/128 scram-sha-256" \
    > "$target/pg_hba.conf"
  say "the backup held no pg_hba.conf: wrote one for local connections only"
fi
touch "$target/recovery.signal"
# A postmaster.pid cannot be in a base backup, but a restore into a folder copied by hand might carry one.
rm -f "$target/postmaster.pid"

cat <<EOF

Restored $base into $target in $(( $(date +%s) - started )) s.
Replay ${time_target:+up to $time_target }happens when the server starts. Start it:
  $(pg_bin pg_ctl) -D $target -l $(dirname "$target")/restore.log start
or, with Debian's packaging (data folder /var/lib/postgresql/15/main):
  sudo systemctl start postgresql@15-main
Watch the log for "recovery stopping before commit of transaction ..." (the target was reached) or
"archive recovery complete", then "database system is ready to accept connections". If it stops with
"recovery ended before configured recovery target was reached", the archive holds no commit after the
target: choose an earlier time, or check that archiving ran (pg_stat_archiver on the old server).
Check: psql${port:+ -p $port} -c 'SELECT pg_is_in_recovery()'   # f: replay is over, the server takes writes
$( [ "$keep_archiving" = 1 ] && echo "It archives into the configured archive on a new timeline." || echo "archive_mode is off: before it becomes the primary, remove 'archive_mode = off' from
$auto and restart it (or restore again with --keep-archiving), then take a new base backup." )
EOF
