// Reads {"id","text"} JSON lines on stdin; prints the npm text-readability
// package's seven scores per document as JSON lines (oracle for blalm tag).
// With --flesch-only, computes only Flesch reading ease and prints the
// throughput on stderr (the benchmark peer).
import rs from 'text-readability'
import readline from 'node:readline'

const fleschOnly = process.argv.includes('--flesch-only')
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
const texts = []
for await (const line of rl) if (line) texts.push(JSON.parse(line))
const t0 = process.hrtime.bigint()
let bytes = 0
const out = []
for (const d of texts) {
  bytes += Buffer.byteLength(d.text, 'utf8')
  if (fleschOnly) {
    out.push(rs.fleschReadingEase(d.text))
    continue
  }
  out.push(JSON.stringify({
    id: d.id,
    flesch_reading_ease: rs.fleschReadingEase(d.text),
    flesch_kincaid_grade: rs.fleschKincaidGrade(d.text),
    automated_readability_index: rs.automatedReadabilityIndex(d.text),
    coleman_liau_index: rs.colemanLiauIndex(d.text),
    smog_index: rs.smogIndex(d.text),
    gunning_fog: rs.gunningFog(d.text),
    dale_chall: rs.daleChallReadabilityScore(d.text),
  }))
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9
if (fleschOnly) {
  process.stdout.write(`${(bytes / 1e6 / secs).toFixed(3)} ${bytes} ${secs.toFixed(3)}\n`)
} else {
  process.stdout.write(out.join('\n') + '\n')
}
