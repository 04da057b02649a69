#!/usr/bin/env bash
# The course's one entry point.
#
#   ./course.sh                 set up (first time only) and open JupyterLab on work/
#   ./course.sh setup           set up only, for scripts
#   ./course.sh test            set up with test tools, then run the whole test suite
#   ./course.sh lab [ARGS...]   open JupyterLab, passing ARGS on (e.g. --no-browser --port 8890)
#   ./course.sh update          fetch the course's changes (git pull) into work/, answers kept
#   ./course.sh check NN        check work/NN_*.ipynb as grading would (every check, no answer)
#   ./course.sh release [DIR]   write the student release (notebooks + cnnkit, no answers)
#
# Setup is idempotent: a local virtual environment in .venv/, reinstalled only when
# pyproject.toml changes. It installs the student side only (cnnkit); the instructor
# side (autograder/) runs from this folder and is never importable from a notebook.
# On Debian/Ubuntu with root or sudo it also installs the Fashion-MNIST package (real
# data without a download), bubblewrap (the grading sandbox), a CJK font and, for the
# tests, Chromium; elsewhere (macOS: no apt, no sha256sum) Fashion-MNIST is downloaded
# and checked instead.
# Your work lives in work/: copies of notebooks/, never overwritten by an update.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VENV=.venv
PYTHON=${PYTHON:-python3}
say() { printf '\033[1m[course]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

apt_install() {
  # Best effort: without apt or root the course still works (data is downloaded instead).
  command -v apt-get >/dev/null 2>&1 || return 0
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    as_root apt-get update -qq >/dev/null 2>&1 &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
      say "could not install ${missing[*]} (no root/sudo?); continuing without"
  fi
}

setup() {
  local extras=$1
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $($PYTHON --version 2>&1)"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv
      "$PYTHON" -m venv "$VENV" || { say "python3 -m venv failed: install python3-venv"; exit 1; }
    fi
  fi
  # Hashed by Python, not sha256sum: macOS has none.
  local stamp
  stamp="$VENV/.installed-$("$VENV/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' pyproject.toml)-$extras"
  if [ ! -f "$stamp" ]; then
    say "installing the course into $VENV (${extras:-no extras})"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".${extras:+[$extras]}"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
  apt_install dataset-fashion-mnist bubblewrap fonts-noto-cjk
  # Without Debian's package (macOS, Windows, no root) Fashion-MNIST is downloaded into
  # the user cache and checked against its published checksums, once.
  if [ ! -f "$VENV/.fashion-mnist-ok" ]; then
    if "$VENV/bin/python" -m cnnkit.data >/dev/null; then touch "$VENV/.fashion-mnist-ok"
    else say "Fashion-MNIST not downloaded now (offline?); the notebooks will try again"
    fi
  fi
}

workspace() {
  # Students work on copies in work/: new chapters are copied in, and a changed chapter
  # reaches a copy with every answer, added cell and edit kept (cnnkit/workspace.py;
  # the old copy is backed up in work/.course/backup/ first).
  "$VENV/bin/python" -m cnnkit.workspace notebooks work --quiet
}

node_tools() {
  # deploy/package.json: JupyterHub's proxy (configurable-http-proxy) and MathJax, which
  # typesets feedback pages when they are made. Best effort, from the npm registry.
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  command -v npm >/dev/null 2>&1 || { say "no npm: feedback formulas stay TeX, no hub test"; return 0; }
  local stamp
  stamp="deploy/node_modules/.installed-$("$VENV/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' deploy/package-lock.json)"
  if [ ! -f "$stamp" ]; then
    say "installing deploy/package.json's node tools"
    if npm ci --prefix deploy --no-audit --no-fund --silent >/dev/null 2>&1; then touch "$stamp"
    else say "npm ci failed: feedback formulas stay TeX, no hub test"
    fi
  fi
}

setup_test_tools() {
  apt_install chromium
  node_tools
  # PyTorch is a test-only oracle. Install it only where a wheel is on local disk
  # (never a multi-GB download); without it the PyTorch comparisons are skipped.
  if [ ! -f "$VENV/.torch-tried" ]; then
    local probe
    probe=$(mktemp -d)
    if "$VENV/bin/python" -m pip download -q --no-index --no-deps -d "$probe" "torch==2.13.0" >/dev/null 2>&1 &&
      "$VENV/bin/python" -m pip install -q "torch==2.13.0" >/dev/null 2>&1; then
      say "installed torch (test oracle)"
    else
      say "no local torch wheel: the PyTorch comparisons will be skipped"
    fi
    rm -rf "$probe"
    touch "$VENV/.torch-tried"
  fi
}

start_services() {
  # The scale-out tests (tests/test_scaleout.py) grade through a real Redis broker and a
  # real PostgreSQL gradebook. Best effort: where they cannot start, those tests skip
  # (and fail on CI, where they must run).
  apt_install redis-server postgresql
  if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no --daemonize yes >/dev/null ||
      say "could not start redis-server"
  fi
  if command -v pg_lsclusters >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1; then
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
      as_root pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -1)" main >/dev/null 2>&1 || true
    fi
    { pg_lsclusters -h 2>/dev/null || true; } | while read -r version cluster _; do
      as_root pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
    done
    pg_isready -q -h 127.0.0.1 -t 20 || say "could not start PostgreSQL"
  fi
  if pg_isready -q -h 127.0.0.1 2>/dev/null; then
    as_root runuser -u postgres -- psql -qtAc \
      "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'autograder') THEN
         CREATE ROLE autograder LOGIN CREATEDB PASSWORD 'autograder'; END IF; END \$\$;" \
      >/dev/null 2>&1 || say "could not create the PostgreSQL role autograder"
  fi
  export AUTOGRADER_TEST_BROKER=redis://127.0.0.1:6379/0
  export AUTOGRADER_TEST_DB=postgresql+psycopg://autograder:autograder@127.0.0.1:5432/postgres
}

command=${1:-run}
[ $# -gt 0 ] && shift
case "$command" in
  setup)
    setup "" ;;
  run|lab)
    setup ""
    workspace
    export PATH="$PWD/$VENV/bin:$PATH"
    # A CJK font for matplotlib and nbgrader's instructor UI hidden: cnnkit/lab.py, the
    # same on every system (python -m cnnkit.lab is the Windows route)
    exec python -m cnnkit.lab "$@" ;;
  update)
    setup ""
    if git rev-parse --abbrev-ref --symbolic-full-name '@{u}' >/dev/null 2>&1; then
      git pull --ff-only || say "git pull failed (local changes to tracked files?); syncing work/ anyway"
    fi
    workspace ;;
  check)
    setup ""
    workspace
    export PATH="$PWD/$VENV/bin:$PATH"
    exec python -m autograder check "$@" ;;
  release)
    setup ""
    export PATH="$PWD/$VENV/bin:$PATH"
    exec python -m autograder release --out "${1:-student-release}" ;;
  test)
    setup dev,scale,hub
    setup_test_tools
    start_services
    export PATH="$PWD/$VENV/bin:$PATH"
    say "lint"
    ruff check . && ruff format --check .
    say "tests"
    exec python -m pytest "$@" ;;
  *)
    sed -n '2,19p' "$0"; exit 2 ;;
esac
