// parquet_compare.mjs MODE FILE OURS [opts]
//   MODE read:  OURS is blalm's reading of FILE (JSON lines {"id","text","metadata","row"});
//               every document must equal DuckDB's reading of FILE.
//   MODE write: OURS is what blalm's writer was given (JSON lines of flat rows, text may
//               be null); DuckDB's reading of FILE must equal it.
// opts: --text-field F --id-field F --ids-only (compare only id and text),
//       --concat (FILE is a glob; OURS holds its files one after another).
// Prints "ok N rows" or "mismatch: ..." and exits 0 / 1.
// parquet_compare.mjs --jobs FILE: one job a line, NAME<TAB>MODE<TAB>FILE<TAB>OURS[<TAB>opt...];
// prints PASS NAME: ... / FAIL NAME: ... per job (one DuckDB for all, which saves seconds a job).
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

// JSON parser that keeps numbers as their source text ({num: "..."}), so that
// 64-bit integers and exact decimals survive.
function parseJson(s) {
  let i = 0;
  const ws = () => { while (i < s.length && ' \t\r\n'.includes(s[i])) i++; };
  function val() {
    ws();
    const c = s[i];
    if (c === '{') {
      i++; const o = {}; ws();
      if (s[i] === '}') { i++; return o; }
      for (;;) { ws(); const k = str(); ws(); i++; o[k] = val(); ws(); if (s[i++] === '}') return o; }
    }
    if (c === '[') {
      i++; const a = []; ws();
      if (s[i] === ']') { i++; return a; }
      for (;;) { a.push(val()); ws(); if (s[i++] === ']') return a; }
    }
    if (c === '"') return str();
    if (s.startsWith('true', i)) { i += 4; return true; }
    if (s.startsWith('false', i)) { i += 5; return false; }
    if (s.startsWith('null', i)) { i += 4; return null; }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i, i + 400));
    if (!m) throw new Error(`bad JSON at ${i}: ${s.slice(i, i + 40)}`);
    i += m[0].length;
    return { num: m[0] };
  }
  function str() {
    let j = i + 1;
    while (s[j] !== '"') { if (s[j] === '\\') j++; j++; }
    const r = JSON.parse(s.slice(i, j + 1));
    i = j + 1;
    return r;
  }
  return val();
}

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads=1');

async function compareOne(mode, file, ours, rest) {
  let textField = 'text', idField = 'id', idsOnly = false, concat = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--text-field') textField = rest[++i];
    else if (rest[i] === '--id-field') idField = rest[++i];
    else if (rest[i] === '--ids-only') idsOnly = true;
    else if (rest[i] === '--concat') concat = true;
  }

  const lit = `'${file.replaceAll("'", "''")}'`;
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${lit})`)).getRowObjectsJS();
  const cols = desc.map((r) => ({ name: r.column_name, type: r.column_type }));
  const qi = (n) => `"${n.replaceAll('"', '""')}"`;

  // Canonical text of each value, computed by DuckDB.
  function expr(c) {
    const n = qi(c.name), t = c.type;
    if (t === 'VARCHAR') return n;
    if (t.startsWith('TIMESTAMP')) return `epoch_ns(${n})::VARCHAR`;
    if (t === 'DATE') return `strftime(${n}, '%Y-%m-%d')`;
    return `${n}::VARCHAR`;
  }
  function isoFromNs(ns) {
    let v = BigInt(ns);
    const day = 86400n * 1000000000n;
    let days = v / day, rem = v % day;
    if (rem < 0n) { rem += day; days -= 1n; }
    const d = new Date(Number(days) * 86400000 + Number(rem / 1000000000n) * 1000);
    let frac = String(rem % 1000000000n).padStart(9, '0').replace(/0+$/, '');
    return d.toISOString().slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
  }
  const normDec = (x) => {
    let s = String(x);
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
    if (s === '-0') s = '0';
    return s;
  };

  // Does our JSON value v equal DuckDB's canonical text d for column type t?
  function same(v, d, t) {
    if (d === null || d === undefined) return v === null;
    // blalm writes NaN and infinities as null (JSON has no such numbers)
    if ((t === 'FLOAT' || t === 'DOUBLE') && /^-?(nan|inf)/i.test(String(d))) return v === null;
    if (v === null) return false;
    if (t === 'VARCHAR') return v === d;
    if (t === 'BOOLEAN') return v === (d === 'true');
    if (t.startsWith('TIMESTAMP')) return v === isoFromNs(d);
    if (t === 'DATE') return v === d;
    // INTERVAL: DuckDB's text ("1 year 2 months 3 days 04:05:06.007")
    if (t === 'INTERVAL') return v === d;
    if (typeof v !== 'object' || !('num' in v)) return false;
    if (t === 'FLOAT') return Math.fround(Number(v.num)) === Math.fround(Number(d));
    if (t === 'DOUBLE') return Number(v.num) === Number(d);
    if (t.startsWith('DECIMAL')) return normDec(v.num) === normDec(d);
    if (/INT/.test(t)) return BigInt(v.num) === BigInt(d);
    return String(v.num) === String(d);
  }

  const sel = cols.map((c) => `${expr(c)} AS ${qi(c.name)}`).join(', ');
  const rows = (await con.runAndReadAll(`SELECT ${sel} FROM read_parquet(${lit})`)).getRowObjectsJS();
  // the id is any column blalm can print as text: strings, integers (signed or
  // not), decimals, dates, times, timestamps and UUIDs; floats, booleans and
  // blobs stay metadata
  const idTypes = /^(VARCHAR|U?(TINY|SMALL|BIG)?INT(EGER)?|DECIMAL\(.*\)|DATE|TIME|TIMESTAMP.*|UUID)$/;
  const idCol = cols.find((c) => c.name === idField && idTypes.test(c.type));
  const idText = (d, t) => (t.startsWith('TIMESTAMP') ? isoFromNs(d) : String(d));
  const textCol = cols.find((c) => c.name === textField);
  const stem = path.basename(file).replace(/\.parquet.*$/, '');

  const rl = readline.createInterface({ input: fs.createReadStream(ours), crlfDelay: Infinity });
  let n = 0, bad = 0, firstBad = '';
  const note = (msg) => { bad++; if (!firstBad) firstBad = msg; };
  for await (const line of rl) {
    if (!line) continue;
    const o = parseJson(line);
    const r = rows[n];
    if (!r) { note(`extra document ${n}`); n++; continue; }
    if (mode === 'read') {
      const wantId = idCol && r[idCol.name] !== null ? idText(r[idCol.name], idCol.type) : `${stem}/${n}`;
      if (o.id !== wantId) note(`row ${n}: id ${JSON.stringify(o.id).slice(0, 80)} != ${JSON.stringify(wantId).slice(0, 80)}`);
      const wantText = r[textCol.name] ?? '';
      if (o.text !== wantText) note(`row ${n}: text differs (${o.text.length} vs ${wantText.length} chars)`);
      if (!concat && o.row && Number(o.row.num) !== n) note(`row ${n}: row number ${o.row.num}`);
      if (!idsOnly) {
        const keys = Object.keys(o.metadata);
        const want = cols.filter((c) => c !== textCol && c !== idCol).map((c) => c.name);
        if (keys.join('\u0000') !== want.join('\u0000')) note(`row ${n}: metadata keys ${keys} != ${want}`);
        for (const c of cols) {
          if (c === textCol || c === idCol) continue;
          if (!same(o.metadata[c.name], r[c.name], c.type))
            note(`row ${n}: ${c.name} (${c.type}): ours ${JSON.stringify(o.metadata[c.name])} duckdb ${JSON.stringify(r[c.name])}`);
        }
      }
    } else {
      for (const c of cols) {
        const v = o[c.name] === undefined ? null : o[c.name];
        if (!same(v, r[c.name], c.type))
          note(`row ${n}: ${c.name} (${c.type}): written ${JSON.stringify(v)?.slice(0, 80)} duckdb ${JSON.stringify(r[c.name])?.slice(0, 80)}`);
      }
      if (Object.keys(o).length !== cols.length) note(`row ${n}: ${Object.keys(o).length} fields written, DuckDB sees ${cols.length} columns`);
    }
    n++;
  }
  if (n !== rows.length) note(`${n} documents, DuckDB reads ${rows.length} rows`);
  if (bad) return [false, `mismatch: ${bad} differences; first: ${firstBad}`];
  return [true, `ok ${n} rows`];
}

const argv = process.argv.slice(2);
if (argv[0] === '--jobs') {
  for (const line of fs.readFileSync(argv[1], 'utf8').split('\n')) {
    if (!line) continue;
    const [name, mode, file, ours, ...rest] = line.split('\t');
    let r;
    try { r = await compareOne(mode, file, ours, rest); } catch (err) { r = [false, String(err).slice(0, 400)]; }
    console.log(`${r[0] ? 'PASS' : 'FAIL'} ${name}: ${r[1]}`);
  }
} else {
  const [mode, file, ours, ...rest] = argv;
  const r = await compareOne(mode, file, ours, rest);
  console.log(r[1]);
  process.exit(r[0] ? 0 : 1);
}
