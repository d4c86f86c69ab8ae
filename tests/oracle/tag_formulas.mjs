// Recomputes each readability score from the counts blalm tag recorded, with
// the npm formula packages, and compares to blalm's score (|diff| <= 1e-9).
// blalm follows textstat 0.7.11, so the inputs are textstat's: ARI divides the
// characters by the tokens (given to npm as characters per word times words),
// Gunning fog counts the fog difficult words (not on the easy list and >= 3
// syllables); Coleman-Liau is not checked here: textstat's 0.058 is not npm's
// 0.0588 (tag_textstat.py checks it against textstat's values).
// usage: zstd -dc readability.jsonl.zst | node tag_formulas.mjs
import { flesch } from 'flesch'
import { fleschKincaid } from 'flesch-kincaid'
import { automatedReadability } from 'automated-readability'
import { smogFormula } from 'smog-formula'
import { gunningFog } from 'gunning-fog'
import { daleChallFormula } from 'dale-chall-formula'
import readline from 'node:readline'

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
const fails = {}
let n = 0, empty = 0, maxDiff = 0
const check = (name, ours, theirs, id) => {
  const d = Math.abs(ours - theirs)
  if (!(d <= 1e-9)) (fails[name] ||= []).push(`${id}: ours ${ours}, npm ${theirs}`)
  else if (d > maxDiff) maxDiff = d
}
for await (const line of rl) {
  if (!line) continue
  const row = JSON.parse(line)
  const r = row.readability
  n++
  if (r.words === 0) {  // npm returns NaN; textstat 0 (SMOG 3.1291 for a non-empty text)
    empty++
    for (const k of ['flesch_reading_ease', 'flesch_kincaid_grade', 'automated_readability_index',
      'coleman_liau_index', 'smog_index', 'gunning_fog', 'dale_chall']) {
      const want = k === 'smog_index' && r.sentences > 0 ? 3.1291 : 0
      if (r[k] !== want) (fails[k] ||= []).push(`${row.id}: no words but ${k} = ${r[k]}`)
    }
    continue
  }
  const c = { sentence: r.sentences, word: r.words, syllable: r.syllables,
    character: r.characters / r.tokens * r.words, letter: r.letters,
    polysillabicWord: r.polysyllables, complexPolysillabicWord: r.fog_difficult_words,
    difficultWord: r.difficult_words }
  check('flesch_reading_ease', r.flesch_reading_ease, flesch(c), row.id)
  check('flesch_kincaid_grade', r.flesch_kincaid_grade, fleschKincaid(c), row.id)
  check('automated_readability_index', r.automated_readability_index, automatedReadability(c), row.id)
  check('smog_index', r.smog_index, smogFormula(c), row.id)
  check('gunning_fog', r.gunning_fog, gunningFog(c), row.id)
  check('dale_chall', r.dale_chall, daleChallFormula(c), row.id)
}
console.log(`# formulas: ${n} documents (${empty} without words), largest |ours - npm| ${maxDiff.toExponential(2)}`)
for (const k of ['flesch_reading_ease', 'flesch_kincaid_grade', 'automated_readability_index',
  'smog_index', 'gunning_fog', 'dale_chall']) {
  if (fails[k]) console.log(`FAIL tag_formula_${k}: ${fails[k].length} differ, e.g. ${fails[k].slice(0, 3).join('; ')}`)
  else console.log(`PASS tag_formula_${k}`)
}
