#!/usr/bin/env bash
# Install the Debian packages the tests use (Chromium, ffmpeg, PHP + PHPUnit, Node) when missing.
# Safe to re-run: it only calls apt-get when a package is absent.
set -euo pipefail
packages=(chromium ffmpeg php-cli php-curl php-xml php-mbstring phpunit nodejs npm wrk redis-server)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# npm may come with nodejs from another source: only ask apt for it if no npm is on PATH.
if command -v npm >/dev/null 2>&1; then missing=("${missing[@]/npm}"); fi
if command -v node >/dev/null 2>&1; then missing=("${missing[@]/nodejs}"); fi
read -r -a missing <<<"${missing[*]}"
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
