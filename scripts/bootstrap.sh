#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the locked dependencies (idempotent:
# does nothing when requirements.lock and pyproject.toml are unchanged).
#
# Python 3.10 is looked for in this order: $PYTHON; `python3.10` if it really runs
# (a pyenv shim fails when pyenv has not selected 3.10); pyenv's installed 3.10.x;
# `uv python find 3.10`; the usual system paths.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
UV_VERSION=0.13.8

is_py310() { [ -n "${1:-}" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

find_python() {
    local candidate prefix version
    for candidate in "${PYTHON:-}" python3.10; do
        if is_py310 "$candidate"; then command -v "$candidate" || echo "$candidate"; return; fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
            prefix=$(pyenv prefix "$version" 2>/dev/null) || continue
            if is_py310 "$prefix/bin/python3.10"; then echo "$prefix/bin/python3.10"; return; fi
        done
    fi
    if command -v uv >/dev/null 2>&1; then
        candidate=$(uv python find 3.10 2>/dev/null || true)
        if is_py310 "$candidate"; then echo "$candidate"; return; fi
    fi
    for candidate in /usr/bin/python3.10 /usr/local/bin/python3.10 /opt/homebrew/bin/python3.10; do
        if is_py310 "$candidate"; then echo "$candidate"; return; fi
    done
    return 1
}

stamp="$VENV/.installed"
want=$(cat requirements.lock pyproject.toml "$0" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && is_py310 "$VENV/bin/python"; then
    exit 0
fi

if ! is_py310 "$VENV/bin/python"; then
    if ! python=$(find_python); then
        echo "error: Python 3.10 not found (Rasa 3.6 needs 3.10)." >&2
        echo "Install it (e.g. 'pyenv install 3.10', 'uv python install 3.10' or your OS package)" >&2
        echo "or point PYTHON=/path/to/python3.10 at it, then run this again." >&2
        exit 1
    fi
    echo "Creating $VENV with $python"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
fi

# uv (pinned, from PyPI) installs the lock in seconds; it is in the lock too, so
# `uv pip sync` keeps it.
if ! "$VENV/bin/uv" --version 2>/dev/null | grep -q "$UV_VERSION"; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
# --compile-bytecode: write every .pyc now. Python would compile on first import, but
# not where PYTHONDONTWRITEBYTECODE is set (as on CI machines), and then every Rasa
# start compiles TensorFlow and Rasa from source again: 20 s more per start (issue 4).
"$VENV/bin/uv" pip sync --python "$VENV/bin/python" --require-hashes --compile-bytecode \
    requirements.lock
"$VENV/bin/uv" pip install --python "$VENV/bin/python" --no-deps --no-build-isolation -e . \
    || "$VENV/bin/uv" pip install --python "$VENV/bin/python" --no-deps -e .
echo "$want" > "$stamp"
