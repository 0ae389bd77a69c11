#!/usr/bin/env python3
"""Holds the Cybersource simulator's answers to the official SDK's response models.

Reads from stdin a JSON list of {"label", "model", "body"}: `model` is the SDK class that
documents the answer (e.g. PtsV2PaymentsPost201Response), `body` the JSON the simulator
sent. Every field of `body` must be defined by the model (its attribute_map), recursively
through the nested models, lists and maps of swagger_types. Prints one line per field the
model does not define and exits 1 if there is any.
"""
import json
import re
import sys

import CyberSource.models as models

SCALARS = {"str", "int", "float", "bool", "object", "date", "datetime"}

# Fields the SDK models lack but seed 004 (the provider's RuPay guide) shows in its
# examples: documented, so allowed. Paths are relative to the answer, without list indices.
SEED_004 = {
    # line 164: the authorization answer's links.
    "PtsV2PaymentsPost201Response": {"_links.authReversal"},
    # lines 114, 337, 344: enrollment answers.
    "RiskV1AuthenticationsPost201Response": {
        "consumerAuthenticationInformation.token",
        "consumerAuthenticationInformation.authenticationTransactionContext",
    },
    # lines 219, 415, 417: validation answers.
    "RiskV1AuthenticationResultsPost201Response": {
        "consumerAuthenticationInformation.token",
        "consumerAuthenticationInformation.authenticationTransactionContext",
    },
}

# Undocumented fields the simulator still sends because the adapter still reads them
# (enrollment failures' NPCI code, search summaries of payer authentication calls). Each
# is a known deviation to remove; the list only shrinks.
PENDING = {
    "TssV2TransactionsPost201Response": {
        "_embedded.transactionSummaries.consumerAuthenticationInformation.authenticationResult",
        "_embedded.transactionSummaries.consumerAuthenticationInformation.cavv",
        "_embedded.transactionSummaries.consumerAuthenticationInformation.paresStatus",
    },
}


def check(value, type_name, path, problems, root="", rel=""):
    if value is None:
        return
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            problems.append(f"{path}: a list in the model")
            return
        for i, item in enumerate(value):
            check(item, m.group(1), f"{path}[{i}]", problems, root, rel)
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        for k, v in (value.items() if isinstance(value, dict) else []):
            check(v, m.group(1), f"{path}.{k}", problems, root, f"{rel}.{k}".lstrip("."))
        return
    if type_name in SCALARS:
        if isinstance(value, (dict, list)) and type_name != "object":
            problems.append(f"{path}: a {type_name} in the model, an object or list was sent")
        return
    cls = getattr(models, type_name, None)
    if cls is None:
        problems.append(f"{path}: model {type_name} not in the SDK")
        return
    if not isinstance(value, dict):
        problems.append(f"{path}: an object ({type_name}) in the model")
        return
    by_json = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    for key, item in value.items():
        attr = by_json.get(key)
        child = f"{rel}.{key}".lstrip(".")
        if child in SEED_004.get(root, ()) or child in PENDING.get(root, ()):
            continue
        if attr is None:
            problems.append(f"{path}.{key}: not defined by {type_name}")
            continue
        check(item, cls.swagger_types[attr], f"{path}.{key}", problems, root, child)


def main():
    cases = json.load(sys.stdin)
    problems = []
    for case in cases:
        check(case["body"], case["model"], case["label"], problems, case["model"])
    for p in problems:
        print(p)
    print(json.dumps({"checked": len(cases), "undocumented": len(problems)}))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
