#!/usr/bin/env bash
# Builds and runs every libFuzzer harness tests/fuzz/fuzz_*.c (clang,
# -fsanitize=fuzzer,address,undefined). Not part of CI.
#   FUZZ_SECONDS=600 (per harness)   FUZZ=name (only harnesses matching)
# Seeds: tests/fuzz/seeds/<name>/ (committed) plus anything a harness's
# tests/fuzz/seed-<name>.sh generates. Crashes land in build/fuzz/<name>/ and
# each must become a regression test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
secs=${FUZZ_SECONDS:-600}
command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
pkgs="libcurl libzstd zlib libcrypto libpcre2-8 libutf8proc libcjson libxxhash openblas snappy"
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
cflags="-std=c11 -D_GNU_SOURCE -DBLALM_VERSION=\"$version\" -g -O1 -I. $(pkg-config --cflags $pkgs) -fopenmp"
libs="$(pkg-config --libs $pkgs) -lhyphen -lm -lpthread"
srcs="$(ls lib/*.c filters/*.c scorer/*.c corpora/*.c trainer/*.c hub/*.c 2>/dev/null || true) pipeline/run_config.c"
for h in "$here"/fuzz_*.c; do
    name=$(basename "$h" .c); name=${name#fuzz_}
    [ -n "${FUZZ:-}" ] && [[ "$name" != *$FUZZ* ]] && continue
    out=build/fuzz/$name; mkdir -p "$out/corpus" "$out/crashes"
    echo "== fuzz $name (${secs}s)"
    clang $cflags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o "$out/fuzz" "$h" $srcs $libs
    [ -d "$here/seeds/$name" ] && cp -n "$here/seeds/$name"/* "$out/corpus/" 2>/dev/null || true
    [ -x "$here/seed-$name.sh" ] && "$here/seed-$name.sh" "$out/corpus"
    "$out/fuzz" -max_total_time="$secs" -artifact_prefix="$out/crashes/" -print_final_stats=1 "$out/corpus"
done
