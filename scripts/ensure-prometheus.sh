#!/usr/bin/env bash
# Install Prometheus (prometheus + promtool) from Debian's packages when missing.
# The observability tests need both: `promtool check metrics` and a real Prometheus scraping finops.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "prometheus/promtool missing and not root: run 'apt-get install -y prometheus' as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends prometheus >/dev/null
# The package starts a system service where an init system runs; the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl stop prometheus || true
fi
command -v promtool >/dev/null && command -v prometheus >/dev/null
echo "installed $(prometheus --version 2>&1 | head -1)"
