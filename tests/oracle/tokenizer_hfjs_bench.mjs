// tokenizer_hfjs_bench.mjs - the same-vocabulary peer for tests/bench/tokenizer.sh:
// Tokenizers.js (@huggingface/tokenizers, the JavaScript port of the Rust
// library) loads blalm's own tokenizer.json and encodes FILE's text on this
// one thread; its ids go to IDS (one JSON array, as `blalm tokenizer encode`
// prints them) for the bench to compare.
//   node tokenizer_hfjs_bench.mjs TOKENIZER.json FILE IDS  ->  "tokenizers.js BYTES TOKENS CPU_SECONDS"
import { readFileSync, writeFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [tokPath, file, idsPath] = process.argv.slice(2);
const tok = new Tokenizer(JSON.parse(readFileSync(tokPath, "utf8")), {});
const text = readFileSync(file, "utf8");
tok.encode("warm up the pattern and the tables", { add_special_tokens: false });
const t0 = process.cpuUsage();
const ids = tok.encode(text, { add_special_tokens: false }).ids;
const dt = process.cpuUsage(t0);
writeFileSync(idsPath, JSON.stringify(Array.from(ids)) + "\n");
console.log(`tokenizers.js ${Buffer.byteLength(text, "utf8")} ${ids.length} ${((dt.user + dt.system) / 1e6).toFixed(3)}`);
