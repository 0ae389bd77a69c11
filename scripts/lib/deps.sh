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
