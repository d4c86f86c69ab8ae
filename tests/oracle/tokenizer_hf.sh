#!/usr/bin/env bash
# Tokenizers.js (@huggingface/tokenizers) loads blalm's tokenizer.json and must
# give the same ids and the same decoded text as `blalm tokenizer encode/decode`:
#  - always: a tokenizer trained on generated multilingual text, on generated
#    inputs (emoji, combining marks, CJK, Unicode whitespace, long runs,
#    special-token text);
#  - with shared data: a tokenizer trained on 1,000 FineWeb documents, on all
#    2,100 documents of fineweb-legal.jsonl.zst and every BLiMP sentence.
source "$(dirname "$0")/../lib.sh"

if ! command -v node >/dev/null || [ ! -d "$ORACLE_DIR/node_modules/@huggingface/tokenizers" ]; then
    skip tokenizer_hf "node or the npm package @huggingface/tokenizers is missing (make test-deps installs them)"
    exit 0
fi

# compare NAME TOKDIR INPUTS [DIFFER.json]: encode + decode with blalm, then the oracle
compare() {
    local name=$1 tok=$2 in=$3 differ=${4:-}
    if ! "$BLALM" tokenizer encode --quiet --tokenizer "$tok/tokenizer.json" --jsonl "$in" >"$TMP/$name.ids" 2>"$TMP/$name.err"; then
        fail "$name" "encode: $(tail -c 300 "$TMP/$name.err")"; return
    fi
    local dtok="$tok/tokenizer.bin"
    [ -f "$dtok" ] || dtok="$tok/tokenizer.json"
    if ! "$BLALM" tokenizer decode --quiet --tokenizer "$dtok" --jsonl "$TMP/$name.ids" >"$TMP/$name.dec" 2>"$TMP/$name.err"; then
        fail "$name" "decode: $(tail -c 300 "$TMP/$name.err")"; return
    fi
    if node "$ORACLE_DIR/tokenizer_hf.mjs" "$tok/tokenizer.json" "$tok/tokenizer_config.json" "$in" \
            "$TMP/$name.ids" "$TMP/$name.dec" $differ >"$TMP/$name.out" 2>&1; then
        pass "$name ($(tail -n 1 "$TMP/$name.out"))"
    else
        fail "$name" "$(head -c 1500 "$TMP/$name.out" | tr '\n' ' ')"
    fi
}

# always-on: generated text
mkdir -p "$TMP/gen/train"
node "$ORACLE_DIR/tokenizer_gen.mjs" "$TMP/gen/train/gen.train" "$TMP/gen.jsonl"
if "$BLALM" tokenizer train --quiet --corpus "$TMP/gen" --out "$TMP/gentok" --vocab 1000 \
        --min-frequency 2 --allow-smaller 2>"$TMP/gen.err"; then
    compare tokenizer_hf_generated "$TMP/gentok" "$TMP/gen.jsonl"
else
    fail tokenizer_hf_generated "train: $(tail -c 300 "$TMP/gen.err")"
fi

# letters and digits of Unicode 15.0, 15.1 and 16.0 (after PCRE2 10.42's
# Unicode 14.0): blalm compiles \p{L} and \p{N} from its own Unicode 16.0
# table (trainer/unicode_ln.h), as the Rust library (tokenizers 0.23.2) reads
# them; before, " \u{31350}'s" split as " \u{31350}'" + "s". And White_Space:
# blalm's \s (the GPT-2 pattern's) is Unicode White_Space, as Oniguruma's;
# Tokenizers.js uses JavaScript's \s, which lacks U+0085 and adds U+FEFF, so
# the inputs with those two differ there, by name (README, "Byte-level BPE").
mkdir -p "$TMP/uni/train"
for i in $(seq 200); do
    printf "John's cat isn't Mary's. \xf0\x9f\x98\x80 \xf0\x9f\x8e\x89 it's \xc2\xa9 2024, \xef\xbf\xa5 5 \xef\xbd\xa1 x\n\n"
done >"$TMP/uni/train/uni.train"
"$PY" - "$TMP/uni.jsonl" "$TMP/uni.differ" <<'PYEOF'
import json, sys
out, differ = sys.argv[1:]
# 15.0: Kawi letter, Kawi digit, Kaktovik numeral, Cyrillic modifier, CJK Ext H;
# 15.1: CJK Ext I; 16.0: Cyrillic TJE, Latin Ɤ-like, Garay, Gurung Khema,
# Ol Onal, outlined digit
cps = [0x11F04, 0x11F50, 0x1D2C0, 0x1E030, 0x31350, 0x2EBF0, 0x1C89, 0xA7CB, 0x10D50, 0x10D51, 0x16100, 0x1E5D0,
       0x1CCF0]
texts = []
for cp in cps:
    c = chr(cp)
    texts += [f"a {c}{c}{c}b", f" {c}{c}", f"x{c} 1", f"!{c}", f" {c}'s", f"John's {c}'s"]
texts += ["plain text, it's", "\u00a0nbsp \u3000ideo \u2028ls \u180emvs"]
named = {"x \u0085y": "U+0085 is White_Space, not in JavaScript's \\s",
         "x \ufeffy": "U+FEFF is in JavaScript's \\s, not White_Space"}
d = {}
for t, why in named.items():
    texts.append(t)
    d[str(len(texts))] = why
open(out, "w").write("".join(json.dumps(t) + "\n" for t in texts))
json.dump(d, open(differ, "w"))
PYEOF
if "$BLALM" tokenizer train --quiet --corpus "$TMP/uni" --out "$TMP/unitok" --vocab 300 --min-frequency 2 \
        --allow-smaller 2>"$TMP/uni.err"; then
    compare tokenizer_hf_unicode16 "$TMP/unitok" "$TMP/uni.jsonl" "$TMP/uni.differ"
else
    fail tokenizer_hf_unicode16 "train: $(tail -c 300 "$TMP/uni.err")"
fi

# a --pattern of one's own (cl100k's, as Llama 3's tokenizer.json writes it,
# and one with '.'): blalm compiles \s as White_Space and '.' as [^\n], as the
# Rust library's Oniguruma reads them (PCRE2's \s adds U+180E)
mkdir -p "$TMP/genpat/train" && cp "$TMP/gen/train/gen.train" "$TMP/genpat/train/"
cp "$TMP/gen.jsonl" "$TMP/pat.jsonl"
printf '%s\n' '"\u0027s\u180e\u0027t"' '"a\u180eb c"' '"x\u180e\u180e y\r\nz\u2028w\u0085v"' >>"$TMP/pat.jsonl"
n=0
for pat in "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" \
           '\p{L}+|\S|.|\s+'; do
    n=$((n + 1))
    if "$BLALM" tokenizer train --quiet --corpus "$TMP/genpat" --out "$TMP/pattok$n" --vocab 1000 --allow-smaller \
            --pattern "$pat" 2>"$TMP/pat.err"; then
        compare "tokenizer_hf_pattern_$n" "$TMP/pattok$n" "$TMP/pat.jsonl"
    else
        fail "tokenizer_hf_pattern_$n" "train: $(tail -c 300 "$TMP/pat.err")"
    fi
done

# ids that end inside a character, and other invalid UTF-8: Tokenizers.js
# decodes with TextDecoder, one U+FFFD per maximal subpart; blalm must agree
if [ -f "$TMP/gentok/tokenizer.json" ]; then
    printf '%s\n' '[240,159,152]' '[230,151]' '[240,159,152,97,230,151,98]' '[237,160,128]' '[224,128,128]' \
        '[244,144,128,128]' '[244,143,128]' '[192,175,245,255,128]' '[195,169,226,130]' '[226,130,226,130,172]' \
        >"$TMP/cut.ids"
    if "$BLALM" tokenizer decode --quiet --tokenizer "$TMP/gentok/tokenizer.json" --jsonl "$TMP/cut.ids" \
            >"$TMP/cut.dec" 2>"$TMP/cut.err" &&
        node "$ORACLE_DIR/tokenizer_hf_decode.mjs" "$TMP/gentok/tokenizer.json" "$TMP/gentok/tokenizer_config.json" \
            "$TMP/cut.ids" "$TMP/cut.dec" >"$TMP/cut.out" 2>&1 &&
        [ "$(wc -l <"$TMP/cut.dec")" = 10 ]; then
        pass "tokenizer_hf_decode_invalid_utf8 ($(tail -n 1 "$TMP/cut.out"))"
    else
        fail tokenizer_hf_decode_invalid_utf8 "$(cat "$TMP/cut.err" "$TMP/cut.out" | head -c 1200)"
    fi
fi

# added tokens beyond blalm's own two: special or not, "normalized" or not
# (the Rust library matches the normalized ones only between the others);
# a hand-written tokenizer.json, the Rust library's semantics as
# Tokenizers.js implements them
if [ -f "$TMP/gentok/tokenizer.json" ]; then
    mkdir -p "$TMP/addtok"
    "$PY" - "$TMP/gentok" "$TMP/addtok" "$TMP/add.jsonl" <<'PYEOF'
import json, shutil, sys
src, out, inputs = sys.argv[1:]
d = json.load(open(src + "/tokenizer.json"))
n = max(d["model"]["vocab"].values()) + 1
n = max([n] + [a["id"] + 1 for a in d["added_tokens"]])
for i, (c, special, normalized) in enumerate([("<|pad2|>", False, False), ("xyz", False, True), ("yz!", True, True),
                                             ("abc", False, False), ("bc x", True, False), ("xyab", False, True)]):
    d["added_tokens"].append({"id": n + i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": normalized, "special": special})
json.dump(d, open(out + "/tokenizer.json", "w"), indent=1)
shutil.copy(src + "/tokenizer_config.json", out + "/tokenizer_config.json")
texts = ["axyzb", "<|endoftext|>xyz", "xyz!", "abcxyz!", "a <|pad2|> b", "abc x yz", "bc xyz!", "yz!xyz",
         "<|endoftext|><|padding|>", "xy<|pad2|>z", "abcabc", "bc xyzabc", "hello world", "x<|padding|>y", "xyab c"]
# not "xyabc": the Rust library's second pass gives "xy" + "abc" (blalm
# agrees; checked against its npm binding, tokenizers 0.23.2), Tokenizers.js
# 0.2.0 matches in one pass and gives "xyab" + "c" (tokenizer_cli.sh checks
# blalm's order)
open(inputs, "w").write("".join(json.dumps(t) + "\n" for t in texts))
PYEOF
    compare tokenizer_hf_added_tokens "$TMP/addtok" "$TMP/add.jsonl"
fi

if ! need_shared || [ ! -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ] || ! command -v zstd >/dev/null; then
    skip tokenizer_hf_fineweb "shared data (fineweb-legal.jsonl.zst) or zstd not available"
    skip tokenizer_hf_blimp "shared data (blimp/) not available"
    exit 0
fi
# the training corpus: 1,000 of the documents, BabyLM layout
mkdir -p "$TMP/fw/train"
zstd -dc "$SHARED_DATA/fineweb-legal.jsonl.zst" >"$TMP/fw.jsonl"
node -e '
const fs = require("fs");
const docs = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l).text);
const limit = Number(process.env.BLALM_TOKENIZER_ORACLE_DOCS || docs.length);
fs.writeFileSync(process.argv[2], docs.slice(0, 1000).join("\n\n") + "\n");
fs.writeFileSync(process.argv[3], docs.slice(0, limit).map((d) => JSON.stringify(d)).join("\n") + "\n");
' "$TMP/fw.jsonl" "$TMP/fw/train/fineweb.train" "$TMP/fw-docs.jsonl"
if ! "$BLALM" tokenizer train --quiet --corpus "$TMP/fw" --out "$TMP/fwtok" --vocab 8192 2>"$TMP/fw.err"; then
    fail tokenizer_hf_fineweb "train: $(tail -c 300 "$TMP/fw.err")"
    exit 0
fi
# the two Tokenizers.js runs take most of the time: run them side by side
compare tokenizer_hf_fineweb "$TMP/fwtok" "$TMP/fw-docs.jsonl" >"$TMP/fw.result" &

if ls "$SHARED_DATA"/blimp/*.jsonl >/dev/null 2>&1; then
    node -e '
const fs = require("fs");
const out = [];
for (const f of process.argv.slice(2)) for (const l of fs.readFileSync(f, "utf8").split("\n")) {
    if (!l.trim()) continue;
    const r = JSON.parse(l);
    out.push(JSON.stringify(r.sentence_good), JSON.stringify(r.sentence_bad));
}
process.stdout.write(out.join("\n") + "\n");
' "$SHARED_DATA"/blimp/*.jsonl >"$TMP/blimp.jsonl"
    compare tokenizer_hf_blimp "$TMP/fwtok" "$TMP/blimp.jsonl"
else
    skip tokenizer_hf_blimp "shared data has no blimp/*.jsonl"
fi
wait
cat "$TMP/fw.result"
