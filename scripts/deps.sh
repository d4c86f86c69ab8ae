#!/usr/bin/env bash
# Installs the Debian packages blalm needs that are missing.
#   scripts/deps.sh build   - libraries and tools to build bin/blalm
#   scripts/deps.sh demo    - build + what `make demo` runs (python3 for the loopback stand-ins)
#   scripts/deps.sh test    - build + what the test tiers and benchmarks use (Node.js, python3
#                             packages, Open MPI, clang, Slurm and munge for the single-node
#                             cluster test, Chromium to load blalm report headless), then the
#                             npm oracle packages (lockfile)
# Prints one line per phase; apt's and npm's own output goes to .work/deps.log,
# which an error names.
set -euo pipefail
tier=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs=(build-essential pkg-config libcurl4-openssl-dev libzstd-dev zstd zlib1g-dev
            libssl-dev libpcre2-dev libutf8proc-dev libcjson-dev libopenblas-dev
            libsnappy-dev libxxhash-dev libhyphen-dev hyphen-en-us)
demo_pkgs=(python3)
test_pkgs=(python3 python3-numpy python3-scipy python3-pyphen python3-torch nodejs npm chromium
           python3-sklearn libopenmpi-dev openmpi-bin clang slurm-wlm munge curl strace)

pkgs=("${build_pkgs[@]}")
case $tier in
    build) ;;
    demo) pkgs+=("${demo_pkgs[@]}") ;;
    test) pkgs+=("${test_pkgs[@]}") ;;
    *) echo "usage: scripts/deps.sh build|demo|test" >&2; exit 2 ;;
esac
mkdir -p "$here/.work"
log=$here/.work/deps.log

missing=()
for p in "${pkgs[@]}"; do
    # nodejs may come from elsewhere than Debian (e.g. nodesource); accept a working node/npm.
    if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
    if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "blalm: these packages are missing and this system has no apt-get:" >&2
        echo "  ${missing[*]}" >&2
        echo "install their equivalents with your package manager, then run make again" >&2
        exit 1
    fi
    sudo=
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "blalm: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo=sudo
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "blalm: apt-get update (log: $log)" >&2
    $sudo apt-get update >"$log" 2>&1 ||
        { echo "blalm: apt-get update failed; its output is in $log" >&2; exit 1; }
    echo "blalm: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
        { echo "blalm: apt-get install failed; its output is in $log" >&2; exit 1; }
fi

# The CMU Pronouncing Dictionary for readability syllables (npm, lockfile in
# deps/cmudict): textstat looks words up in it before pyphen. Without npm,
# blalm tag warns and counts syllables by pyphen alone.
install_npm_lock() {   # DIR WHAT
    local dir=$1 what=$2 lock stamp want
    lock="$dir/package-lock.json"
    stamp="$dir/node_modules/.lock-sha256"
    want=$(sha256sum "$lock" | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "blalm: installing $what (npm, lockfile in ${dir#$here/})" >&2
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >>"$log" 2>&1 &&
            echo "$want" > "$stamp" ||
            echo "blalm: npm install of $what failed; its output is in $log" >&2
    fi
}
if [ -f "$here/deps/cmudict/package-lock.json" ]; then
    if command -v npm >/dev/null 2>&1; then
        install_npm_lock "$here/deps/cmudict" "the CMU Pronouncing Dictionary"
    else
        echo "blalm: npm not found: the CMU Pronouncing Dictionary is not installed;" \
             "blalm tag will count syllables by pyphen alone (scripts/deps.sh test installs npm)" >&2
    fi
fi

if [ "$tier" = test ] && [ -f "$here/tests/oracle/package-lock.json" ]; then
    lock="$here/tests/oracle/package-lock.json"
    stamp="$here/tests/oracle/node_modules/.lock-sha256"
    want=$(sha256sum "$lock" | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "blalm: installing npm oracle packages (tests/oracle, lockfile; log: $log)" >&2
        (cd "$here/tests/oracle" && npm ci --no-audit --no-fund --loglevel=error >>"$log" 2>&1) &&
            echo "$want" > "$stamp" ||
            echo "blalm: npm install failed (its output is in $log); oracle tests will skip" >&2
    fi
fi
exit 0
