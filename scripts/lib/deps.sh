# Installs test dependencies when missing. Sourced by scripts/test and .ci/run.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# redis-server and redis-cli from Debian's packages; the tests start their own instances
# (single nodes and a three-master cluster) on free loopback ports.
ensure_redis_server() {
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    return
  fi
  echo "scripts: installing redis-server and redis-tools (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends redis-server redis-tools >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null
    as_root apt-get install -y --no-install-recommends redis-server redis-tools >/dev/null
  }
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || {
    echo "scripts: redis-server could not be installed; the Redis tests cannot run" >&2
    exit 1
  }
}

# The openssl command, which writes the throwaway CA and certificates of the TLS Redis tests.
ensure_openssl() {
  if command -v openssl >/dev/null 2>&1; then
    return
  fi
  echo "scripts: installing openssl (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends openssl >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null
    as_root apt-get install -y --no-install-recommends openssl >/dev/null
  }
  command -v openssl >/dev/null 2>&1 || {
    echo "scripts: openssl could not be installed; the TLS Redis tests cannot run" >&2
    exit 1
  }
}

# The official Cybersource Python SDK, the independent client of the sandbox's oracle test.
ensure_cybersource_sdk() {
  local venv=target/cybersource-sdk-venv
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import CyberSource" 2>/dev/null; then
    return
  fi
  echo "scripts: installing the Cybersource Python SDK into $venv (PyPI)" >&2
  rm -rf "$venv"
  crates/sandbox/tests/sdk/setup.sh "$venv" >/dev/null
}

# promtool, from Debian's prometheus package, and PyYAML: deploy/monitoring/check.sh checks the
# alert rules, runs their unit tests and lints a /metrics scrape with them. The package's server
# is not started.
ensure_promtool() {
  if command -v promtool >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
    return
  fi
  echo "scripts: installing promtool and PyYAML (Debian packages prometheus, python3-yaml)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends prometheus python3-yaml >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null
    as_root apt-get install -y --no-install-recommends prometheus python3-yaml >/dev/null
  }
  command -v promtool >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null || {
    echo "scripts: promtool could not be installed; the monitoring checks cannot run" >&2
    exit 1
  }
}

# Debian's chromium (headless; fonts-liberation so pages render text) and Playwright for
# Python in target/browser-venv, driving that system chromium: tests/browser/payer.py plays the
# payer's browser in the redirect flow. No `playwright install`: no browser is downloaded.
ensure_browser() {
  local venv=target/browser-venv
  if command -v chromium >/dev/null 2>&1 && [ -x "$venv/bin/python" ] &&
    "$venv/bin/python" -c "import playwright" 2>/dev/null; then
    return
  fi
  if ! command -v chromium >/dev/null 2>&1; then
    echo "scripts: installing chromium and fonts-liberation (Debian packages)" >&2
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y --no-install-recommends chromium fonts-liberation >/dev/null 2>&1 || {
      as_root apt-get update >/dev/null
      as_root apt-get install -y --no-install-recommends chromium fonts-liberation >/dev/null
    }
    command -v chromium >/dev/null 2>&1 || {
      echo "scripts: chromium could not be installed; the browser tests cannot run" >&2
      exit 1
    }
  fi
  if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import playwright" 2>/dev/null; }; then
    echo "scripts: installing Playwright for Python into $venv (PyPI)" >&2
    rm -rf "$venv"
    { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet "playwright==1.65.2" >/dev/null; } || {
      echo "scripts: Playwright could not be installed into $venv; the browser tests cannot run" >&2
      exit 1
    }
    "$venv/bin/python" -c "import playwright" 2>/dev/null || {
      echo "scripts: Playwright does not import from $venv; the browser tests cannot run" >&2
      exit 1
    }
  fi
}
