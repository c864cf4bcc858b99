#!/usr/bin/env bash
# Installs the Debian packages listed in debian-packages.txt (and, with --tests, those in
# debian-packages-test.txt) when any is missing: with apt-get when running as root, otherwise it
# prints the exact command and stops.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lists=("$here/debian-packages.txt")
[ "${1:-}" = "--tests" ] && lists+=("$here/debian-packages-test.txt")
mapfile -t wanted < <(cat "${lists[@]}" | grep -v '^\s*#' | grep -v '^\s*$')

if [ "${CAMPAIGN_SKIP_SYSTEM_DEPS:-}" = 1 ]; then
  exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "This is not a Debian-based system: install the equivalents of these packages yourself," >&2
  echo "then run again with CAMPAIGN_SKIP_SYSTEM_DEPS=1: ${wanted[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  $command >/dev/null
else
  echo "These Debian packages are needed: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo $command" >&2
  exit 1
fi
