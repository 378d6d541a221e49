#!/usr/bin/env bash
# Install what is missing: system packages (PostgreSQL + PostGIS, and for tests and benchmarks Chromium for the
# browser tests and HAProxy for the load-balancer tests) and the Python virtualenv. Idempotent and quick when everything is present.
# Usage: scripts/bootstrap.sh [--with-browser]
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[ "${1:-}" = "--with-browser" ] && want_browser=1

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1; }

missing=()
if [ -z "${DATABASE_URL:-}" ]; then
  v=$(pg_version)
  if [ -z "$v" ] || [ ! -x "/usr/lib/postgresql/$v/bin/initdb" ]; then
    missing+=(postgresql)
    v=""
  fi
  if [ -z "$v" ] || ! ls "/usr/share/postgresql/$v/extension/postgis.control" >/dev/null 2>&1; then
    missing+=("postgresql-${v:-15}-postgis-3")
  fi
fi
if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
# tests/deploy and bench/cluster.py run deploy/haproxy.cfg in the distribution's HAProxy
if [ "$want_browser" = 1 ] && ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  missing+=(haproxy)
fi
if ! command -v python3 >/dev/null 2>&1; then
  missing+=(python3 python3-venv python3-dev)
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    v=$(pg_version)
    pkgs=()
    for p in "${missing[@]}"; do
      case "$p" in postgresql) ;; postgresql-*-postgis-3) pkgs+=("postgresql-$v-postgis-3");; *) pkgs+=("$p");; esac
    done
    [ ${#pkgs[@]} -gt 0 ] && apt-get install -y -qq "${pkgs[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Run as root, then run make again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ requirements-dev.txt -nt "$stamp" ]; then
  echo "==> installing Python packages into .venv/"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
  touch "$stamp"
fi
