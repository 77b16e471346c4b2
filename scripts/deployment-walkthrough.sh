#!/usr/bin/env bash
# The Phase 2C deployment guide, step by step, with tmwsctl instead of alembic, cp and sqlite3.
# Runs against a temporary database with HOME pointed at a temporary directory, prints each step,
# and exits non-zero on the first mismatch.
#
#   TMWSCTL=/path/to/tmwsctl scripts/deployment-walkthrough.sh   # or let it `swift build` the binary
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TMWSCTL:-}" ]; then
    swift build --product tmwsctl ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"} >&2
    TMWSCTL="$(swift build --show-bin-path ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})/tmwsctl"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home"
mkdir -p "$HOME"
unset TMWS_SECRET_KEY TMWS_SECRET_KEY_FILE
export TMWS_DATABASE_URL="sqlite+aiosqlite:///$WORK/data/tmws.db"
DB="$WORK/data/tmws.db"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'MISMATCH: %s\n' "$*" >&2; exit 1; }
ctl() { printf '$ tmwsctl %s\n' "$*"; "$TMWSCTL" "$@"; }
expect_eq() { [ "$1" = "$2" ] || fail "expected '$2', got '$1' ($3)"; echo "ok: $3"; }
expect_contains() { case "$1" in *"$2"*) echo "ok: $3" ;; *) fail "expected '$2' in output ($3): $1" ;; esac; }
json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$1"; }

step "1. Initialise (first run: database at head, secret, admin agent and its key file)"
ctl init
[ -f "$WORK/data/admin.key" ] || fail "admin key file missing"
expect_eq "$(stat -c %a "$WORK/data/admin.key")" "600" "admin key file is owner-only"

step "2. Schema verification"
ctl schema verify

step "3. Seed data before the rollback rehearsal"
ctl agent create billing-bot --namespace acme --role editor --display-name "Billing bot"
PRE_KEY="$("$TMWSCTL" license generate --tier PRO --days 365 --as billing-bot)"
PRE_ID="$("$TMWSCTL" license list --json | json_get items.0.license_id)"
echo "generated license $PRE_ID"

step "4. Backup (online, integrity-checked, owner-only)"
BACKUP="$WORK/data/tmws_backup_walkthrough.db"
ctl backup --out "$BACKUP"
expect_eq "$(stat -c %a "$BACKUP")" "600" "backup is owner-only"

step "5. Rollback the RBAC migration (alembic downgrade -1)"
ctl migrate down --yes
expect_eq "$("$TMWSCTL" migrate status --track seed)" "096325207c82" "status after downgrade"

step "6. Data is still there"
"$TMWSCTL" schema verify >/dev/null && fail "schema verify should fail below head" || echo "ok: schema verify reports the missing role column (exit 1)"
set +e; "$TMWSCTL" agent list >/dev/null 2>"$WORK/err"; rc=$?; set -e
expect_eq "$rc" "2" "agent commands refuse an older revision"
expect_contains "$(cat "$WORK/err")" "tmwsctl migrate up" "the refusal names the fix"

step "7. Upgrade to head (alembic upgrade head)"
ctl migrate up
expect_eq "$("$TMWSCTL" migrate status --track seed)" "571948cc671b (head)" "status after upgrade"
expect_eq "$("$TMWSCTL" migrate status --track extension)" "extension: tmws_0002_signing_keys (head)" "the extension track is untouched"
ctl init   # every agent is a viewer after the RBAC revision: give the bootstrap admin its role back
expect_contains "$("$TMWSCTL" agent list)" "billing-bot" "agent kept across down/up"
expect_contains "$("$TMWSCTL" license info "$PRE_ID")" "$PRE_ID" "license kept across down/up"

step "8. Create agents and set roles (instead of SQL UPDATE)"
ctl agent set-role billing-bot editor
ctl agent create viewer-1 --namespace acme
ctl agent set-role viewer-1 viewer
ctl agent set-tier viewer-1 PRO
ctl agent list --role editor

step "9. Generate, validate, revoke"
KEY="$("$TMWSCTL" license generate --tier ENTERPRISE --days 30 --as billing-bot --json | json_get license_key)"
ID="$(printf '%s' "$KEY" | cut -d- -f3-7)"
expect_eq "$("$TMWSCTL" license validate "$KEY" --as viewer-1 --feature reports --json | json_get code)" "VALID" "validate as viewer"
ctl license revoke "$ID" --reason "walkthrough"
set +e; "$TMWSCTL" license validate "$KEY" --as viewer-1 >"$WORK/out"; rc=$?; set -e
expect_eq "$rc" "1" "a revoked key fails validation with exit 1"
expect_contains "$(cat "$WORK/out")" "REVOKED" "verdict is REVOKED"

step "10. A viewer may not generate; the DENY is audited"
set +e; "$TMWSCTL" license generate --tier PRO --as viewer-1 2>"$WORK/err"; rc=$?; set -e
expect_eq "$rc" "3" "viewer generate is refused (exit 3)"
ctl audit query --result DENY --since 1h
DENIED="$("$TMWSCTL" audit query --result DENY --agent viewer-1 --json)"
expect_contains "$DENIED" '"operation" : "license:generate"' "denied viewer attempt is in the audit log"

step "11. Monitoring metrics"
set +e; STATS="$("$TMWSCTL" stats --json)"; rc=$?; set -e
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "stats exited $rc"
for metric in permission_deny_rate licenses_generated_24h validation_failure_rate migration_version; do
    expect_contains "$STATS" "\"$metric\"" "stats has $metric"
done

step "12. Full rollback: restore the backup"
ctl restore "$BACKUP" --force
expect_eq "$("$TMWSCTL" migrate status --track seed)" "571948cc671b (head)" "status after restore"
LIST="$("$TMWSCTL" agent list)"
case "$LIST" in *viewer-1*) fail "viewer-1 was created after the backup" ;; esac
echo "ok: agents created after the backup are gone"
expect_eq "$("$TMWSCTL" license info "$PRE_ID" --json | json_get status)" "active" "the pre-backup license is back"
expect_eq "$("$TMWSCTL" license validate "$PRE_KEY" --json | json_get code)" "VALID" "the pre-backup key validates"
ls "$WORK/data" | grep -q '^tmws_pre_restore_' || fail "the replaced database was not kept"
echo "ok: the replaced database was kept"

printf '\nDeployment walkthrough: all steps passed.\n'
