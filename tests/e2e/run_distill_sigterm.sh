#!/usr/bin/env bash
# SIGTERM to `blalm run` during its distill step's scoring (edu_local for
# every document): the file being written is dropped (no temporary left), the
# run exits 143 as the signal would, naming the stage once, and a rerun
# resumes from the files finished before and completes the job.
source "$(dirname "$0")/../lib.sh"
D=$TMP/job; mkdir -p "$D/src"
# a: 40 labelled documents (the model's), b: 60000 unlabelled ones, long
# enough to score that the signal lands while b is being written
"$PY" -c "
import json, random
rng = random.Random(3)
with open('$D/src/a.jsonl', 'w') as f:
    for i in range(40):
        words = ' '.join('z%d' % rng.randrange(50) for _ in range(30))
        f.write(json.dumps({'id': 'a%d' % i, 'text': 'the number text here w%d %s' % (i % 6, words), 'metadata': {'score': i % 6}}) + '\n')
words = ' '.join('w%dx%d' % (k % 6, k % 40) for k in range(300))
with open('$D/src/b.jsonl', 'w') as f:
    for i in range(60000): f.write(json.dumps({'id': 'b%d' % i, 'text': 'doc %d %s' % (i, words)}) + '\n')
json.dump({'name': 'sig-test', 'vocab_size': 320, 'dim': 32, 'layers': 2, 'heads': 2, 'context': 128, 'mlp_hidden': 64,
           'mixer': 'mlstm', 'chunk': 16,
           'train': {'batch_size': 4, 'seq_len': 32, 'lr_adamw': 3e-3, 'warmup_steps': 1, 'eval_every': 10,
                     'eval_batches': 2, 'checkpoint_every': 10, 'log_every': 1}}, open('$D/model.json', 'w'))
json.dump({'work': 'w', 'sources': [{'name': 's', 'files': 'src'}],
           'distill': {'label_field': 'score', 'folds': 2, 'seed': 0, 'skip_unlabelled': True},
           'corpora': {'corpora': [{'name': 'small', 'budget': 5000, 'dev_words': 500}],
                       'rules': ['edu_local.int_score >= 0'], 'ranking': ['edu_local.score desc'], 'seed': 0,
                       'dedup': False},
           'tokenizer': {'vocab_size': 320}, 'model': 'model.json',
           'train': {'corpus': 'small', 'max_steps': 2, 'threads': 1}}, open('$D/job.json', 'w'))"
L=$D/w/attributes/edu_local/s
"$BLALM" run "$D/job.json" -q >"$TMP/run1" 2>&1 & RP=$!
# until b's edu_local temporary is there (the scoring of b has begun), or
# the run has ended on its own; no fixed wait
for i in $(seq 60000); do
    ls -a "$L/" 2>/dev/null | grep -q '^\.b\.jsonl\.zst\.tmp' && break
    kill -0 $RP 2>/dev/null || break
    sleep 0.01
done
kill -TERM $RP 2>/dev/null; wait $RP; rc=$?
left=$(ls -a "$L/" 2>/dev/null | grep -c tmp)
msg=$(grep '^blalm run: ' "$TMP/run1" || true)
if [ $rc = 143 ] && [ "$left" = 0 ] && [ ! -e "$L/b.jsonl.zst" ] && [ -e "$L/a.jsonl.zst" ] \
   && [ ! -e "$D/w/state/distill_score/edu_local/s/b.done" ] \
   && [ "$(grep -c . <<<"$msg")" = 1 ] && [ "$(grep -o 'distill: ' <<<"$msg" | wc -l)" = 1 ] \
   && grep -q '^blalm run: distill: interrupted by SIGTERM: .*b.jsonl.zst was not written (a rerun resumes)$' <<<"$msg" \
   && ! grep -q 'run: assemble' "$TMP/run1"; then
    pass run_distill_sigterm
else
    fail run_distill_sigterm "rc=$rc, $left temporaries: $(ls -a "$L/" 2>&1 | tr '\n' ' ') $(tail -c 400 "$TMP/run1" | tr '\n' '|')"
fi
# the rerun: a's edu_local kept, b scored, the later stages run
if "$BLALM" run "$D/job.json" -q >"$TMP/run2" 2>&1 \
   && grep -q 'distill .*60000 documents in 1 files -> edu_local (1 files complete before' "$TMP/run2" \
   && grep -q 'run: done' "$TMP/run2" && [ -s "$D/w/model/checkpoints/latest.bin" ] \
   && [ "$(ls -a "$L/" | grep -c tmp)" = 0 ]; then
    pass run_distill_sigterm_rerun
else
    fail run_distill_sigterm_rerun "$(tail -c 600 "$TMP/run2" | tr '\n' '|')"
fi
