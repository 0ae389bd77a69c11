#!/usr/bin/env python3
"""Checks the PromQL of alerts.yaml and grafana-dashboard.json against what payorch exports.
Run by check.sh; needs python3 and PyYAML.

  check-queries.py dashboard-rules OUT.yaml
      Checks the dashboard's structure and writes each of its queries (Grafana variables
      substituted) as a recording rule into OUT.yaml, for `promtool check rules` to parse.

  check-queries.py names SCRAPE
      Every metric name in the alerts' and the dashboard's queries (panel targets and
      label_values() variables) must be a sample name in SCRAPE (a /metrics text after a real
      flow), unless it comes from outside payorch (EXTERNAL: Prometheus itself and
      kube-state-metrics). Every label a selector matches, a query groups by (by, without, on,
      ignoring, group_left/right) or a legend shows must be one those metrics carry (or a
      target label, TARGET_LABELS). Literal values matched on a label whose values payorch
      takes from a closed set must be in that metric's set (KNOWN_VALUES, per metric: the
      provider and the store histograms both have an `outcome`, with different values).

Exit status 1 on any problem, each printed on its own line.
"""
import json
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ALERTS = os.path.join(HERE, "alerts.yaml")
DASHBOARD = os.path.join(HERE, "grafana-dashboard.json")

# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"job", "instance"}

# Metrics payorch does not export, with the labels the queries may use on them.
EXTERNAL = {
    # Prometheus: scrape health and the alerts' own state.
    "up": {"job", "instance"},
    "ALERTS": {"alertname", "alertstate", "severity", "job", "instance", "method", "connector",
               "namespace", "pod"},
    # kube-state-metrics.
    "kube_pod_status_ready": {"namespace", "pod", "uid", "condition"},
}

# Per metric family (its name without _bucket/_sum/_count/_total), the labels whose values
# payorch takes from a closed set (the source of each is named). A label name means nothing
# on its own: the same name may carry different values on different metrics.
KNOWN_VALUES = {
    "payorch_grpc_requests_total": {
        # src/grpc/observe.rs: format!("{code:?}") of tonic::Code.
        "code": {"Ok", "Cancelled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
                 "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
                 "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
                 "Unauthenticated"},
    },
    "payorch_provider_request_duration_seconds": {
        # crates/connector/src/http/mod.rs: CallOutcome::as_str.
        "outcome": {"ok", "rejected", "outcome_unknown", "not_sent"},
        # crates/connector/src/id.rs: ConnectorId::as_str.
        "connector": {"mpgs", "fiserv-ipg", "juspay", "cybersource"},
    },
    "payorch_store_request_duration_seconds": {
        # crates/store/src/redis/mod.rs: observe().
        "outcome": {"ok", "error"},
        # crates/store/src/redis/mod.rs: the operation each round trip is observed as.
        "operation": {"create", "transition", "create_payment", "update_payment",
                      "begin_idempotent", "complete_idempotent", "answer_orphaned",
                      "abandon_idempotent", "claim_due", "get", "release_card", "get_payment",
                      "ping", "schedule", "settled"},
    },
}

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "atan2", "inf", "nan",
            # Aggregations: followed by `by (...)` rather than `(`.
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
            "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<duration>(?:\d+(?:ms|[smhdwy]))+(?![\w.]))
  | (?P<number>0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<var>\$\{[^}]+\}|\$\w+)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^=<>{}()\[\],@])
""", re.VERBOSE)


def tokens(expr):
    pos, out = 0, []
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read the query at {expr[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind not in ("ws", "comment"):
            out.append((kind, m.group()))
    return out


def unquote(s):
    return s[1:-1].encode().decode("unicode_escape") if s[0] != "`" else s[1:-1]


class Query:
    """What one PromQL expression uses: metric names; per metric the (label, op, value)
    matchers; grouping labels."""

    def __init__(self, expr):
        self.expr = expr
        self.metrics = []           # names, in order
        self.matchers = []          # (metric or None, label, op, value)
        self.grouping = set()
        toks = tokens(expr)
        i = 0
        while i < len(toks):
            kind, text = toks[i]
            nxt = toks[i + 1] if i + 1 < len(toks) else (None, None)
            if kind == "op" and text == "[":
                while i < len(toks) and toks[i] != ("op", "]"):
                    i += 1
            elif kind == "op" and text == "{":
                metric = None
                if i > 0 and toks[i - 1][0] == "ident" and toks[i - 1][1].lower() not in KEYWORDS:
                    metric = toks[i - 1][1]
                i += 1
                while i < len(toks) and toks[i] != ("op", "}"):
                    if toks[i][0] == "ident" and i + 2 < len(toks) and toks[i + 1][0] == "op":
                        label, op, value = toks[i][1], toks[i + 1][1], toks[i + 2]
                        if value[0] == "string":
                            self.matchers.append((metric, label, op, unquote(value[1])))
                        i += 2
                    i += 1
            elif kind == "ident" and text.lower() in GROUPING and nxt == ("op", "("):
                i += 2
                while i < len(toks) and toks[i] != ("op", ")"):
                    if toks[i][0] == "ident":
                        self.grouping.add(toks[i][1])
                    i += 1
            elif kind == "ident" and text.lower() == "offset":
                i += 1  # the duration
            elif kind == "ident" and nxt == ("op", "("):
                pass  # a function or an aggregation
            elif kind == "ident" and text.lower() not in KEYWORDS:
                self.metrics.append(text)
            i += 1


def grafana_substitute(expr):
    """Grafana's variables replaced so that the expression is plain PromQL."""
    expr = re.sub(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}", "5m", expr)
    return re.sub(r"\$\{[^}]+\}|\$\w+", ".*", expr)


def alert_queries():
    with open(ALERTS, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for group in doc["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert") or rule.get("record")
            yield f"alerts.yaml {name}", rule["expr"], None


def load_dashboard():
    with open(DASHBOARD, encoding="utf-8") as f:
        return json.load(f)


def all_panels(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(dashboard):
    for panel in all_panels(dashboard):
        for target in panel.get("targets", []):
            yield (f"dashboard panel {panel['id']} {panel['title']!r} target {target['refId']}",
                   target["expr"], target.get("legendFormat"))
    for var in dashboard["templating"]["list"]:
        if var["type"] != "query":
            continue
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", query, re.S)
        if not m:
            yield f"dashboard variable {var['name']}", query, None
            continue
        # label_values(selector, label): the label must be on the selector's metric.
        yield f"dashboard variable {var['name']}", f"group by ({m.group(2)}) ({m.group(1)})", None


def check_dashboard_structure(dashboard, problems):
    if not isinstance(dashboard.get("schemaVersion"), int) or dashboard["schemaVersion"] < 36:
        problems.append("dashboard: schemaVersion missing or older than 36")
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource":
        problems.append("dashboard: no `datasource` variable of type datasource")
    ids = set()
    for panel in all_panels(dashboard):
        pid = panel.get("id")
        if pid in ids:
            problems.append(f"dashboard: panel id {pid} used twice")
        ids.add(pid)
        if panel.get("type") == "row":
            continue
        where = f"dashboard panel {pid} {panel.get('title')!r}"
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"{where}: datasource is not ${{datasource}}")
        if not panel.get("targets"):
            problems.append(f"{where}: no query")
        for target in panel.get("targets", []):
            if target.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(f"{where} target {target.get('refId')}: datasource is not ${{datasource}}")
            if not target.get("expr", "").strip():
                problems.append(f"{where} target {target.get('refId')}: empty expr")
    for _, expr, _ in dashboard_queries(dashboard):
        for used in re.findall(r"\$\{?(\w+)", expr):
            if used not in variables and not used.startswith("__"):
                problems.append(f"dashboard: query uses undefined variable ${used}: {expr}")


def dashboard_rules(out):
    problems = []
    dashboard = load_dashboard()
    check_dashboard_structure(dashboard, problems)
    rules = [{"record": f"dashboard:query:{n}", "expr": grafana_substitute(expr)}
             for n, (_, expr, _) in enumerate(dashboard_queries(dashboard))]
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump({"groups": [{"name": "grafana-dashboard", "rules": rules}]}, f, sort_keys=False)
    return problems


def parse_scrape(path):
    """Sample name -> {label: set of values}; and the families' TYPE lines."""
    samples, types = {}, {}
    label_re = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                parts = line.split()
                if len(parts) >= 4 and parts[1] == "TYPE":
                    types[parts[2]] = parts[3]
                continue
            m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s", line)
            if not m:
                continue
            labels = samples.setdefault(m.group(1), {})
            for lm in label_re.finditer(m.group(3) or ""):
                labels.setdefault(lm.group(1), set()).add(lm.group(2))
    return samples, types


def family(name, types):
    for suffix in ("_bucket", "_sum", "_count", "_total"):
        if name.endswith(suffix) and name[: -len(suffix)] in types:
            return name[: -len(suffix)]
    return name


def known_values(metric, types):
    """{label: closed set of values} for a sample name (any of its family's series)."""
    return KNOWN_VALUES.get(family(metric, types), {})


def check_known_values(samples, types, problems):
    """KNOWN_VALUES against the scrape: each family and label it names must be exported, and
    a scraped value outside the set means the set is out of date (a note: the scrape shows
    only the values the flow produced, so it never proves the set complete)."""
    notes = []
    families = {family(name, types) for name in samples}
    for fam, labels in KNOWN_VALUES.items():
        if fam not in families:
            problems.append(f"check-queries.py KNOWN_VALUES: {fam} is not in the scrape")
            continue
        for label, values in labels.items():
            scraped = set()
            for name, sample_labels in samples.items():
                if family(name, types) == fam:
                    scraped |= sample_labels.get(label, set())
            if not scraped:
                problems.append(f"check-queries.py KNOWN_VALUES: {fam} has no label {label!r} in the scrape")
            for value in sorted(scraped - values):
                notes.append(f"note: {fam}{{{label}={value!r}}} is in the scrape but not in "
                             f"check-queries.py KNOWN_VALUES: add it")
    return notes


def names(scrape):
    problems = []
    samples, types = parse_scrape(scrape)
    if not samples:
        return [f"{scrape}: no samples: scrape /metrics after a real flow"], set()
    used_families = set()
    notes = check_known_values(samples, types, problems)
    queries = list(alert_queries()) + list(dashboard_queries(load_dashboard()))
    for where, expr, legend in queries:
        q = Query(grafana_substitute(expr) if where.startswith("dashboard") else expr)
        labels_here = set(TARGET_LABELS)
        for metric in q.metrics:
            if metric in EXTERNAL:
                labels_here |= EXTERNAL[metric]
            elif metric in samples:
                used_families.add(family(metric, types))
                labels_here |= set(samples[metric])
            else:
                hint = ""
                base = family(metric, types)
                if base != metric or metric + "_bucket" in samples:
                    hint = " (use its _bucket/_sum/_count series)"
                problems.append(f"{where}: metric {metric} is not in the scrape{hint}")
        for metric, label, op, value in q.matchers:
            if metric is None or metric not in samples:
                continue
            if label not in samples[metric] and label not in TARGET_LABELS:
                problems.append(f"{where}: {metric} has no label {label!r} "
                                f"(it has {', '.join(sorted(samples[metric]))})")
                continue
            known = known_values(metric, types).get(label)
            if known is not None and "$" not in value and ".*" != value:
                alternatives = value.split("|") if op in ("=~", "!~") else [value]
                if op in ("=~", "!~") and not all(re.fullmatch(r"[\w-]+", a) for a in alternatives):
                    continue  # a real regex: not checked
                allowed = known | samples[metric].get(label, set())
                for alt in alternatives:
                    if alt not in allowed:
                        problems.append(f"{where}: {metric}{{{label}{op}...}}: {alt!r} is not a value "
                                        f"payorch gives {label} on {family(metric, types)} "
                                        f"({', '.join(sorted(known))})")
        for label in sorted(q.grouping - labels_here - {"le"}):
            problems.append(f"{where}: groups by {label!r}, which none of its metrics carries")
        for label in re.findall(r"\{\{\s*(\w+)\s*\}\}", legend or ""):
            if label not in labels_here:
                problems.append(f"{where}: legend shows {label!r}, which none of its metrics carries")
    unused = sorted(set(types) - used_families)
    return problems, notes + [f"note: {name} is exported but no alert or panel uses it" for name in unused]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "dashboard-rules":
        problems = dashboard_rules(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "names":
        problems, notes = names(sys.argv[2])
        for note in notes:
            print(note)
    else:
        sys.exit(__doc__)
    for p in dict.fromkeys(problems):  # each problem once, in order
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
