// tokenizer_tiktoken_bench.mjs - the peer for tests/bench/tokenizer.sh: the
// `tiktoken` npm package (OpenAI's Rust tokenizer compiled to WebAssembly),
// GPT-2 encoding, encoding FILE's text on this one thread.
//   node tokenizer_tiktoken_bench.mjs FILE   ->  "tiktoken BYTES TOKENS CPU_SECONDS"
import { readFileSync } from "node:fs";
import { get_encoding } from "tiktoken";

const enc = get_encoding("gpt2");
const text = readFileSync(process.argv[2], "utf8");
const bytes = Buffer.byteLength(text, "utf8");
enc.encode_ordinary("warm up the pattern and the tables");
const t0 = process.cpuUsage();
const ids = enc.encode_ordinary(text);
const dt = process.cpuUsage(t0);
console.log(`tiktoken ${bytes} ${ids.length} ${((dt.user + dt.system) / 1e6).toFixed(3)}`);
enc.free();
