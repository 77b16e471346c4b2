#!/usr/bin/env bash
# Checks the operations files in deploy/ with the real tools:
#   - deploy/prometheus/tmws-alerts.yml: `promtool check rules`, then `promtool test rules` against
#     unit tests in which every alert fires past its threshold and stays silent at it;
#   - deploy/systemd/tmws.service: `systemd-analyze verify` (any finding fails, not only errors)
#     with ExecStart pointed at a real mcp-server, and its `systemd-analyze security` exposure;
#   - deploy/grafana/tmws-dashboard.json: valid JSON, every panel with a query.
#
#   scripts/check-deploy.sh [PATH-TO-mcp-server]      (default: the debug build's)
# Needs promtool (Debian: prometheus) and systemd-analyze (Debian: systemd).
set -euo pipefail
cd "$(dirname "$0")/.."
server=$(realpath "${1:-$(swift build --show-bin-path)/mcp-server}")

promtool check rules deploy/prometheus/tmws-alerts.yml
promtool test rules deploy/prometheus/tmws-alerts.test.yml

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|^ExecStart=/usr/local/bin/mcp-server|ExecStart=$server|" deploy/systemd/tmws.service > "$work/tmws.service"
if ! findings=$(systemd-analyze verify "$work/tmws.service" 2>&1) || [ -n "$findings" ]; then
    echo "systemd-analyze verify deploy/systemd/tmws.service:" >&2
    echo "$findings" >&2
    exit 1
fi
exposure=$(systemd-analyze security --offline=true "$work/tmws.service" 2>/dev/null | tail -1 || true)
echo "tmws.service: verified; ${exposure#→ }"

python3 - <<'PY'
import json, sys
dashboard = json.load(open("deploy/grafana/tmws-dashboard.json"))
panels = dashboard.get("panels", [])
assert panels, "the dashboard has no panels"
for panel in panels:
    exprs = [t.get("expr", "") for t in panel.get("targets", [])]
    assert exprs and all(exprs), f"panel {panel.get('title')!r} has no query"
print(f"tmws-dashboard.json: {len(panels)} panels, valid JSON")
PY
