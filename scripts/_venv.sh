# Shared by scripts/demo and scripts/test: make .venv and install the project into it, once.
#
#   source scripts/_venv.sh
#   ensure_venv ".[test]"      # or "." for the application alone
#
# The install is skipped while pyproject.toml is unchanged since the last successful install of
# the same extras (a stamp in .venv holds its checksum). Set CHUANGXING_PYTHON to choose the
# interpreter (default python3.11).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
    local candidate
    for candidate in "${CHUANGXING_PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "需要 Python 3.11（python3.11）。Python 3.11 is required; set CHUANGXING_PYTHON." >&2
    return 1
}

ensure_venv() {
    local spec="$1" stamp_name="$2" python checksum stamp
    if [ ! -x "$VENV/bin/python" ]; then
        python="$(find_python)"
        echo "==> creating $VENV with $python"
        "$python" -m venv "$VENV"
    fi
    checksum="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    stamp="$VENV/.chuangxing-installed-$stamp_name"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$checksum" ] && "$VENV/bin/python" -c 'import chuangxing' 2>/dev/null; then
        return 0
    fi
    echo "==> pip install -e '$spec'"
    (cd "$ROOT" && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec")
    echo "$checksum" >"$stamp"
}
