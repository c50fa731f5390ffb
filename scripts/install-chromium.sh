#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (Playwright drives it through
# executable_path; `playwright install` would download a browser, which we never do).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi
# other developers may run apt at the same time: wait for the lock instead of failing
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 \
    install -y -qq --no-install-recommends chromium
command -v chromium >/dev/null
