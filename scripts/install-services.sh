#!/usr/bin/env bash
# Install Debian's PostgreSQL and Redis servers for the scale-out tests, unless present.
# Nothing is started here and the packages' own services are left alone: the tests
# start private instances on loopback in a temporary data dir (scripts/services.sh).
set -euo pipefail

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; }
have_redis() { command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; }

if have_postgres && have_redis; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
# Don't let the packages start system-wide services while installing (container-safe).
export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    postgresql redis-server >/dev/null
