# Sourced by the scripts: make .venv (Python 3.11+) and install the package into it.
ensure_venv() {
  local extras="${1:-}"
  local py="${PYTHON:-}"
  if [ -z "$py" ]; then
    for cand in python3.11 python3.12 python3.13 python3; do
      if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        py=$cand; break
      fi
    done
  fi
  [ -n "$py" ] || { echo "scripts: Python 3.11 or newer is needed" >&2; exit 1; }
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $py" >&2
    "$py" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip >&2
  fi
  local spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp=".venv/.rilo-installed-$extras"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "== installing rilo-node $spec into .venv" >&2
    .venv/bin/python -m pip install -q -e "$spec" >&2
    touch "$stamp"
  fi
}
