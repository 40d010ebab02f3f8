#!/usr/bin/env bash
# Checks ops/switchboard-broker.service with systemd's own tools, without a running systemd:
# `systemd-analyze verify` (syntax, and that ExecStart's binary exists: pointed at the built
# broker for the check) and `systemd-analyze security --offline` (the hardening; fails above
# the exposure threshold). Any "Unknown key" or "ignoring" warning fails the check too.
#
#   check_systemd_unit.sh UNIT_FILE BROKER_BINARY WORK_DIR
set -euo pipefail

unit="$1"
broker="$2"
work="$3"
mkdir -p "$work"
copy="$work/switchboard-broker.service"
sed "s#/usr/local/bin/switchboard-broker#${broker}#" "$unit" > "$copy"
grep -q "ExecStart=${broker} " "$copy" || {
  echo "ExecStart does not run /usr/local/bin/switchboard-broker" >&2
  exit 1
}

log="$work/analyze.log"
systemd-analyze verify "$copy" > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
# The threshold is on systemd's 0-100 scale (100 = "UNSAFE"); this unit scores 14 with
# systemd 252. A change that loses hardening raises it.
systemd-analyze security --offline=true --threshold=20 --no-pager "$copy" >> "$log" 2>&1 || {
  cat "$log" >&2
  echo "systemd-analyze security: exposure above the threshold" >&2
  exit 1
}
if grep -Ei "unknown|ignoring|invalid|failed" "$log" | grep -v '^ *[✓✗]' >&2; then
  echo "systemd-analyze warned about the unit" >&2
  exit 1
fi
grep -E "Overall exposure level" "$log"
