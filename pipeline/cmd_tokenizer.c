/* cmd_tokenizer.c - `blalm tokenizer train|encode|decode`: byte-level BPE. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/cli.h"
#include "lib/corpus.h"
#include "lib/fmap.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/progress.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "lib/zio.h"
#include "trainer/tokenizer.h"

BLALM_COMMAND(tokenizer, "train a byte-level BPE tokenizer on a corpus; encode and decode with it")

static const char usage[] =
    "usage: blalm tokenizer train --corpus DIR --out DIR [--vocab N] [options]\n"
    "       blalm tokenizer encode --tokenizer FILE [--jsonl FILE] [--no-special]\n"
    "       blalm tokenizer decode --tokenizer FILE [--jsonl FILE] [--skip-special]\n"
    "\n"
    "Byte-level BPE, the GPT-2 / Hugging Face kind: text is cut into pre-tokens by\n"
    "the GPT-2 regular expression (Unicode-aware), then merges are applied by rank.\n"
    "\n"
    "train    learns merges from DIR/train/*.train only (BabyLM counts anything learned\n"
    "         from language against the budget, so never the dev split) and writes\n"
    "         OUT/tokenizer.json (Hugging Face format: the Rust library, transformers'\n"
    "         PreTrainedTokenizerFast and Tokenizers.js load it), OUT/tokenizer_config.json\n"
    "         and OUT/tokenizer.bin (compact binary form). The vocabulary is 256 byte\n"
    "         tokens, the learned merges, then <|endoftext|> and <|padding|>.\n"
    "  --vocab N            total vocabulary size (default 16384; 16k = 16000)\n"
    "  --min-frequency N    never merge a pair seen fewer times (default 2)\n"
    "  --allow-smaller      stop short of --vocab when the text runs out of pairs,\n"
    "                       instead of failing\n"
    "  --pattern REGEX      pre-tokenizer pattern (default GPT-2's); only what PCRE2,\n"
    "                       Oniguruma and JavaScript read alike (README), else an error\n"
    "  --threads N          count pre-tokens of N files at once (default 1)\n"
    "\n"
    "encode   reads JSON strings (or objects with a \"text\" member) one per line from\n"
    "         --jsonl FILE (plain, .gz or .zst), or, without --jsonl, all of stdin as\n"
    "         one text; prints each input's ids as a JSON array, one line each.\n"
    "         A special token's text anywhere in an input (<|endoftext|>) becomes\n"
    "         its id, as in the Hugging Face libraries, unless --no-special (as in\n"
    "         blalm tokenize's shards, where it stays text).\n"
    "         Invalid UTF-8 on stdin is encoded as bytes (the tokenizer decodes them\n"
    "         back; `decode` prints JSON text, where they show as U+FFFD).\n"
    "decode   reads JSON arrays of ids one per line (--jsonl FILE or stdin) and\n"
    "         prints each as a JSON string (invalid UTF-8 shown as U+FFFD, as the\n"
    "         Hugging Face libraries do); --skip-special leaves special tokens out.\n"
    "  --tokenizer FILE     tokenizer.json or tokenizer.bin\n"
    "  --jsonl FILE         input lines (\"-\" = stdin)\n"
    "\n"
    "  -q, --quiet          no progress or summary\n"
    "  -h, --help           this help\n";

enum { O_CORPUS = 1, O_OUT, O_VOCAB, O_MINF, O_SMALLER, O_PATTERN, O_THREADS, O_TOK, O_JSONL,
       O_NOSPECIAL, O_SKIPSPECIAL };

typedef struct args {
    const char *corpus, *out, *pattern, *tokenizer, *jsonl;
    unsigned long long vocab, min_freq, threads;
    int allow_smaller, no_special, skip_special, quiet;
} args;

static int fail(const char *what, const char *msg)
{
    fprintf(stderr, "blalm tokenizer %s: %s\n", what, msg);
    return 1;
}

/* stdout that cannot take the output (a full disk, /dev/full): README's
 * "write error on stdout", as every command says it (pipeline/main.c) */
static int stdout_fail(const char *what)
{
    int err = errno;
    fprintf(stderr, "blalm tokenizer %s: write error on stdout%s%s\n", what, err ? ": " : "", err ? strerror(err) : "");
    return 1;
}

/* ---- train ---- */

typedef struct train_progress {
    progress *pg;
} train_progress;

static void on_merge(void *arg, uint32_t done, uint32_t wanted)
{
    train_progress *tp = arg;
    prog_set_total(tp->pg, wanted);
    prog_update(tp->pg, done);
}

static int count_file(bpe_counter *c, const char *path, blalm_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_errno(e, "%s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return err_errno(e, "%s", path);
    }
    int rc = 0;
    if (st.st_size > 0) {
        void *m = fmap_map(fd, (size_t)st.st_size, MAP_PRIVATE, path);
        if (m == MAP_FAILED) {
            close(fd);
            return err_errno(e, "%s: mmap", path);
        }
        madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
        rc = bpe_counter_feed(c, m, (size_t)st.st_size, e);
        if (rc) err_prefix(e, "%s", path);
        fmap_unmap(m, (size_t)st.st_size);
    }
    close(fd);
    return rc;
}

static int do_train(const args *a)
{
    if (!a->corpus) return cli_usage_error(usage, "tokenizer train: --corpus DIR is required");
    if (!a->out) return cli_usage_error(usage, "tokenizer train: --out DIR is required");
    if (a->vocab > 16777216) return cli_usage_error(usage, "tokenizer train: --vocab at most 16777216");
    if (cli_check_out_dirs("tokenizer train", a->out, NULL)) return 1;
    double t0 = now_seconds();
    blalm_err err;
    /* DIR's own *, ?, [ and \ are escaped: glob read a corpus "g[1]" as the
     * pattern g[1] and trained on the train files of g1, silently */
    sbuf pat;
    sb_init(&pat);
    for (const char *p = a->corpus; *p; p++) {
        if (strchr("*?[\\", *p)) sb_addc(&pat, '\\');
        sb_addc(&pat, *p);
    }
    sb_adds(&pat, "/train/*.train");
    glob_t g;
    int grc = glob(sb_cstr(&pat), 0, NULL, &g);
    sb_free(&pat);
    /* regular files only, as the corpus reader (lib/corpus.c) lists them for
     * tokenize: a folder named x.train was an error, "mmap: No such device" */
    size_t nf = 0;
    char **files = grc == 0 ? calloc(g.gl_pathc, sizeof *files) : NULL;
    for (size_t i = 0; files && i < g.gl_pathc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode)) files[nf++] = g.gl_pathv[i];
    }
    if (grc != 0 || nf == 0) {
        /* train_10M/ beside dev/: the same refusal as tokenize's */
        if (corpus_refuse_download(a->corpus, "tokenizer train", &err) == 0)
            snprintf(err.msg, sizeof err.msg, "%s/train/*.train: no training files (expected the BabyLM layout "
                     "DIR/train/*.train)", a->corpus);
        if (grc != GLOB_NOMATCH) globfree(&g);
        free(files);
        return fail("train", err.msg);
    }
    bpe_counter **counters = calloc(nf, sizeof *counters);
    int threads = a->threads ? (int)a->threads : 1, bad = 0;
    char (*errs)[BLALM_ERR_MAX] = calloc(nf, BLALM_ERR_MAX);
    progress *pg = prog_start("tokenizer: counting", nf, PROG_COUNT, a->quiet);
    size_t done = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t i = 0; i < nf; i++) {
        blalm_err fe;
        counters[i] = bpe_counter_new(a->pattern, &fe);
        if (!counters[i] || count_file(counters[i], files[i], &fe) != 0) {
            snprintf(errs[i], BLALM_ERR_MAX, "%s", fe.msg);
#pragma omp atomic write
            bad = 1;
        }
#pragma omp critical
        prog_update(pg, ++done);
    }
    prog_end(pg);
    bpe_tokenizer *t = NULL;
    uint64_t bytes = 0, pretokens = 0, unique = 0;
    for (size_t i = 0; i < nf && bad; i++)
        if (errs[i][0]) {
            snprintf(err.msg, sizeof err.msg, "%s", errs[i]);
            break;
        }
    for (size_t i = 1; i < nf && !bad; i++)
        if (bpe_counter_merge(counters[0], counters[i], &err) != 0) bad = 1;
    double t1 = now_seconds();
    if (!bad) {
        bytes = bpe_counter_bytes(counters[0]);
        pretokens = bpe_counter_pretokens(counters[0]);
        unique = bpe_counter_unique(counters[0]);
        bpe_train_opts o;
        bpe_train_opts_default(&o);
        if (a->vocab) o.vocab_size = (uint32_t)a->vocab;
        if (a->min_freq) o.min_frequency = a->min_freq;
        o.allow_smaller = a->allow_smaller;
        train_progress tp = {prog_start("tokenizer: merging", 0, PROG_COUNT, a->quiet)};
        o.on_merge = on_merge;
        o.arg = &tp;
        t = bpe_train(counters[0], &o, &err);
        prog_end(tp.pg);
        if (!t) {
            err_prefix(&err, "%s/train", a->corpus);
            bad = 1;
        }
    }
    for (size_t i = 0; i < nf; i++) bpe_counter_free(counters[i]);
    free(counters);
    free(errs);
    free(files);
    globfree(&g);
    double t2 = now_seconds();
    /* The three files are one tokenizer: they are written under temporary
     * names and renamed in only when all three are complete, tokenizer.json
     * (the one run and train key on) last, so a failure (a full disk, a
     * folder at one of the names) leaves an older set in OUT whole rather
     * than a new tokenizer.json beside an old tokenizer.bin. A killed
     * train's temporaries go at the next one. tokenizer.json is made
     * first all the same: tokenizer.bin records its sha256. */
    static const char *const names[] = {"tokenizer_config.json", "tokenizer.bin", "tokenizer.json"};
    file_set fs;
    if (!bad && file_set_begin(&fs, a->out, names, 3, &err) < 0) bad = 1;
    if (!bad) {
        size_t jn, cn, bn;
        char *js = bpe_to_json(t, &jn), *cs = bpe_config_json(t, &cn), *bs = bpe_to_bin(t, &bn);
        int ok = file_set_write(&fs, 2, js, jn, &err) == 0 && file_set_write(&fs, 0, cs, cn, &err) == 0 &&
                 file_set_write(&fs, 1, bs, bn, &err) == 0;
        free(js);
        free(cs);
        free(bs);
        if (file_set_end(&fs, ok, &err) < 0) bad = 1;
    }
    if (bad) {
        bpe_free(t);
        return fail("train", err.msg);
    }
    if (!a->quiet)
        fprintf(stderr, "blalm tokenizer train: %zu file%s, %.1f MB, %llu pre-tokens (%llu distinct), "
                "vocabulary %u (%u merges), counting %.1fs, merging %.1fs -> %s\n",
                nf, nf == 1 ? "" : "s", bytes / 1e6, (unsigned long long)pretokens,
                (unsigned long long)unique, bpe_vocab_size(t), bpe_merges_count(t), t1 - t0, t2 - t1, fs.fin[2]);
    bpe_free(t);
    return 0;
}

/* ---- encode / decode ---- */

/* Lines from a file (plain, .gz, .zst: lib/zio.h) or, for "-" / no file,
 * from stdin read directly (zio sniffs by reading ahead, which a pipe does
 * not allow). */
typedef struct line_src {
    zreader *z;
    char *buf;
    size_t cap;
    unsigned long long lineno;
    const char *name;
} line_src;

static int src_open(line_src *s, const char *path, blalm_err *e)
{
    memset(s, 0, sizeof *s);
    if (!path || !strcmp(path, "-")) {
        s->name = "<stdin>";
        return 0;
    }
    s->name = path;
    s->z = zr_open(path, e);
    return s->z ? 0 : -1;
}

static int src_line(line_src *s, const char **line, size_t *len, blalm_err *e)
{
    if (s->z) {
        int rc = zr_line(s->z, line, len, e);
        s->lineno = zr_lineno(s->z);
        return rc;
    }
    ssize_t n = getline(&s->buf, &s->cap, stdin);
    if (n < 0) {
        if (ferror(stdin)) return err_set(e, "<stdin>: read error");
        return 0;
    }
    if (n > 0 && s->buf[n - 1] == '\n') n--;
    *line = s->buf;
    *len = (size_t)n;
    s->lineno++;
    return 1;
}

static void src_close(line_src *s)
{
    zr_close(s->z);
    free(s->buf);
}

static int read_all(FILE *f, sbuf *b)
{
    char buf[1 << 16];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sb_add(b, buf, k);
    return ferror(f) ? -1 : 0;
}

/* One input line: a JSON string, or an object with a string "text" (other
 * members are checked and skipped), and nothing after it. The text is
 * decoded by lib/json.h, which keeps its length (a \u0000 stays a byte of
 * the text, where a C string would end there) and says what is wrong where
 * (a lone surrogate, a bad escape). -1 with *what and *at, the byte offset
 * of the problem. */
static int line_text(const char *line, size_t len, sbuf *text, const char **what, size_t *at)
{
    size_t pos = json_ws(line, len, 0);
    int rc = 0;
    if (pos < len && line[pos] == '"') {
        rc = json_decode_string(line, len, &pos, text, what);
    } else if (pos < len && line[pos] == '{') {
        sbuf key;
        sb_init(&key);
        int first = 1, found = 0, r;
        size_t v0, v1;
        while ((r = json_object_next(line, len, &pos, &first, &key, &v0, &v1, what)) == 1) {
            if (key.len != 4 || memcmp(key.data, "text", 4) != 0) continue;
            size_t p = v0;
            if (found) {
                *what = "one \"text\" member, found a second";
            } else if (line[v0] != '"') {
                *what = "a string as \"text\"";
            } else if (json_decode_string(line, len, &p, text, what) == 0) {
                found = 1;
                continue;
            }
            pos = p;
            r = -1;
            break;
        }
        sb_free(&key);
        if (r < 0) {
            rc = -1;
        } else if (!found) {
            *what = "a \"text\" member in the object";
            pos = json_ws(line, len, 0);
            rc = -1;
        }
    } else {
        *what = "a JSON string or an object with a string \"text\"";
        rc = -1;
    }
    if (rc == 0) {
        pos = json_ws(line, len, pos);
        if (pos != len) {
            *what = "the line to end after the JSON value";
            rc = -1;
        }
    }
    *at = pos;
    return rc;
}

static void put_ids(sbuf *o, const uint32_t *ids, size_t n)
{
    sb_reserve(o, 11 * n + 3);  /* printf per id costs more than the encoding */
    char *p = o->data + o->len;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) *p++ = ',';
        char tmp[10];
        int k = 0;
        uint32_t v = ids[i];
        do tmp[k++] = (char)('0' + v % 10); while (v /= 10);
        while (k) *p++ = tmp[--k];
    }
    *p++ = ']';
    *p++ = '\n';
    o->len = (size_t)(p - o->data);
}

static int do_encode(const args *a)
{
    if (!a->tokenizer) return cli_usage_error(usage, "tokenizer encode: --tokenizer FILE is required");
    blalm_err err;
    double t0 = now_seconds();
    bpe_tokenizer *t = bpe_load(a->tokenizer, &err);
    if (!t) return fail("encode", err.msg);
    bpe_encoder *enc = bpe_encoder_new(t, &err);
    if (!enc) {
        bpe_free(t);
        return fail("encode", err.msg);
    }
    int flags = a->no_special ? 0 : BPE_ALLOW_SPECIAL, rc = 0;
    unsigned long long inputs = 0, tokens = 0, bytes = 0;
    sbuf text, out;
    sb_init(&text);
    sb_init(&out);
    if (!a->jsonl) {
        if (read_all(stdin, &text) != 0) {
            rc = fail("encode", "<stdin>: read error");
        } else {
            size_t n;
            const uint32_t *ids = bpe_encode(enc, text.data ? text.data : "", text.len, flags, &n, &err);
            if (!ids) {
                rc = fail("encode", err.msg);
            } else {
                put_ids(&out, ids, n);
                fwrite(out.data, 1, out.len, stdout);
                inputs = 1, tokens = n, bytes = text.len;
            }
        }
    } else {
        line_src src;
        int ok = src_open(&src, a->jsonl, &err) == 0;
        if (!ok) rc = fail("encode", err.msg);
        const char *line;
        size_t len;
        int lr = 0;
        progress *pg = prog_start("tokenizer encode", 0, PROG_COUNT, a->quiet);
        while (ok && (lr = src_line(&src, &line, &len, &err)) == 1) {
            const char *what = NULL;
            size_t at = 0;
            sb_reset(&text);
            if (len && line[len - 1] == '\r') len--;
            if (len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {   /* said, not "expected a JSON string" */
                snprintf(err.msg, sizeof err.msg, "%s:%llu:1: a UTF-8 byte order mark (EF BB BF) starts the line, "
                         "before the JSON value; save the file without it", src.name, src.lineno);
                rc = fail("encode", err.msg);
                break;
            }
            if (line_text(line, len, &text, &what, &at) != 0) {
                snprintf(err.msg, sizeof err.msg, "%s:%llu:%zu: %s%s", src.name, src.lineno, at + 1,
                         strncmp(what, "expected", 8) ? "expected " : "", what);
                rc = fail("encode", err.msg);
                break;
            }
            size_t n;
            const uint32_t *ids = bpe_encode(enc, text.data ? text.data : "", text.len, flags, &n, &err);
            if (!ids) {
                err_prefix(&err, "%s:%llu", src.name, src.lineno);
                rc = fail("encode", err.msg);
                break;
            }
            sb_reset(&out);
            put_ids(&out, ids, n);
            if (fwrite(out.data, 1, out.len, stdout) != out.len) {
                rc = stdout_fail("encode");
                break;
            }
            inputs++, tokens += n, bytes += text.len;
            prog_update(pg, inputs);
        }
        prog_end(pg);
        if (ok && lr < 0 && !rc) rc = fail("encode", err.msg);
        if (ok) src_close(&src);
    }
    if (fflush(stdout) != 0 && !rc) rc = stdout_fail("encode");
    double dt = now_seconds() - t0;
    if (!rc && !a->quiet)
        fprintf(stderr, "blalm tokenizer encode: %llu input%s, %llu bytes -> %llu tokens (%.2f bytes/token), "
                "%.1f MB/s\n", inputs, inputs == 1 ? "" : "s", bytes, tokens,
                tokens ? (double)bytes / tokens : 0.0, dt > 0 ? bytes / dt / 1e6 : 0.0);
    sb_free(&text);
    sb_free(&out);
    bpe_encoder_free(enc);
    bpe_free(t);
    return rc;
}

/* Parses "[1, 2, 3]" (JSON: no leading zeros, ids 0..4294967295); -1 with
 * *what (a whole phrase) and *at (its byte offset, 1-based) set otherwise. */
static int parse_ids(const char *s, size_t n, uint32_t **ids, size_t *cap, size_t *count, const char **what,
                     size_t *at)
{
    size_t pos = json_ws(s, n, 0), k = 0;
#define BAD(w) do { *what = (w); *at = pos + 1; return -1; } while (0)
    if (pos >= n || s[pos] != '[') BAD("expected a JSON array of token ids");
    pos = json_ws(s, n, pos + 1);
    if (pos < n && s[pos] == ']') {
        pos++;
    } else {
        for (;;) {
            if (pos >= n || s[pos] < '0' || s[pos] > '9') BAD("expected a token id (a non-negative integer)");
            if (s[pos] == '0' && pos + 1 < n && s[pos + 1] >= '0' && s[pos + 1] <= '9')
                BAD("a token id with a leading zero is not JSON: write 1, not 01");
            size_t start = pos;
            unsigned long long v = 0;
            while (pos < n && s[pos] >= '0' && s[pos] <= '9') {
                v = v * 10 + (unsigned)(s[pos++] - '0');
                if (v > UINT32_MAX) {
                    pos = start;
                    BAD("token id too large (ids are 0 to 4294967295)");
                }
            }
            if (k == *cap) {
                *cap = *cap ? 2 * *cap : 1024;
                *ids = realloc(*ids, *cap * sizeof **ids);
                if (!*ids) BAD("out of memory for the token ids");
            }
            (*ids)[k++] = (uint32_t)v;
            pos = json_ws(s, n, pos);
            if (pos < n && s[pos] == ',') {
                pos = json_ws(s, n, pos + 1);
                continue;
            }
            if (pos < n && s[pos] == ']') {
                pos++;
                break;
            }
            BAD("expected ',' or ']'");
        }
    }
    pos = json_ws(s, n, pos);
    if (pos != n) BAD("expected the line to end after the array");
#undef BAD
    *count = k;
    return 0;
}

static int do_decode(const args *a)
{
    if (!a->tokenizer) return cli_usage_error(usage, "tokenizer decode: --tokenizer FILE is required");
    blalm_err err;
    bpe_tokenizer *t = bpe_load(a->tokenizer, &err);
    if (!t) return fail("decode", err.msg);
    line_src src;
    if (src_open(&src, a->jsonl, &err) != 0) {
        bpe_free(t);
        return fail("decode", err.msg);
    }
    uint32_t *ids = NULL;
    size_t cap = 0, n, len;
    const char *line;
    int lr, rc = 0;
    unsigned long long lines = 0, tokens = 0;
    sbuf bytes, clean, out;
    sb_init(&bytes);
    sb_init(&clean);
    sb_init(&out);
    while ((lr = src_line(&src, &line, &len, &err)) == 1) {
        const char *what;
        size_t at;
        if (parse_ids(line, len, &ids, &cap, &n, &what, &at) != 0) {
            snprintf(err.msg, sizeof err.msg, "%s:%llu:%zu: %s", src.name, src.lineno, at, what);
            rc = fail("decode", err.msg);
            break;
        }
        sb_reset(&bytes);
        if (bpe_decode(t, ids, n, a->skip_special, &bytes, &err) != 0) {
            err_prefix(&err, "%s:%llu", src.name, src.lineno);
            rc = fail("decode", err.msg);
            break;
        }
        sb_reset(&clean);
        sb_reserve(&clean, 3 * bytes.len + 1);
        size_t cl = 0;
        utf8_sanitize(bytes.data ? bytes.data : "", bytes.len, clean.data, &cl);
        sb_reset(&out);
        sb_json_str(&out, clean.data, cl);
        sb_addc(&out, '\n');
        if (fwrite(out.data, 1, out.len, stdout) != out.len) {
            rc = stdout_fail("decode");
            break;
        }
        lines++, tokens += n;
    }
    if (lr < 0 && !rc) rc = fail("decode", err.msg);
    if (fflush(stdout) != 0 && !rc) rc = stdout_fail("decode");
    if (!rc && !a->quiet)
        fprintf(stderr, "blalm tokenizer decode: %llu line%s, %llu token%s\n", lines, lines == 1 ? "" : "s", tokens,
                tokens == 1 ? "" : "s");
    src_close(&src);
    free(ids);
    sb_free(&bytes);
    sb_free(&clean);
    sb_free(&out);
    bpe_free(t);
    return rc;
}

int cmd_tokenizer(int argc, char **argv)
{
    static const struct option opts[] = {
        {"corpus", required_argument, 0, O_CORPUS},
        {"out", required_argument, 0, O_OUT},
        {"vocab", required_argument, 0, O_VOCAB},
        {"min-frequency", required_argument, 0, O_MINF},
        {"allow-smaller", no_argument, 0, O_SMALLER},
        {"pattern", required_argument, 0, O_PATTERN},
        {"threads", required_argument, 0, O_THREADS},
        {"tokenizer", required_argument, 0, O_TOK},
        {"jsonl", required_argument, 0, O_JSONL},
        {"no-special", no_argument, 0, O_NOSPECIAL},
        {"skip-special", no_argument, 0, O_SKIPSPECIAL},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")))
        return cli_help(usage);
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage_error(usage, "tokenizer: expected a subcommand: train, encode or decode");
    const char *sub = argv[1];
    if (strcmp(sub, "train") && strcmp(sub, "encode") && strcmp(sub, "decode"))
        return cli_usage_error(usage, "tokenizer: unknown subcommand '%s'", sub);
    args a = {0};
    int c;
    unsigned given = 0;   /* bit O_x: option x was given */
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc - 1, argv + 1, "qh", opts)) != -1) {
        if (c > 0 && c <= O_SKIPSPECIAL) given |= 1u << c;
        switch (c) {
        case O_CORPUS: a.corpus = optarg; break;
        case O_OUT: a.out = optarg; break;
        case O_PATTERN:
            if (!*optarg) return cli_usage_error(usage, "tokenizer: --pattern: expected a regular expression, got ''");
            a.pattern = optarg;
            break;
        case O_TOK: a.tokenizer = optarg; break;
        case O_JSONL: a.jsonl = optarg; break;
        case O_SMALLER: a.allow_smaller = 1; break;
        case O_NOSPECIAL: a.no_special = 1; break;
        case O_SKIPSPECIAL: a.skip_special = 1; break;
        case O_VOCAB:
            if (cli_parse_count(optarg, &a.vocab) != 0 || a.vocab == 0)
                return cli_usage_error(usage, "tokenizer: --vocab: expected a positive count, got '%s'", optarg);
            break;
        case O_MINF:
            if (cli_parse_count(optarg, &a.min_freq) != 0 || a.min_freq == 0)
                return cli_usage_error(usage, "tokenizer: --min-frequency: expected a positive count, got '%s'", optarg);
            break;
        case O_THREADS:
            if (cli_parse_count(optarg, &a.threads) != 0 || a.threads == 0 || a.threads > 1024)
                return cli_usage_error(usage, "tokenizer: --threads: expected 1 to 1024, got '%s'", optarg);
            break;
        case 'q': a.quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "tokenizer", opts, argv + 1, optind); /* getopt ran on argv + 1 */
        }
    }
    if (optind < argc - 1) return cli_usage_error(usage, "tokenizer %s: unexpected argument '%s'", sub, argv[optind + 1]);
    /* each subcommand's own options: one meant for another is a mistake, not a no-op */
    unsigned mine = !strcmp(sub, "train")
                        ? 1u << O_CORPUS | 1u << O_OUT | 1u << O_VOCAB | 1u << O_MINF | 1u << O_SMALLER |
                              1u << O_PATTERN | 1u << O_THREADS
                        : 1u << O_TOK | 1u << O_JSONL | 1u << (!strcmp(sub, "encode") ? O_NOSPECIAL : O_SKIPSPECIAL);
    for (const struct option *op = opts; op->name; op++)
        if (op->val > 0 && op->val <= O_SKIPSPECIAL && (given & ~mine & 1u << op->val))
            return cli_usage_error(usage, "tokenizer %s: --%s is not an option of tokenizer %s", sub, op->name, sub);
    if (!strcmp(sub, "train")) return do_train(&a);
    if (!strcmp(sub, "encode")) return do_encode(&a);
    return do_decode(&a);
}
