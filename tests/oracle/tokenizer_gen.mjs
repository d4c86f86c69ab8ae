// tokenizer_gen.mjs - generated text for the always-on tokenizer oracle test:
// emoji (ZWJ sequences, flags, skin tones, variation selectors), combining
// marks, CJK, scripts with their own digits, Unicode whitespace, long runs,
// apostrophes, special-token text. Deterministic (fixed seed).
//   node tokenizer_gen.mjs TRAIN_FILE INPUTS_JSONL
// U+0085 and U+FEFF are left out on purpose: Tokenizers.js's ByteLevel uses
// JavaScript's \s there, which differs from Unicode White_Space (Rust, blalm)
// on exactly those two code points.
import { writeFileSync } from "node:fs";

let seed = 42;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const pick = (a) => a[rnd(a.length)];
const words = [
  "the", "cat", "sat", "on", "mat", "it's", "we'll", "they'RE", "I'd", "o'clock", "don't",
  "café", "cafe\u0301", "n\u0303o", "Z\u0335\u034C\u0301algo", "a\u0308\u0323",
  "日本語", "中文文本", "한국어", "テキスト", "Привет", "مرحبا", "שלום", "नमस्ते", "ไทย",
  "👩‍👩‍👧", "🇩🇪", "👍🏽", "❤️", "🏳️‍🌈", "😀😀😀", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𐍈",
  "42", "3.14159", "١٢٣", "½", "Ⅻ", "२०२४", "1,000,000", "x²",
  "...", "!!!", "—", "«quote»", "(paren)", "[x]", "{y}", "$5", "#tag", "@user", "a/b", "C++",
  "<|endoftext|>", "<|padding|>", "<|endoftext", "|>",
];
const spaces = [" ", " ", " ", " ", "  ", "\n", "\n\n", "\t", " \t ", "\u00A0", "\u3000", "\u2003",
  "\u2028", "\u2029", "\u202F", "\u205F", "\u1680", "\r\n", "   \n  "];
const text = (n) => {
  let s = "";
  for (let i = 0; i < n; i++) s += pick(words) + pick(spaces);
  return s;
};
const train = [];
for (let i = 0; i < 400; i++) train.push(text(40 + rnd(40)));
const inputs = [];
for (let i = 0; i < 300; i++) inputs.push(text(1 + rnd(60)));
inputs.push("", " ", "   ", "\n", "a", "é", "👩‍👩‍👧", "  leading and trailing  ", "x".repeat(5000),
  " ".repeat(3000) + "y", "ab".repeat(2000), "!?".repeat(700), "1234567890".repeat(50),
  "<|endoftext|>", "a<|endoftext|>b<|padding|>c", "<|endoftext|><|endoftext|>",
  // many of them, interleaved, and partial ones (blalm remembers where each
  // special token next occurs rather than searching again after each match)
  "x<|padding|>y<|endoftext|>".repeat(60) + "<|endoftext|<|endoftext|>|>" + "<|endoftext|>z".repeat(40),
  "<|endoftext|>".repeat(30) + "<|padding|" + "<|padding|>".repeat(30));
writeFileSync(process.argv[2], train.join("\n\n") + "\n");
writeFileSync(process.argv[3], inputs.map((s) => JSON.stringify(s)).join("\n") + "\n");
