#!/usr/bin/env bash
# Creates the virtual environment the Python SDK oracle test uses (network: PyPI).
# Then: PAYORCH_CYBERSOURCE_SDK_PYTHON=target/cybersource-sdk-venv/bin/python \
#       cargo test -p payorch-sandbox --test cybersource_sdk
set -euo pipefail
venv="${1:-target/cybersource-sdk-venv}"
python3 -m venv "$venv"
"$venv/bin/pip" install -q "setuptools>=70,<=81" cybersource-rest-client-python
echo "PAYORCH_CYBERSOURCE_SDK_PYTHON=$venv/bin/python"
