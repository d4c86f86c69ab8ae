#!/usr/bin/env bash
# A parquet file truncated while blalm reads it (cp over it, rsync --inplace,
# a re-download to the same path) is an error naming the file, exit 1; it
# was a SIGBUS (exit 135, nothing on stderr) when the reader mapped the file
# (parquet audit finding 4). `blalm cat` is held mid-file by a pipe nobody
# reads; the file, uncompressed so that its pages are read as they are, is
# written in this run by DuckDB.
source "$(dirname "$0")/../lib.sh"
if ! have_node_oracles; then
    skip parquet_changed "node or tests/oracle/node_modules missing (make test-deps)"
    exit 0
fi
F=$TMP/live.parquet
if ! (cd "$ORACLE_DIR" && node --input-type=module - "$F" <<'JS') 2>"$TMP/e"; then
import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:'); const con = await db.connect();
await con.run(`COPY (SELECT 'd' || i AS id, 'Document ' || i || ': ' || repeat(md5(i::VARCHAR) || ' ', 20) AS text
    FROM range(6000) r(i)) TO '${process.argv[2]}' (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 1000)`);
JS
    fail parquet_changed_fixture "$(cat "$TMP/e")"
    exit 0
fi
size=$(stat -c %s "$F")
[ "$size" -gt 1000000 ] || { fail parquet_changed_fixture "only $size bytes"; exit 0; }

"$PY" - "$BLALM" "$F" >"$TMP/r" <<'PY'
import json, os, subprocess, sys, time
blalm, path = sys.argv[1:]
p = subprocess.Popen([blalm, "cat", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
p.stdout.read(1000)      # it has opened the file and is blocked on the full pipe
time.sleep(0.5)
os.truncate(path, 100000)
out = p.stdout.read(); err = p.stderr.read().decode(errors="replace"); p.wait()
lines = out.decode().split("\n")
whole = lines[-1] == "" and all(json.loads(l) for l in lines[1:-1])
print(p.returncode, whole, err.strip().replace("\n", " | "))
PY
read -r rc whole msg <"$TMP/r"
if [ "$rc" = 1 ] && grep -qF "$F: byte " <<<"$msg" &&
   grep -qF "the file shrank while it was read ($size bytes when opened, now 100000)" <<<"$msg"; then
    pass parquet_truncated_while_read
else fail parquet_truncated_while_read "exit $rc (-7 is SIGBUS), stderr: $msg"; fi
# what was printed before the error is whole lines
[ "$whole" = True ] && pass parquet_truncated_output_whole_lines || fail parquet_truncated_output_whole_lines "$whole"
