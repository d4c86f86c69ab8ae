#!/usr/bin/env bash
# The environment is read only in pipeline/ (DESIGN.md §2): no getenv,
# secure_getenv or environ in library code (lib/, hub/, filters/, scorer/,
# corpora/, trainer/); and every variable pipeline/ reads is in the README.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
dirs=()
for d in lib hub filters scorer corpora trainer; do [ -d "$d" ] && dirs+=("$d"); done
hits=$(grep -rnE '\b(secure_)?getenv[[:space:]]*\(|\benviron\b|\bsetenv[[:space:]]*\(' \
       --include='*.c' --include='*.h' --include='*.inc' "${dirs[@]}" 2>/dev/null)
[ -z "$hits" ] && pass env_only_in_pipeline || fail env_only_in_pipeline "$(echo "$hits" | head -5 | tr '\n' ' ')"
# the check itself finds a planted read (it cannot pass vacuously)
probe=$TMP/probe; mkdir -p "$probe/lib"
printf 'const char *f(void) { return getenv("X"); }\n' >"$probe/lib/x.c"
grep -rqE '\b(secure_)?getenv[[:space:]]*\(' --include='*.c' "$probe/lib" && pass env_check_finds_reads || \
  fail env_check_finds_reads "the pattern missed a getenv call"
missing=()
for v in $(grep -rhoE '\bgetenv\("[A-Z_]+"\)' pipeline | sed -E 's/getenv\("([A-Z_]+)"\)/\1/' | sort -u); do
    grep -q "\`$v\`" README.md || missing+=("$v")
done
[ ${#missing[@]} = 0 ] && pass env_vars_documented || fail env_vars_documented "not in README.md: ${missing[*]}"
# each variable's row in README's environment table names every file of
# pipeline/ that reads it (the table said only cmd_ablate.c besides env.c for
# OMPI_COMM_WORLD_SIZE, which cmd_train.c reads too)
unlisted=()
while IFS=: read -r f v; do
    row=$(awk -F'|' -v v="\`$v\`" 'index($2, v) { print $3 }' README.md)
    [[ "$row" == *"\`$f\`"* ]] || unlisted+=("$v:$f")
done < <(grep -roE '\bgetenv\("[A-Z_]+"\)' pipeline | sed -E 's/getenv\("([A-Z_]+)"\)/\1/' | sort -u)
[ ${#unlisted[@]} = 0 ] && pass env_vars_readers_listed || \
    fail env_vars_readers_listed "README's table does not name the reader: ${unlisted[*]}"
