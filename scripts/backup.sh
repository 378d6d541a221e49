#!/usr/bin/env bash
# Backups that restore: nightly compressed base backups plus continuous WAL archiving, with the plain
# PostgreSQL tools (pg_basebackup, archive_command, pg_verifybackup, pg_archivecleanup) and no daemon.
# docs/backups.md is the recipe; scripts/restore.sh brings a backup back, to a point in time if asked.
#
# Usage (run as the PostgreSQL OS user, e.g. `sudo -u postgres scripts/backup.sh ...`):
#   backup.sh base DEST_DIR [--no-verify]
#       A base backup of the server named by PGHOST / PGPORT / PGUSER (libpq's variables; PGPASSWORD or
#       ~/.pgpass for a password; the role needs REPLICATION) into DEST_DIR/base-YYYYMMDDTHHMMSSZ/:
#       base.tar.gz, pg_wal.tar.gz (the WAL that makes it consistent), backup_manifest, backup_label.txt.
#       It is written under a .partial name, checked (extracted to a scratch folder beside it and run
#       through pg_verifybackup, unless --no-verify), then renamed: a base-* folder is a checked backup.
#   backup.sh verify BACKUP_DIR [ARCHIVE_DIR]
#       The same check for a backup taken earlier (briefly needs as much free space as the database;
#       ARCHIVE_DIR for the WAL of a backup taken with BACKUP_WAL_METHOD=none).
#   backup.sh archive-config ARCHIVE_DIR [--timeout SECONDS]
#       Prints the postgresql.conf lines that archive every WAL segment into ARCHIVE_DIR (atomically: a
#       temporary name, fsync, rename; never overwriting a different file). Default archive_timeout 300 s.
#   backup.sh prune DEST_DIR KEEP [ARCHIVE_DIR]
#       Keeps the newest KEEP checked base backups in DEST_DIR, deletes older ones, and (with ARCHIVE_DIR)
#       deletes the archived WAL older than the oldest backup kept (pg_archivecleanup). DRY_RUN=1 only tells.
#
# Environment: PG_BINDIR (default: the newest /usr/lib/postgresql/*/bin, else PATH), BACKUP_WAL_METHOD
# (stream, the default; fetch or none, see docs/backups.md), BACKUP_PROGRESS=1 for a progress line per second
# even when stderr is not a terminal (it is shown on a terminal anyway).
set -euo pipefail

die() { echo "backup.sh: $*" >&2; exit 1; }
say() { echo "backup.sh: $*" >&2; }

SCRATCH=
trap '[ -z "$SCRATCH" ] || rm -rf "$SCRATCH"' EXIT

usage() { sed -n '6,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

pg_bin() {
  if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR/$1"; return; fi
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/$1" ]; then echo "/usr/lib/postgresql/$v/bin/$1"
  else command -v "$1" || die "$1 not found (set PG_BINDIR)"; fi
}

# A path that goes into a shell command inside postgresql.conf: absolute, and without characters that
# either the shell or the configuration file would take for syntax (or PostgreSQL for a %-escape).
check_plain_path() {
  case "$1" in
    /*) ;;
    *) die "$2 must be an absolute path: $1" ;;
  esac
  case "$1" in
    *[\"\'\`\$\\%\ ]*|*$'\n'*) die "$2 must not contain quotes, spaces, \$, \\, \` or %: $1" ;;
  esac
}

# Oldest-first list of the checked base backups in a folder.
list_backups() { find "$1" -mindepth 1 -maxdepth 1 -type d -name 'base-*' ! -name '*.partial' -printf '%f\n' | sort; }

# Extract the backup in $1 into a scratch folder $2 and run pg_verifybackup on it: every file's size and
# checksum against backup_manifest, and the WAL from the backup's start to its end parses (from its own
# pg_wal.tar.gz, or from the archive $3 for a backup taken with -X none).
verify_backup() {
  local backup=$1 scratch=$2 archive=${3:-} wal
  [ -f "$backup/base.tar.gz" ] && [ -f "$backup/backup_manifest" ] || die "$backup: no base.tar.gz / backup_manifest"
  rm -rf "$scratch"
  mkdir -m 700 "$scratch"
  SCRATCH=$scratch  # removed by the EXIT trap, whichever way this ends
  say "verify: extracting $(du -h "$backup/base.tar.gz" | cut -f1) of base.tar.gz into $scratch"
  tar -xzf "$backup/base.tar.gz" -C "$scratch"
  if [ -f "$backup/pg_wal.tar.gz" ]; then
    tar -xzf "$backup/pg_wal.tar.gz" -C "$scratch/pg_wal"
    wal=(-w "$scratch/pg_wal")
  elif [ -n "$archive" ]; then
    wal=(-w "$archive")
  else
    say "verify: the backup holds no WAL and no archive was given: WAL not checked"
    wal=(-n)
  fi
  say "verify: pg_verifybackup"
  "$(pg_bin pg_verifybackup)" -q -m "$backup/backup_manifest" "${wal[@]}" "$scratch" \
    || die "$backup FAILED verification (pg_verifybackup above)"
  rm -rf "$scratch"
  say "verify: $backup is whole (every file matches backup_manifest, its WAL parses)"
}

cmd_base() {
  local dest=${1:-} verify=1
  [ -n "$dest" ] || usage
  shift
  for arg in "$@"; do
    case "$arg" in
      --no-verify) verify=0 ;;
      *) die "base: unknown option $arg" ;;
    esac
  done
  local method=${BACKUP_WAL_METHOD:-stream}
  case "$method" in stream|fetch|none) ;; *) die "BACKUP_WAL_METHOD must be stream, fetch or none" ;; esac
  mkdir -p "$dest"
  exec 9>"$dest/.backup.lock"
  flock -n 9 || die "another backup.sh base or prune is running on $dest"

  local stamp name partial started
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="base-$stamp"
  partial="$dest/$name.partial"
  [ ! -e "$dest/$name" ] && [ ! -e "$partial" ] || die "$dest/$name exists already"
  local progress=()
  if [ -t 2 ] || [ "${BACKUP_PROGRESS:-0}" = 1 ]; then progress=(-P); fi
  started=$(date +%s)
  say "base: backing up ${PGHOST:-local socket}:${PGPORT:-5432} as ${PGUSER:-$(id -un)} into $partial (WAL: $method)"
  # -c fast: start now instead of waiting for the next scheduled checkpoint (a short burst of writes).
  "$(pg_bin pg_basebackup)" -D "$partial" -Ft -z -X "$method" -c fast -v "${progress[@]}" \
    -l "peta-aduan $name" || { rm -rf "$partial"; die "pg_basebackup failed; nothing kept"; }
  # backup_label (the first member of base.tar) names the WAL segment the backup starts from: prune needs it.
  tar -xzOf "$partial/base.tar.gz" --occurrence=1 backup_label > "$partial/backup_label.txt"
  if [ "$verify" = 1 ]; then
    verify_backup "$partial" "$partial/.verify"
  else
    say "base: not verified (--no-verify); run: backup.sh verify $dest/$name"
  fi
  mv "$partial" "$dest/$name"
  sync "$dest"
  say "base: done in $(( $(date +%s) - started )) s: $dest/$name ($(du -sh "$dest/$name" | cut -f1))"
  echo "$dest/$name"
}

cmd_verify() {
  local backup=${1:-} archive=${2:-}
  [ -n "$backup" ] || usage
  backup=${backup%/}
  verify_backup "$backup" "$backup.verify-scratch" "$archive"
}

cmd_archive_config() {
  local dir=${1:-} timeout=300
  [ -n "$dir" ] || usage
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
      *) die "archive-config: unknown option $1" ;;
    esac
  done
  dir=${dir%/}
  check_plain_path "$dir" ARCHIVE_DIR
  [[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout must be whole seconds"
  # A segment already archived is success only if it is the same file (PostgreSQL retries after a crash
  # between our rename and its bookkeeping); a different file of that name is an error, never overwritten.
  # The copy gets a temporary name and is flushed before the rename, so the archive never holds half a
  # segment under a real name; the folder is flushed so the rename itself survives a power cut.
  cat <<CONF
# Continuous WAL archiving for Peta Aduan backups (scripts/backup.sh archive-config $dir).
# archive_mode needs a restart; archive_command and archive_timeout a reload.
wal_level = replica
archive_mode = on
archive_command = 'if test -f "$dir/%f"; then cmp -s "%p" "$dir/%f"; else cp "%p" "$dir/%f.tmp" && sync "$dir/%f.tmp" && mv "$dir/%f.tmp" "$dir/%f" && sync "$dir"; fi'
archive_timeout = $timeout
CONF
}

cmd_prune() {
  local dest=${1:-} keep=${2:-} archive=${3:-}
  [ -n "$dest" ] && [ -n "$keep" ] || usage
  [[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "KEEP must be a whole number of at least 1"
  [ -d "$dest" ] || die "$dest is not a folder"
  exec 9>"$dest/.backup.lock"
  flock -n 9 || die "another backup.sh base or prune is running on $dest"
  local dry=${DRY_RUN:-0} all=() old first=0 startwal
  mapfile -t all < <(list_backups "$dest")
  [ "${#all[@]}" -gt 0 ] || { say "prune: no base backups in $dest: nothing deleted (the archive is kept)"; return; }
  [ "${#all[@]}" -le "$keep" ] || first=$(( ${#all[@]} - keep ))
  for old in "${all[@]:0:first}"; do
    say "prune: deleting base backup $dest/$old"
    [ "$dry" = 1 ] || rm -rf "${dest:?}/$old"
  done
  local oldest=${all[first]}
  say "prune: keeping $(( ${#all[@]} - first )) base backup(s), the oldest $oldest"
  [ -n "$archive" ] || return 0
  [ -f "$dest/$oldest/backup_label.txt" ] || die "$dest/$oldest/backup_label.txt missing: archive not pruned"
  startwal=$(sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]\{24\}\))$/\1/p' "$dest/$oldest/backup_label.txt")
  [ -n "$startwal" ] || die "no START WAL LOCATION in $dest/$oldest/backup_label.txt: archive not pruned"
  say "prune: deleting archived WAL older than $startwal (what $oldest starts from) in $archive"
  if [ "$dry" = 1 ]; then "$(pg_bin pg_archivecleanup)" -n "$archive" "$startwal"
  else "$(pg_bin pg_archivecleanup)" "$archive" "$startwal"; fi
  # A *.tmp is a copy that archive_command did not finish; PostgreSQL retries it under the same name, so one
  # older than a day is left over from a crash.
  if [ "$dry" = 1 ]; then find "$archive" -maxdepth 1 -name '*.tmp' -mmin +1440 -print >&2
  else find "$archive" -maxdepth 1 -name '*.tmp' -mmin +1440 -print -delete >&2; fi
}

case "${1:-}" in
  base) shift; cmd_base "$@" ;;
  verify) shift; cmd_verify "$@" ;;
  archive-config) shift; cmd_archive_config "$@" ;;
  prune) shift; cmd_prune "$@" ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
