#!/usr/bin/env bash
# Checks deploy/monitoring against promtool and, given one, a real /metrics scrape:
#   deploy/monitoring/check.sh [SCRAPE]
#
#   1. promtool check rules alerts.yaml
#   2. alerts.test.yaml is gen-alert-tests.py's output, and promtool test rules passes it
#   3. grafana-dashboard.json: structure, and every query parses (promtool check rules)
#   with SCRAPE (the text of payorch's /metrics after a real flow):
#   4. promtool check metrics < SCRAPE (exposition format and promtool's lint)
#   5. every metric and label the alerts and the dashboard use is in SCRAPE
#      (check-queries.py names; Prometheus' and kube-state-metrics' own metrics excepted)
#
# Needs promtool (scripts/lib/deps.sh: ensure_promtool), python3 and PyYAML. Runs every check
# and exits 1 if any failed, 2 if it could not run.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
scrape="${1:-}"
if [ -n "$scrape" ]; then
  [ -r "$scrape" ] || { echo "monitoring: cannot read the scrape file $scrape" >&2; exit 2; }
  scrape="$(cd "$(dirname "$scrape")" && pwd)/$(basename "$scrape")"
fi
command -v promtool >/dev/null 2>&1 || {
  echo "monitoring: promtool not found; install it with: . scripts/lib/deps.sh && ensure_promtool" >&2
  exit 2
}
python3 -c 'import yaml' 2>/dev/null || {
  echo "monitoring: python3 with PyYAML not found (Debian: apt-get install python3-yaml)" >&2
  exit 2
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$here"

failed=()
step() {
  local name="$1"
  shift
  echo "== $name"
  if "$@" >"$work/out" 2>&1; then
    sed 's/^/   /' "$work/out"
    echo "   ok"
  else
    sed 's/^/   /' "$work/out"
    echo "   FAILED: $name"
    failed+=("$name")
  fi
}

test_file_is_generated() {
  python3 gen-alert-tests.py >"$work/alerts.test.yaml" || return 1
  if ! diff -u alerts.test.yaml "$work/alerts.test.yaml" >"$work/diff"; then
    head -40 "$work/diff"
    echo "alerts.test.yaml is not gen-alert-tests.py's output: run" \
      "deploy/monitoring/gen-alert-tests.py > deploy/monitoring/alerts.test.yaml"
    return 1
  fi
}

dashboard_queries_parse() {
  python3 check-queries.py dashboard-rules "$work/dashboard-rules.yaml" || return 1
  promtool check rules "$work/dashboard-rules.yaml"
}

# promtool check metrics: exit 1 on a parse error, 3 on lint problems (printed one per line,
# as "<metric> <problem>").
scrape_lints_clean() {
  promtool check metrics <"$scrape"
  local rc=$?
  case $rc in
    0) echo "exposition parses and passes promtool's lint" ;;
    3) echo "the exposition parses, but promtool's lint found the problems above" ;;
    *) echo "promtool could not parse the exposition (exit $rc)" ;;
  esac
  return $rc
}

step "promtool check rules alerts.yaml" promtool check rules alerts.yaml
step "alerts.test.yaml is generated from gen-alert-tests.py" test_file_is_generated
step "promtool test rules alerts.test.yaml" promtool test rules alerts.test.yaml
step "grafana-dashboard.json: structure and PromQL" dashboard_queries_parse
if [ -n "$scrape" ]; then
  step "promtool check metrics < $scrape" scrape_lints_clean
  step "alert and dashboard queries use only metrics and labels in $scrape" \
    python3 check-queries.py names "$scrape"
else
  echo "== no scrape given: skipped promtool check metrics and the metric-name checks"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "monitoring: ${#failed[@]} check(s) failed:" >&2
  printf '  - %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "monitoring: all checks passed"
