#!/usr/bin/env bash
# Installs everything the workflow and its tests need on a fresh Debian machine with Python 3.11:
# system packages (SLURM + munge for the cluster tests, Chromium for the report test) and a
# virtual environment `.venv` with the exact pins of requirements-dev.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(slurm-wlm slurm-client munge chromium chromium-driver)
missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-dev.txt
