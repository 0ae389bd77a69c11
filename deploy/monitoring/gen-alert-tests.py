#!/usr/bin/env python3
"""Writes alerts.test.yaml, the promtool unit tests of alerts.yaml, to stdout:

    deploy/monitoring/gen-alert-tests.py > deploy/monitoring/alerts.test.yaml

The input series and the expected alerts are written here by hand (with the reasons as
comments); the expected annotations are alerts.yaml's templates rendered with the expected
labels and a hand-written rendering of $value, so promtool checks the templates as well.
check.sh fails when alerts.test.yaml is not this script's output. Needs PyYAML.
"""
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "alerts.yaml"), encoding="utf-8") as f:
    rules = {r["alert"]: r for g in yaml.safe_load(f)["groups"] for r in g["rules"]}

def render(text, labels, value):
    text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], text)
    text = re.sub(r"\{\{ \$value[^}]*\}\}", value if value is not None else "MISSING", text)
    assert "{{" not in text, text
    return text

def alert(name, labels, value=None):
    r = rules[name]
    return {
        "exp_labels": {"severity": r["labels"]["severity"], **labels},
        "exp_annotations": {k: render(v, labels, value) for k, v in r["annotations"].items()},
    }

def s(series, values):
    return {"series": series, "values": values}

def grpc(method, code, values, instance="a"):
    return s(f'payorch_grpc_requests_total{{job="payorch",instance="{instance}",method="{method}",code="{code}"}}', values)

def hist(name, labels, per_le, total_rate, minutes=40):
    """Buckets of a histogram with `total_rate` observations a minute, all at or below the
    first `le` in per_le whose flag is True (per_le: ordered (le, bool))."""
    out = []
    for le, filled in per_le:
        rate = total_rate if filled else 0
        out.append(s(f'{name}_bucket{{{labels},le="{le}"}}', f"0+{rate}x{minutes}"))
    out.append(s(f'{name}_count{{{labels}}}', f"0+{total_rate}x{minutes}"))
    return out

LES = ["0.001", "0.01", "0.1", "1", "2.5", "5", "10", "+Inf"]
# The low end of telemetry::DURATION_BUCKETS, where Redis round trips fall.
STORE_LES = ["0.0001", "0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "+Inf"]
def at_or_below(le_max, les=LES):
    i = les.index(le_max)
    return [(le, j >= i) for j, le in enumerate(les)]

def prov(connector, operation, outcome, values):
    return s(f'payorch_provider_request_duration_seconds_count{{job="payorch",instance="a",connector="{connector}",operation="{operation}",outcome="{outcome}"}}', values)

def store(operation, outcome, values, instance="a"):
    return s(f'payorch_store_request_duration_seconds_count{{job="payorch",instance="{instance}",operation="{operation}",outcome="{outcome}"}}', values)

def store_hist(operation, le_max, per_minute, instance="a", outcome="ok"):
    """Round trips of one operation, `per_minute` a minute, all at or below le_max."""
    return hist("payorch_store_request_duration_seconds",
                f'job="payorch",instance="{instance}",operation="{operation}",outcome="{outcome}"',
                at_or_below(le_max, STORE_LES), per_minute)

def payorch_ready(instance, values, job="payorch"):
    return s(f'payorch_ready{{job="{job}",instance="{instance}"}}', values)

def ready(pod, value, minutes=30):
    return [
        s(f'kube_pod_status_ready{{namespace="payorch",pod="{pod}",condition="true"}}', f"{value}x{minutes}"),
        s(f'kube_pod_status_ready{{namespace="payorch",pod="{pod}",condition="false"}}', f"{1 - value}x{minutes}"),
    ]

tests = []

# --- gRPC error ratio and INTERNAL ---------------------------------------------------------
tests.append({
    "name": "error ratio: server-side codes count, the caller's own mistakes and low traffic do not",
    "interval": "1m",
    "input_series": [
        # Authorize: 10% Unavailable at 1 call/s -> fires.
        grpc("Authorize", "Ok", "0+54x30"),
        grpc("Authorize", "Unavailable", "0+6x30"),
        # GetPayment: half InvalidArgument/NotFound (callers' mistakes) -> silent.
        grpc("GetPayment", "Ok", "0+60x30"),
        grpc("GetPayment", "InvalidArgument", "0+40x30"),
        grpc("GetPayment", "NotFound", "0+20x30"),
        # GetMandate: every call Unimplemented until the mandates land -> silent.
        grpc("GetMandate", "Unimplemented", "0+60x30"),
        # Capture: 50% Internal but 5 calls in 5 minutes -> below the traffic floor.
        grpc("Capture", "Ok", "0+0.5x30"),
        grpc("Capture", "Internal", "0+0.5x30"),
        # Refund: 4% DeadlineExceeded -> below the 5% threshold.
        grpc("Refund", "Ok", "0+96x30"),
        grpc("Refund", "DeadlineExceeded", "0+4x30"),
    ],
    "alert_rule_test": [
        # The condition holds from the first minutes; `for: 5m` not yet over at 4m.
        {"eval_time": "4m", "alertname": "PayorchHighErrorRatio", "exp_alerts": []},
        {"eval_time": "15m", "alertname": "PayorchHighErrorRatio",
         "exp_alerts": [alert("PayorchHighErrorRatio", {"job": "payorch", "method": "Authorize"}, "10%")]},
        # Capture's INTERNALs, though too few for the ratio, are reported.
        {"eval_time": "15m", "alertname": "PayorchInternalErrors",
         "exp_alerts": [alert("PayorchInternalErrors", {"job": "payorch", "method": "Capture"})]},
    ],
})

tests.append({
    "name": "internal errors: a pod's first INTERNAL (series appearing at 1) is reported, then clears",
    "interval": "1m",
    "input_series": [
        grpc("SubmitOtp", "Ok", "0+10x40"),
        # Absent for the first 10 minutes, then a single INTERNAL forever.
        grpc("SubmitOtp", "Internal", "_x10 1x30"),
    ],
    "alert_rule_test": [
        {"eval_time": "5m", "alertname": "PayorchInternalErrors", "exp_alerts": []},
        {"eval_time": "15m", "alertname": "PayorchInternalErrors",
         "exp_alerts": [alert("PayorchInternalErrors", {"job": "payorch", "method": "SubmitOtp"})]},
        # Ten minutes after the series appeared, with no new INTERNAL: resolved.
        {"eval_time": "25m", "alertname": "PayorchInternalErrors", "exp_alerts": []},
    ],
})

# --- latency ----------------------------------------------------------------------------------
tests.append({
    "name": "p99 latency and own time: slow methods fire after `for`, fast ones and idle ones do not",
    "interval": "1m",
    "input_series":
        # Authorize: every call between 2.5 s and 5 s -> p99 = 4.975 s.
        hist("payorch_grpc_request_duration_seconds", 'job="payorch",instance="a",method="Authorize"', at_or_below("5"), 60)
        # GetPayment: every call under 10 ms.
        + hist("payorch_grpc_request_duration_seconds", 'job="payorch",instance="a",method="GetPayment"', at_or_below("0.01"), 60)
        # Void: slow, but 1 call a minute (5 in 5 minutes) -> below the traffic floor.
        + hist("payorch_grpc_request_duration_seconds", 'job="payorch",instance="a",method="Void"', at_or_below("10"), 1)
        # Own time: Authorize between 0.1 s and 1 s (p99 = 0.991 s), GetPayment under 1 ms.
        + hist("payorch_grpc_own_duration_seconds", 'job="payorch",instance="a",method="Authorize"', at_or_below("1"), 60)
        + hist("payorch_grpc_own_duration_seconds", 'job="payorch",instance="a",method="GetPayment"', at_or_below("0.001"), 60),
    "alert_rule_test": [
        {"eval_time": "8m", "alertname": "PayorchLatencyP99High", "exp_alerts": []},
        {"eval_time": "20m", "alertname": "PayorchLatencyP99High",
         "exp_alerts": [alert("PayorchLatencyP99High", {"job": "payorch", "method": "Authorize"}, "4.975s")]},
        {"eval_time": "8m", "alertname": "PayorchOwnTimeP99High", "exp_alerts": []},
        {"eval_time": "20m", "alertname": "PayorchOwnTimeP99High",
         "exp_alerts": [alert("PayorchOwnTimeP99High", {"job": "payorch", "method": "Authorize"}, "991ms")]},
    ],
})

tests.append({
    "name": "in flight: summed per instance",
    "interval": "1m",
    "input_series": [
        s('payorch_grpc_requests_in_flight{job="payorch",instance="a",method="Authorize"}', "150x20"),
        s('payorch_grpc_requests_in_flight{job="payorch",instance="a",method="SubmitOtp"}', "100x20"),
        s('payorch_grpc_requests_in_flight{job="payorch",instance="b",method="Authorize"}', "150x20"),
        s('payorch_grpc_requests_in_flight{job="payorch",instance="b",method="SubmitOtp"}', "10x20"),
    ],
    "alert_rule_test": [
        {"eval_time": "3m", "alertname": "PayorchRequestsInFlightHigh", "exp_alerts": []},
        {"eval_time": "10m", "alertname": "PayorchRequestsInFlightHigh",
         "exp_alerts": [alert("PayorchRequestsInFlightHigh", {"job": "payorch", "instance": "a"}, "250")]},
    ],
})

# --- providers -------------------------------------------------------------------------------
tests.append({
    "name": "provider failures and rejections, by connector over its operations",
    "interval": "1m",
    "input_series": [
        # mpgs: 5 outcome_unknown + 5 not_sent of 60 a minute, over two operations -> 16.7%.
        prov("mpgs", "pay", "ok", "0+25x40"),
        prov("mpgs", "pay", "outcome_unknown", "0+5x40"),
        prov("mpgs", "authenticate_payer", "ok", "0+25x40"),
        prov("mpgs", "authenticate_payer", "not_sent", "0+5x40"),
        # juspay: 5 rejected of 65 -> neither alert.
        prov("juspay", "txn", "ok", "0+60x40"),
        prov("juspay", "txn", "rejected", "0+5x40"),
        # cybersource: half rejected -> the rejection alert after 15 minutes.
        prov("cybersource", "enrollment", "ok", "0+30x40"),
        prov("cybersource", "enrollment", "rejected", "0+30x40"),
        # fiserv-ipg: every call outcome_unknown, but 1 a minute -> below the traffic floor.
        prov("fiserv-ipg", "payer_auth", "outcome_unknown", "0+1x40"),
    ],
    "alert_rule_test": [
        {"eval_time": "4m", "alertname": "PayorchProviderFailureRatioHigh", "exp_alerts": []},
        {"eval_time": "15m", "alertname": "PayorchProviderFailureRatioHigh",
         "exp_alerts": [alert("PayorchProviderFailureRatioHigh", {"job": "payorch", "connector": "mpgs"}, "16.67%")]},
        {"eval_time": "10m", "alertname": "PayorchProviderRejectedRatioHigh", "exp_alerts": []},
        {"eval_time": "25m", "alertname": "PayorchProviderRejectedRatioHigh",
         "exp_alerts": [alert("PayorchProviderRejectedRatioHigh", {"job": "payorch", "connector": "cybersource"}, "50%")]},
    ],
})

tests.append({
    "name": "provider p99 latency by connector",
    "interval": "1m",
    "input_series":
        # cybersource: every attempt between 5 s and 10 s -> p99 = 9.95 s.
        hist("payorch_provider_request_duration_seconds", 'job="payorch",instance="a",connector="cybersource",operation="authorization",outcome="ok"', at_or_below("10"), 30)
        + hist("payorch_provider_request_duration_seconds", 'job="payorch",instance="a",connector="mpgs",operation="pay",outcome="ok"', at_or_below("0.1"), 30),
    "alert_rule_test": [
        {"eval_time": "8m", "alertname": "PayorchProviderLatencyP99High", "exp_alerts": []},
        {"eval_time": "20m", "alertname": "PayorchProviderLatencyP99High",
         "exp_alerts": [alert("PayorchProviderLatencyP99High", {"job": "payorch", "connector": "cybersource"}, "9.95s")]},
    ],
})

# --- session store (Redis) -------------------------------------------------------------------
tests.append({
    "name": "store errors: the ratio is over every operation and replica of the job",
    "interval": "1m",
    "input_series": [
        # Replica a: 10 failed gets a minute of 70 round trips (14%); replica b: pings only.
        # Over the job: 10 of 100 -> 10%, one alert for the job, not one per replica.
        store("create", "ok", "0+40x30"),
        store("get", "ok", "0+20x30"),
        store("get", "error", "0+10x30"),
        store("ping", "ok", "0+30x30", instance="b"),
    ],
    "alert_rule_test": [
        # `for: 5m` not yet over at 4m.
        {"eval_time": "4m", "alertname": "PayorchStoreErrorRatioHigh", "exp_alerts": []},
        {"eval_time": "15m", "alertname": "PayorchStoreErrorRatioHigh",
         "exp_alerts": [alert("PayorchStoreErrorRatioHigh", {"job": "payorch"}, "10%")]},
    ],
})

tests.append({
    "name": "store errors: 4% of round trips, and a single failed one, do not fire",
    "interval": "1m",
    "input_series": [
        store("get", "ok", "0+66x30"),
        store("get", "error", "0+4x30"),
        store("ping", "ok", "0+30x30", instance="b"),
        # One failed claim_due at 10m, none after: its series appears at 1 and stays there.
        store("claim_due", "error", "_x10 1x20"),
    ],
    "alert_rule_test": [
        {"eval_time": "4m", "alertname": "PayorchStoreErrorRatioHigh", "exp_alerts": []},
        {"eval_time": "15m", "alertname": "PayorchStoreErrorRatioHigh", "exp_alerts": []},
        {"eval_time": "25m", "alertname": "PayorchStoreErrorRatioHigh", "exp_alerts": []},
    ],
})

tests.append({
    "name": "store p99 latency: slow round trips fire after `for`",
    "interval": "1m",
    "input_series":
        # Every round trip between 50 ms and 100 ms -> p99 = 99.5 ms.
        store_hist("get", "0.1", 60) + store_hist("ping", "0.1", 30, instance="b"),
    "alert_rule_test": [
        {"eval_time": "8m", "alertname": "PayorchStoreLatencyP99High", "exp_alerts": []},
        {"eval_time": "20m", "alertname": "PayorchStoreLatencyP99High",
         "exp_alerts": [alert("PayorchStoreLatencyP99High", {"job": "payorch"}, "99.5ms")]},
    ],
})

tests.append({
    "name": "store p99 latency: one slow operation at 0.5% of the round trips does not fire",
    "interval": "1m",
    "input_series":
        # 199 gets a minute under 5 ms, one claim_due a minute between 100 and 250 ms: the
        # job's p99 stays under 5 ms.
        store_hist("get", "0.005", 199) + store_hist("claim_due", "0.25", 1),
    "alert_rule_test": [
        {"eval_time": "20m", "alertname": "PayorchStoreLatencyP99High", "exp_alerts": []},
    ],
})

tests.append({
    "name": "store p99 latency: slow, but below the traffic floor",
    "interval": "1m",
    # Every round trip between 100 and 250 ms, but 1 a minute (5 in 5 minutes).
    "input_series": store_hist("get", "0.25", 1),
    "alert_rule_test": [
        {"eval_time": "20m", "alertname": "PayorchStoreLatencyP99High", "exp_alerts": []},
    ],
})

# --- availability ----------------------------------------------------------------------------
tests.append({
    "name": "targets: one down, then none scraped at all",
    "interval": "1m",
    "input_series": [
        s('up{job="payorch",instance="10.0.0.1:8080"}', "1x30"),
        s('up{job="payorch",instance="10.0.0.2:8080"}', "1 1 1 0x27"),
    ],
    "alert_rule_test": [
        {"eval_time": "5m", "alertname": "PayorchTargetDown", "exp_alerts": []},
        {"eval_time": "15m", "alertname": "PayorchTargetDown",
         "exp_alerts": [alert("PayorchTargetDown", {"job": "payorch", "instance": "10.0.0.2:8080"})]},
        {"eval_time": "15m", "alertname": "PayorchMetricsAbsent", "exp_alerts": []},
    ],
})

tests.append({
    "name": "targets: no payorch target at all",
    "interval": "1m",
    "input_series": [s('up{job="other",instance="10.0.0.9:9100"}', "1x30")],
    "alert_rule_test": [
        {"eval_time": "5m", "alertname": "PayorchMetricsAbsent", "exp_alerts": []},
        {"eval_time": "15m", "alertname": "PayorchMetricsAbsent",
         "exp_alerts": [alert("PayorchMetricsAbsent", {"job": "payorch"})]},
    ],
})

tests.append({
    "name": "readiness (payorch_ready): a replica at 0 for 2 minutes fires; a stopping one does not",
    "interval": "1m",
    "input_series": [
        payorch_ready("10.0.0.1:8080", "1x30"),
        # Not serving from 6m on (its store stopped answering).
        payorch_ready("10.0.0.2:8080", "1x5 0x25"),
        # A rolling update: 0 while it drains, then gone (the series goes stale).
        payorch_ready("10.0.0.3:8080", "1x5 0 stale"),
        # Another job's replica is not this payorch's.
        payorch_ready("10.1.0.1:8080", "0x30", job="payorch-staging"),
    ],
    "alert_rule_test": [
        # Pending from 6m, `for: 2m` not yet over at 7m.
        {"eval_time": "7m", "alertname": "PayorchNotReady", "exp_alerts": []},
        {"eval_time": "10m", "alertname": "PayorchNotReady",
         "exp_alerts": [alert("PayorchNotReady", {"job": "payorch", "instance": "10.0.0.2:8080"})]},
    ],
})

tests.append({
    "name": "readiness (kube-state-metrics): one pod unready of three leaves two",
    "interval": "1m",
    "input_series": ready("payorch-7d9f8-aaaaa", 1) + ready("payorch-7d9f8-bbbbb", 0) + ready("payorch-7d9f8-ccccc", 1)
        # Another namespace's pod of the same name is not payorch's.
        + [s('kube_pod_status_ready{namespace="staging",pod="payorch-1-x",condition="true"}', "0x30")],
    "alert_rule_test": [
        {"eval_time": "10m", "alertname": "PayorchReadyReplicasLow", "exp_alerts": []},
    ],
})

tests.append({
    "name": "readiness (kube-state-metrics): two pods unready of three",
    "interval": "1m",
    "input_series": ready("payorch-7d9f8-aaaaa", 1) + ready("payorch-7d9f8-bbbbb", 0) + ready("payorch-7d9f8-ccccc", 0),
    "alert_rule_test": [
        {"eval_time": "1m", "alertname": "PayorchReadyReplicasLow", "exp_alerts": []},
        {"eval_time": "5m", "alertname": "PayorchReadyReplicasLow",
         "exp_alerts": [alert("PayorchReadyReplicasLow", {"namespace": "payorch"}, "1")]},
    ],
})

def breaker(account, values, instance="10.0.0.2:8080"):
    return s(f'payorch_account_breaker_state{{job="payorch",instance="{instance}",account="{account}",connector="cybersource"}}', values)

tests.append({
    "name": "routing: one replica's breaker of an account open for longer than 2 minutes",
    "interval": "1m",
    # cs_a opens at 3m and stays open; cs_b is half-open for a while (a probe), then closes.
    "input_series": [
        breaker("cs_a", "0 0 0 2x20"),
        breaker("cs_a", "0x23", instance="10.0.0.3:8080"),
        breaker("cs_b", "0 1 1 1 0x19"),
    ],
    "alert_rule_test": [
        {"eval_time": "4m", "alertname": "PayorchAccountBreakerOpen", "exp_alerts": []},
        {"eval_time": "8m", "alertname": "PayorchAccountBreakerOpen",
         "exp_alerts": [alert("PayorchAccountBreakerOpen",
                              {"job": "payorch", "account": "cs_a", "connector": "cybersource"})]},
    ],
})

tests.append({
    "name": "quiet: a healthy service fires nothing",
    "interval": "1m",
    "input_series": [
        grpc("Authorize", "Ok", "0+60x40"),
        grpc("Authorize", "InvalidArgument", "0+1x40"),
        s('payorch_grpc_requests_in_flight{job="payorch",instance="a",method="Authorize"}', "3x40"),
        prov("mpgs", "pay", "ok", "0+60x40"),
        prov("mpgs", "pay", "rejected", "0+2x40"),
        s('up{job="payorch",instance="10.0.0.1:8080"}', "1x40"),
        payorch_ready("10.0.0.1:8080", "1x40"),
        breaker("cs_a", "0x40"),
    ]
    + hist("payorch_grpc_request_duration_seconds", 'job="payorch",instance="a",method="Authorize"', at_or_below("0.1"), 60)
    + hist("payorch_grpc_own_duration_seconds", 'job="payorch",instance="a",method="Authorize"', at_or_below("0.001"), 60)
    + hist("payorch_provider_request_duration_seconds", 'job="payorch",instance="a",connector="mpgs",operation="pay",outcome="ok"', at_or_below("0.1"), 60)
    # The store: fast round trips, and one failure a minute (0.6%).
    + store_hist("get", "0.001", 120) + store_hist("ping", "0.005", 30)
    + store_hist("update_payment", "0.01", 1, outcome="error")
    + ready("payorch-7d9f8-aaaaa", 1) + ready("payorch-7d9f8-bbbbb", 1),
    "alert_rule_test": [{"eval_time": "30m", "alertname": name, "exp_alerts": []} for name in rules],
})

doc = {"rule_files": ["alerts.yaml"], "evaluation_interval": "1m", "tests": tests}
header = """# GENERATED by gen-alert-tests.py (edit that, then run it > alerts.test.yaml).
# promtool unit tests of alerts.yaml: `promtool test rules deploy/monitoring/alerts.test.yaml`
# (check.sh runs them). Every alert fires in one test and stays silent in the last ("quiet");
# the cases next to each firing one show what must not fire. The expected annotations are the
# rendered templates, so a broken template fails here too.
"""
class D(yaml.SafeDumper):
    pass
def str_rep(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)
D.add_representer(str, str_rep)
sys.stdout.write(header + yaml.dump(doc, Dumper=D, sort_keys=False, width=100, allow_unicode=True))
