// Reads {"id","text"} JSON lines on stdin; prints the npm text-readability
// package's seven scores per document as JSON lines (oracle for blalm tag).
// With --flesch-only, computes only Flesch reading ease and prints, on
// stdout, "MB_PER_CPU_S BYTES CPU_S WALL_S" (the benchmark peer,
// tests/bench/tag.sh): CPU seconds of this process (process.cpuUsage(),
// user + system) over the scoring loop, as blalm's side is measured; wall
// time moved with the machine's load and is printed only beside it.
import rs from 'text-readability'
import readline from 'node:readline'

const fleschOnly = process.argv.includes('--flesch-only')
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
const texts = []
for await (const line of rl) if (line) texts.push(JSON.parse(line))
const t0 = process.hrtime.bigint(), c0 = process.cpuUsage()
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
const cu = process.cpuUsage(c0), cpu = (cu.user + cu.system) / 1e6
if (fleschOnly) {
  process.stdout.write(`${(bytes / 1e6 / cpu).toFixed(3)} ${bytes} ${cpu.toFixed(3)} ${secs.toFixed(3)}\n`)
} else {
  process.stdout.write(out.join('\n') + '\n')
}
