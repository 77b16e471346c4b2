#!/usr/bin/env bash
# Offline licenses end to end with the shipped tools: tmwsctl checks out a token and exports the
# public key set, and the example app (Examples/OfflineCheck, TMWSLicenseVerifier only) verifies
# it with nothing else; then a rotation, a key removal and a revocation as the app sees them.
# Exits non-zero on the first mismatch.
#
#   TMWSCTL=/path/to/tmwsctl OFFLINE_CHECK=/path/to/offline-check scripts/offline-license-walkthrough.sh
#   (either left unset is built with `swift build`)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TMWSCTL:-}" ]; then
    swift build --product tmwsctl >&2
    TMWSCTL="$(swift build --show-bin-path)/tmwsctl"
fi
if [ -z "${OFFLINE_CHECK:-}" ]; then
    swift build --package-path Examples/OfflineCheck >&2
    OFFLINE_CHECK="$(swift build --package-path Examples/OfflineCheck --show-bin-path)/offline-check"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" TMPDIR="$WORK"
mkdir -p "$HOME"
unset TMWS_SECRET_KEY TMWS_SECRET_KEY_FILE TMWS_TOKEN_ISSUER
export TMWS_DATABASE_URL="$WORK/data/tmws.db"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'MISMATCH: %s\n' "$*" >&2; exit 1; }
check() { # check EXPECTED_EXIT EXPECTED_TEXT LABEL -- command...
    local want_status="$1" want_text="$2" label="$3"; shift 4
    set +e; out="$("$@" 2>&1)"; status=$?; set -e
    [ "$status" = "$want_status" ] || fail "$label: exit $status, expected $want_status: $out"
    case "$out" in *"$want_text"*) echo "ok: $label ($out)" ;; *) fail "$label: expected '$want_text' in: $out" ;; esac
}

step "A deployment, an editor and a license"
"$TMWSCTL" init >/dev/null
"$TMWSCTL" agent create billing-bot --namespace acme --role editor >/dev/null
"$TMWSCTL" license generate --tier PRO --days 365 --as billing-bot > "$WORK/key.txt" 2>/dev/null

step "Checkout (any role; the first checkout creates the first signing key) and the public keys"
"$TMWSCTL" license checkout - --ttl 7d --fingerprint machine-1 --as billing-bot < "$WORK/key.txt" > "$WORK/old.jwt"
"$TMWSCTL" signing-key export --jwks --out "$WORK/jwks.json"
check 0 "VALID: PRO license" "the app verifies the token offline" -- "$OFFLINE_CHECK" "$WORK/jwks.json" "$WORK/old.jwt" desktop machine-1
check 1 "FINGERPRINT_MISMATCH" "another machine" -- "$OFFLINE_CHECK" "$WORK/jwks.json" "$WORK/old.jwt" desktop machine-2
sed 's/\(.\)$/\1A/' "$WORK/old.jwt" > "$WORK/changed.jwt"
check 1 "MALFORMED" "a token with bytes added" -- "$OFFLINE_CHECK" "$WORK/jwks.json" "$WORK/changed.jwt" desktop machine-1

step "Rotation: new tokens use the new key; the old token keeps verifying until its key is removed"
old_kid="$("$TMWSCTL" signing-key list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["kid"])')"
"$TMWSCTL" signing-key rotate
"$TMWSCTL" license checkout - --as billing-bot < "$WORK/key.txt" > "$WORK/new.jwt"
check 1 "UNKNOWN_KEY" "the new token against the old key set" -- "$OFFLINE_CHECK" "$WORK/jwks.json" "$WORK/new.jwt"
"$TMWSCTL" signing-key export --jwks --out "$WORK/jwks.json"
check 0 "VALID" "the new token against the new key set" -- "$OFFLINE_CHECK" "$WORK/jwks.json" "$WORK/new.jwt"
check 0 "VALID" "the old token against the new key set" -- "$OFFLINE_CHECK" "$WORK/jwks.json" "$WORK/old.jwt" desktop machine-1
"$TMWSCTL" signing-key remove "$old_kid"
"$TMWSCTL" signing-key export --jwks --out "$WORK/jwks.json"
check 1 "UNKNOWN_KEY" "the old token once its key is removed" -- "$OFFLINE_CHECK" "$WORK/jwks.json" "$WORK/old.jwt" desktop machine-1

step "Revocation reaches offline apps through expiry: no new token for a revoked license"
license_id="$("$TMWSCTL" license list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["license_id"])')"
"$TMWSCTL" license revoke "$license_id" --reason refund >/dev/null
check 1 "REVOKED" "checkout of a revoked license" -- "$TMWSCTL" license checkout - --as billing-bot < "$WORK/key.txt"
check 0 "VALID" "a token handed out earlier works until it expires" -- "$OFFLINE_CHECK" "$WORK/jwks.json" "$WORK/new.jwt"

printf '\noffline-license walkthrough: all steps passed\n'
