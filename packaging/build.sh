#!/usr/bin/env bash
# Build the one-folder app dist/momentum-desktop/ with PyInstaller and smoke-test it.
#
#   packaging/build.sh                 # uses (and creates if needed) build/venv-pack
#   packaging/build.sh --onefile       # one executable, dist/momentum-desktop-onefile
#   PYTHON=/path/to/python packaging/build.sh
#
# The app is frozen from an installed, non-editable copy of the project (see the
# spec), so this script (re)installs the current source tree into the chosen
# environment first. The default is a dedicated venv under build/ so a development
# environment with an editable install is left alone; with PYTHON=... that
# interpreter's environment gets the project installed non-editable, with its
# dependencies and the build extra.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cd "$repo"

if [[ -z "${PYTHON:-}" ]]; then
    venv="$repo/build/venv-pack"
    if [[ ! -x "$venv/bin/python" ]]; then
        echo "== creating $venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
    fi
    PYTHON="$venv/bin/python"
fi

echo "== installing the current source tree into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
# setuptools builds in build/lib and never deletes files there, so a module removed
# from the source would live on in the installed copy; start that folder clean.
rm -rf build/lib build/bdist.*
# pip always rebuilds and reinstalls a project given as a folder, and installs any
# dependency pyproject.toml has gained since the environment was made.
"$PYTHON" -m pip install --quiet "$repo[build]"
pyinstaller="$(dirname "$PYTHON")/pyinstaller"
[[ -x "$pyinstaller" ]] || { echo "build.sh: no pyinstaller next to $PYTHON (is it in a virtual environment?)" >&2; exit 1; }

echo "== pyinstaller packaging/momentum_desktop.spec"
start=$SECONDS
# The `pyinstaller` command, not `python -m PyInstaller`: the latter would put the
# repository root (this cwd) first on sys.path, shadowing the installed package.
if [[ "${1:-}" == "--onefile" ]]; then
    "$pyinstaller" packaging/momentum_desktop_onefile.spec --noconfirm --clean --log-level WARN
    app="$repo/dist/momentum-desktop-onefile"
else
    "$pyinstaller" packaging/momentum_desktop.spec --noconfirm --clean --log-level WARN
    app="$repo/dist/momentum-desktop/momentum-desktop"
fi
echo "== built $app in $((SECONDS - start)) s"

echo "== smoke test: --screenshot from / with QT_QPA_PLATFORM=offscreen"
shot="${SHOT:-/tmp/frozen-shot.png}"
rm -f "$shot"
limit=(); command -v timeout >/dev/null && limit=(timeout 120)
(cd / && QT_QPA_PLATFORM=offscreen "${limit[@]}" "$app" --screenshot "$shot")
if [[ ! -s "$shot" ]] || [[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]]; then
    echo "build.sh: smoke test failed: $shot is missing or not a PNG" >&2
    exit 1
fi
echo "== smoke test passed: $shot ($(wc -c <"$shot" | tr -d ' ') bytes)"
# A bad option must reach stderr and exit 2 (argparse), also in the frozen app.
set +e
err="$(cd / && "$app" --no-such-option 2>&1 >/dev/null)"; code=$?
set -e
if [[ $code -ne 2 || "$err" != *"unrecognized arguments"* ]]; then
    echo "build.sh: a bad option gave exit $code and stderr '$err'" >&2
    exit 1
fi
echo "== smoke test: pyqtgraph's context menus and export dialog (their templates)"
(cd / && QT_QPA_PLATFORM=offscreen "${limit[@]}" "$app" --check-menus)
du -sh "$(dirname "$app")/$(basename "$app")" 2>/dev/null || true
[[ -d dist/momentum-desktop ]] && du -sh dist/momentum-desktop
