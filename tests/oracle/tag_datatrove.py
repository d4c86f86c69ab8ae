"""Compares blalm tag's verdicts with datatrove 0.10.0's (datatrove-ref.jsonl.zst).

usage: tag_datatrove.py REF.jsonl.zst ATTR_DIR MIN_AGREEMENT
ATTR_DIR holds <set>/.../*.jsonl.zst for the fineweb-legal documents, in order.
Prints one PASS/FAIL line per verdict with the agreement and disagreeing ids."""
import glob
import json
import subprocess
import sys


def zst_lines(path):
    out = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    return [json.loads(l) for l in out.decode("utf-8").splitlines() if l]


def attr(set_name, attr_dir):
    files = sorted(glob.glob(f"{attr_dir}/{set_name}/**/*.jsonl.zst", recursive=True))
    rows = []
    for f in files:
        rows += [r[set_name] for r in zst_lines(f)]
    ids = []
    for f in files:
        ids += [r["id"] for r in zst_lines(f)]
    return ids, rows


def main():
    ref_path, attr_dir, need = sys.argv[1], sys.argv[2], float(sys.argv[3])
    ref = zst_lines(ref_path)
    checks = [
        ("gopher_quality", "gopher_quality", "pass", "reason"),
        ("gopher_repetition", "gopher_repetition", "pass", "reason"),
        ("c4_quality", "c4", "pass", "reason"),
        ("c4_quality_fineweb", "c4", "pass_no_terminal_punct_rule", "reason_no_terminal_punct_rule"),
        ("fineweb_quality", "fineweb", "pass", "reason"),
    ]
    cache = {}
    for ref_key, set_name, pk, rk in checks:
        if set_name not in cache:
            cache[set_name] = attr(set_name, attr_dir)
        ids, rows = cache[set_name]
        name = f"tag_datatrove_{ref_key}"
        if len(rows) != len(ref):
            print(f"FAIL {name}: {len(rows)} attribute rows for {len(ref)} reference rows")
            continue
        agree, reason_agree, bad = 0, 0, []
        for r, a, i in zip(ref, rows, ids):
            if r["id"] != i:
                print(f"FAIL {name}: id mismatch {r['id']} != {i}")
                break
            want = r[ref_key]
            if want["keep"] == a[pk]:
                agree += 1
                if want["reason"] == a[rk]:
                    reason_agree += 1
            else:
                bad.append(f"{i}(ref {want['reason']}, ours {a[rk]})")
        else:
            rate = agree / len(ref)
            extra = ""
            if ref_key.startswith("c4_quality"):
                kept_key = "chars_kept" if pk == "pass" else "chars_kept_no_terminal_punct_rule"
                same = sum(1 for r, a in zip(ref, rows) if r[ref_key]["keep"] and a[pk]
                           and r[ref_key]["text_chars"] == a[kept_key])
                both = sum(1 for r, a in zip(ref, rows) if r[ref_key]["keep"] and a[pk])
                extra = f"; kept chars equal on {same}/{both} documents both keep"
            print(f"# {ref_key}: verdict agreement {rate:.4f} ({agree}/{len(ref)}), "
                  f"reason agreement {reason_agree / len(ref):.4f}{extra}")
            if bad:
                print(f"# {ref_key}: {len(bad)} disagreements: " + ", ".join(bad[:40]))
            if rate >= need:
                print(f"PASS {name}")
            else:
                print(f"FAIL {name}: agreement {rate:.4f} < {need}")


if __name__ == "__main__":
    main()
