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
.venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
