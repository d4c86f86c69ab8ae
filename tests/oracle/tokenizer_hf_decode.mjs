// tokenizer_hf_decode.mjs - Tokenizers.js's decode of id lists, against blalm's.
//
//   node tokenizer_hf_decode.mjs TOKENIZER.json CONFIG.json IDS.jsonl DECODED.jsonl
//
// IDS: one JSON array per line (any ids, also ones that end inside a
// character); DECODED: `blalm tokenizer decode` of them, one JSON string per
// line. Tokenizers.js decodes bytes with TextDecoder (one U+FFFD per maximal
// subpart of invalid UTF-8). Prints "agree N/N" and the disagreements; exit 1
// on any.
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [tokPath, cfgPath, idsPath, decPath] = process.argv.slice(2);
const lines = (p) => readFileSync(p, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
const tok = new Tokenizer(JSON.parse(readFileSync(tokPath, "utf8")), JSON.parse(readFileSync(cfgPath, "utf8")));
const ids = lines(idsPath), got = lines(decPath);
if (ids.length !== got.length) {
  console.log(`count mismatch: ${ids.length} id lines, ${got.length} decoded lines`);
  process.exit(1);
}
let bad = 0;
ids.forEach((x, i) => {
  const want = tok.decode(x, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  if (want !== got[i]) {
    bad++;
    console.log(`ids ${JSON.stringify(x)}: tokenizers.js ${JSON.stringify(want)} blalm ${JSON.stringify(got[i])}`);
  }
});
console.log(`agree ${ids.length - bad}/${ids.length}`);
process.exit(bad ? 1 : 0);
