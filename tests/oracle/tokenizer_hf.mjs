// tokenizer_hf.mjs - Tokenizers.js (@huggingface/tokenizers, the JavaScript port
// of the Rust library) as an independent oracle for blalm's byte-level BPE.
//
//   node tokenizer_hf.mjs TOKENIZER.json CONFIG.json INPUTS.jsonl IDS.jsonl DECODED.jsonl [DIFFER.json]
//
// DIFFER.json (optional): {"LINE": "why", ...}, inputs (1-based) whose ids must
// differ from Tokenizers.js's (known, documented divergences): one that agrees
// fails as one that differs elsewhere does.
//
// INPUTS: one JSON string per line; IDS: blalm's ids, one JSON array per line;
// DECODED: blalm's decode of those ids, one JSON string per line. Prints
// "agree N/N ids, N/N decoded, N/N round-trip" and the first disagreements; exit 1
// on any.
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [tokPath, cfgPath, inPath, idsPath, decPath, differPath] = process.argv.slice(2);
const differ = differPath ? JSON.parse(readFileSync(differPath, "utf8")) : {};
const lines = (p) => readFileSync(p, "utf8").split("\n").filter((l, i, a) => i < a.length - 1 || l !== "");
const tok = new Tokenizer(JSON.parse(readFileSync(tokPath, "utf8")), JSON.parse(readFileSync(cfgPath, "utf8")));
const inputs = lines(inPath).map((l) => JSON.parse(l));
const ids = lines(idsPath).map((l) => JSON.parse(l));
const decoded = lines(decPath).map((l) => JSON.parse(l));
if (ids.length !== inputs.length || decoded.length !== inputs.length) {
  console.log(`count mismatch: ${inputs.length} inputs, ${ids.length} id lines, ${decoded.length} decoded lines`);
  process.exit(1);
}
let nDiffer = 0, okIds = 0, okDec = 0, okRound = 0, shown = 0;
const show = (msg) => { if (shown++ < 5) console.log(msg); };
const dec = (x) => (x.length ? tok.decode(x, { skip_special_tokens: false, clean_up_tokenization_spaces: false }) : "");
for (let i = 0; i < inputs.length; i++) {
  const want = tok.encode(inputs[i], { add_special_tokens: false }).ids;
  const got = ids[i];
  const same = want.length === got.length && want.every((v, k) => v === got[k]);
  const why = differ[String(i + 1)];
  if (why !== undefined) {
    if (same) show(`input ${i + 1}: expected to differ (${why}) but agrees: ${JSON.stringify(got)}`);
    else { okIds++; nDiffer++; }
  } else if (same) okIds++;
  else {
    let k = 0;
    while (k < want.length && want[k] === got[k]) k++;
    show(`input ${i + 1}: ids differ at ${k}: tokenizers.js ${JSON.stringify(want.slice(k, k + 8))} ` +
         `blalm ${JSON.stringify(got.slice(k, k + 8))} text ${JSON.stringify(inputs[i].slice(0, 80))}`);
  }
  const jsDec = dec(got);
  if (jsDec === decoded[i]) okDec++;
  else show(`input ${i + 1}: decoded text differs: tokenizers.js ${JSON.stringify(jsDec.slice(0, 80))} blalm ${JSON.stringify(decoded[i].slice(0, 80))}`);
  if (decoded[i] === inputs[i]) okRound++;
  else show(`input ${i + 1}: decode(encode(x)) != x`);
}
const n = inputs.length;
console.log(`agree ${okIds - nDiffer}/${n} ids` + (nDiffer ? ` (${nDiffer} differ as expected)` : "") +
            `, ${okDec}/${n} decoded, ${okRound}/${n} round-trip`);
process.exit(okIds === n && okDec === n && okRound === n ? 0 : 1);
