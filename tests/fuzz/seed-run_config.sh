#!/usr/bin/env bash
# Seeds for fuzz_run_config: the ready job configs and the run tests' job
# (every section: sources, tag, dedup, score, distill, corpora, train, eval).
set -euo pipefail
out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
for f in "$root"/configs/demo.json "$root"/configs/fineweb-edu-*.json; do cp "$f" "$out/$(basename "$f")"; done
cat >"$out/job.json" <<'JSON'
{"sources": [{"name": "web", "hub": {"repo": "HuggingFaceFW/fineweb-edu", "path": "sample/10BT", "include": ["*.parquet"], "max_files": 2}, "max_words": 5000},
             {"name": "mine", "files": "docs"}],
 "tag": {"taggers": ["gopher", "c4"], "gopher_quality": {"min_doc_words": 40}},
 "dedup": {"bands": 10, "rows": 4, "threads": 1},
 "score": {"model": "stand-in", "where": "gopher_quality.pass && dedup.keep", "concurrency": 8, "sample": 120},
 "distill": {"labels": "edu_llm.score", "folds": 4, "seed": 1, "model_type": "ridge", "attr_features": "none",
             "embeddings": "v.txt", "emb_words": 10, "emb_weight": 0.5, "skip_unlabelled": true, "max_chars": 3000},
 "corpora": {"corpora": [{"name": "big", "budget": 60000, "dev_words": 3000},
                         {"name": "small", "budget": 20000, "dev_words": 2000, "subset_of": "big"}],
             "rules": ["gopher_quality.pass", "edu_local.int_score >= 1"], "ranking": ["edu_local.score desc"], "seed": 0},
 "tokenizer": {"vocab_size": 320}, "model": "model.json",
 "train": {"corpus": "small", "max_steps": 40, "threads": 1, "track": "strict-small"},
 "eval": {"data": "eval", "tasks": "blimp", "fast": true}, "report": false}
JSON
