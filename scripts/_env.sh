# Shared by scripts/demo, scripts/test and scripts/check: a virtual environment in .venv with
# reservewatch installed (editable) and the extras named in $RESERVEWATCH_EXTRAS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_apt.sh

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    # Debian ships venv support separately.
    apt_install python3-venv
    "$PYTHON" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip
fi
extras=${RESERVEWATCH_EXTRAS:-}
# Install (editable) only when pyproject.toml or the extras changed since the last install:
# a start is then quiet and quick (pip and setuptools print their notices only when they run).
stamp=".venv/.reservewatch-installed"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) ${extras}"
if ! grep -qxF -- "$wanted" "$stamp" 2>/dev/null; then
  .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}" 2> >(grep -v -e '^ *$' -e 'BuildBackendWarning' -e '!!' -e '\*\*\*' -e 'Please be careful' -e 'name as your package' -e 'with strategy' >&2)
  echo "$wanted" >> "$stamp"
fi
