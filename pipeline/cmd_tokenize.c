/* cmd_tokenize.c - `blalm tokenize`: token shards for a corpus (trainer/tokshard.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/cli.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/progress.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "lib/zio.h"
#include "trainer/tokenizer.h"
#include "trainer/tokshard.h"

BLALM_COMMAND(tokenize, "write token shards (.tok/.idx) of a corpus for the trainer")

static const char usage[] =
    "usage: blalm tokenize --corpus DIR --tokenizer FILE --out DIR [--threads N]\n"
    "\n"
    "Encodes every split file of a BabyLM-layout corpus (DIR/train/*.train,\n"
    "DIR/dev/*.dev) into a token shard OUT/<split>/<file>.tok with its index\n"
    "OUT/<split>/<file>.idx (format: trainer/tokshard.h): uint16 tokens when the\n"
    "vocabulary fits, else uint32; per document its token offset, token count and\n"
    "word count (Python str.split); the sha256 of the tokenizer.json. Every\n"
    "document ends with <|endoftext|>; text inside a document that spells a\n"
    "special token is encoded as ordinary text.\n"
    "\n"
    "Document boundaries come from DIR/documents.jsonl.zst (byte offset and length\n"
    "of each document in its file). Without it, documents are taken to be\n"
    "separated by blank lines, which splits documents that hold blank lines of\n"
    "their own; a warning says so. OUT/tokens.json summarises the shards. A rerun\n"
    "skips shards finished before (OUT/state/tokenize/: same source file, same\n"
    "tokenizer) unless --force.\n"
    "\n"
    "options:\n"
    "  --corpus DIR       the corpus (BabyLM layout)\n"
    "  --tokenizer FILE   tokenizer.json or tokenizer.bin (blalm tokenizer train)\n"
    "  --out DIR          where the shards go\n"
    "  --threads N        files encoded at once (default: the number of cores)\n"
    "  --force            redo shards that an earlier run finished\n"
    "  -q, --quiet        no progress or summary\n"
    "  -h, --help         this help\n";

typedef struct span {
    uint64_t offset, length, words;
    int has_words;
} span;

typedef struct split_file {
    char path[4096];   /* DIR/<rel> */
    char rel[1024];    /* train/x.train */
    char out[4096];    /* OUT/train/x.train (without .tok/.idx) */
    span *docs;
    size_t n_docs, cap_docs;
    /* results */
    uint64_t tokens, words, bytes, word_mismatch;
    size_t docs_written;
    int skipped;        /* finished by an earlier run (completion marker) */
    char err[BLALM_ERR_MAX];
} split_file;

static int add_span(split_file *f, span s)
{
    if (f->n_docs == f->cap_docs) {
        size_t cap = f->cap_docs ? 2 * f->cap_docs : 1024;
        span *d = realloc(f->docs, cap * sizeof *d);
        if (!d) return -1;
        f->docs = d;
        f->cap_docs = cap;
    }
    f->docs[f->n_docs++] = s;
    return 0;
}

static int num_u64(const cJSON *o, const char *k, uint64_t *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 9007199254740992.0 ||
        x->valuedouble != (double)(uint64_t)x->valuedouble)
        return -1;
    *v = (uint64_t)x->valuedouble;
    return 0;
}

/* Reads DIR/documents.jsonl.zst into the files' span lists. */
static int read_documents(const char *path, split_file *files, size_t nf, blalm_err *e)
{
    zreader *r = zr_open(path, e);
    if (!r) return -1;
    const char *line;
    size_t len;
    int lr, rc = 0;
    while ((lr = zr_line(r, &line, &len, e)) == 1) {
        unsigned long long ln = (unsigned long long)zr_lineno(r);
        cJSON *o = cJSON_ParseWithLength(line, len);
        const cJSON *file = o ? cJSON_GetObjectItemCaseSensitive(o, "file") : NULL;
        span s = {0};
        if (!cJSON_IsString(file) || num_u64(o, "offset", &s.offset) || num_u64(o, "length", &s.length)) {
            cJSON_Delete(o);
            rc = err_set(e, "%s:%llu: expected a JSON object with \"file\" (string), \"offset\" and "
                         "\"length\" (non-negative integers)", path, ln);
            break;
        }
        s.has_words = num_u64(o, "words", &s.words) == 0;
        size_t i = 0;
        while (i < nf && strcmp(files[i].rel, file->valuestring) != 0) i++;
        if (i == nf) {
            /* documents of other splits (e.g. a test split) are not ours to shard */
            size_t fl = strlen(file->valuestring);
            int ours = (fl > 6 && !strcmp(file->valuestring + fl - 6, ".train")) ||
                       (fl > 4 && !strcmp(file->valuestring + fl - 4, ".dev"));
            if (ours) {
                rc = err_set(e, "%s:%llu: file \"%.200s\" is not in the corpus", path, ln, file->valuestring);
                cJSON_Delete(o);
                break;
            }
        } else if (add_span(&files[i], s) != 0) {
            cJSON_Delete(o);
            rc = err_set(e, "%s: out of memory", path);
            break;
        }
        cJSON_Delete(o);
    }
    if (lr < 0) rc = -1;
    zr_close(r);
    return rc;
}

/* Blank-line fallback: documents are the text between runs of two or more
 * newlines. */
static int split_blank_lines(split_file *f, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && s[i] == '\n') i++;
        size_t start = i;
        while (i < n && !(s[i] == '\n' && i + 1 < n && s[i + 1] == '\n')) i++;
        size_t end = i;
        if (end > start && s[end - 1] == '\n') end--;
        if (end > start && add_span(f, (span){start, end - start, 0, 0}) != 0) return -1;
    }
    return 0;
}


/* Completion markers (OUT/state/tokenize/<split>/<file>.done) let a rerun skip
 * shards that are done: same source size and mtime, same tokenizer, and the
 * shard still opens with the recorded counts. */
static void marker_body(const split_file *f, const struct stat *st, const char *sha, sbuf *b)
{
    sb_printf(b, "{\"source_bytes\": %lld, \"source_mtime\": %lld, \"source_mtime_nsec\": %ld, \"tokenizer_sha256\": \"%s\", "
              "\"docs\": %zu, \"tokens\": %llu, \"words\": %llu, \"bytes\": %llu}",
              (long long)st->st_size, (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec, sha,
              f->docs_written, (unsigned long long)f->tokens, (unsigned long long)f->words,
              (unsigned long long)f->bytes);
}

static int already_done(const char *out, split_file *f, const char *sha, int blank_lines)
{
    char mp[8192];
    snprintf(mp, sizeof mp, "%s/state/tokenize/%s.done", out, f->rel);
    char *data;
    size_t n;
    blalm_err e;
    struct stat st;
    if (stat(f->path, &st) != 0 || read_file(mp, &data, &n, &e) != 0) return 0;
    cJSON *o = cJSON_ParseWithLength(data, n);
    free(data);
    const cJSON *ts = o ? cJSON_GetObjectItemCaseSensitive(o, "tokenizer_sha256") : NULL;
    uint64_t sb, sm, sn, docs, tokens, words, bytes;
    int ok = cJSON_IsString(ts) && !strcmp(ts->valuestring, sha) && !num_u64(o, "source_bytes", &sb) &&
             !num_u64(o, "source_mtime", &sm) && !num_u64(o, "source_mtime_nsec", &sn) && !num_u64(o, "docs", &docs) && !num_u64(o, "tokens", &tokens) &&
             !num_u64(o, "words", &words) && !num_u64(o, "bytes", &bytes) && sb == (uint64_t)st.st_size;
    ok = ok && sm == (uint64_t)st.st_mtim.tv_sec && sn == (uint64_t)st.st_mtim.tv_nsec;
    cJSON_Delete(o);
    tokshard sh;
    if (!ok || tokshard_open(&sh, f->out, &e) != 0) return 0;
    /* with documents.jsonl.zst the planned documents must match too */
    ok = sh.n_docs == docs && sh.n_tokens == tokens && (blank_lines || f->n_docs == docs);
    tokshard_close(&sh);
    if (!ok) return 0;
    f->docs_written = (size_t)docs;
    f->tokens = tokens;
    f->words = words;
    f->bytes = bytes;
    f->skipped = 1;
    return 1;
}

static int encode_file(const bpe_tokenizer *t, split_file *f, int blank_lines, progress *pg)
{
    blalm_err e;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_errno(&e, "%s", f->path);
        snprintf(f->err, sizeof f->err, "%s", e.msg);
        return -1;
    }
    struct stat st;
    fstat(fd, &st);
    size_t n = (size_t)st.st_size;
    const char *m = "";
    if (n > 0) {
        void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            err_errno(&e, "%s: mmap", f->path);
            snprintf(f->err, sizeof f->err, "%s", e.msg);
            close(fd);
            return -1;
        }
        m = p;
    }
    close(fd);
    int rc = -1;
    bpe_encoder *enc = NULL;
    tokshard_writer *w = NULL;
    if (blank_lines && split_blank_lines(f, m, n) != 0) {
        err_set(&e, "%s: out of memory", f->path);
        goto done;
    }
    for (size_t i = 0; i < f->n_docs; i++)
        if (f->docs[i].offset > n || f->docs[i].length > n - f->docs[i].offset) {
            err_set(&e, "%s: document %zu spans bytes [%llu, +%llu), past the end of the file (%zu bytes); "
                    "documents.jsonl.zst does not match the corpus", f->path, i,
                    (unsigned long long)f->docs[i].offset, (unsigned long long)f->docs[i].length, n);
            goto done;
        }
    if (mkdir_parent(f->out, &e) != 0) goto done;
    enc = bpe_encoder_new(t, &e);
    w = enc ? tokshard_create(f->out, bpe_vocab_size(t), bpe_eot_id(t), bpe_json_sha256(t), &e) : NULL;
    if (!w) goto done;
    for (size_t i = 0; i < f->n_docs; i++) {
        const char *text = m + f->docs[i].offset;
        size_t len = (size_t)f->docs[i].length, k;
        const uint32_t *ids = bpe_encode(enc, text, len, 0, &k, &e);
        if (!ids) {
            err_prefix(&e, "%s: document %zu (byte %llu)", f->path, i, (unsigned long long)f->docs[i].offset);
            goto done;
        }
        uint64_t words = words_in(text, len);
        if (f->docs[i].has_words && f->docs[i].words != words) f->word_mismatch++;
        if (tokshard_add_doc(w, ids, k, words, &e) != 0) goto done;
        f->words += words;
        f->bytes += len;
#pragma omp critical
        prog_add(pg, len);
    }
    f->tokens = tokshard_writer_tokens(w);
    f->docs_written = (size_t)tokshard_writer_docs(w);
    rc = tokshard_commit(w, &e);
    w = NULL;
done:
    if (rc != 0) snprintf(f->err, sizeof f->err, "%s", e.msg);
    tokshard_abort(w);
    bpe_encoder_free(enc);
    if (n > 0) munmap((void *)m, n);
    return rc;
}

static int list_split(const char *corpus, const char *out, const char *split, const char *ext,
                      split_file **files, size_t *nf)
{
    char pat[4200];
    snprintf(pat, sizeof pat, "%s/%s/*.%s", corpus, split, ext);
    glob_t g;
    if (glob(pat, 0, NULL, &g) != 0) return 0;
    split_file *fs = realloc(*files, (*nf + g.gl_pathc) * sizeof *fs);
    if (!fs) {
        globfree(&g);
        return -1;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        split_file *f = &fs[*nf + i];
        memset(f, 0, sizeof *f);
        const char *base = strrchr(g.gl_pathv[i], '/') + 1;
        snprintf(f->path, sizeof f->path, "%s", g.gl_pathv[i]);
        snprintf(f->rel, sizeof f->rel, "%s/%s", split, base);
        snprintf(f->out, sizeof f->out, "%s/%s/%s", out, split, base);
    }
    *nf += g.gl_pathc;
    *files = fs;
    globfree(&g);
    return 0;
}

static void hex32(const uint8_t *d, char out[65])
{
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int cmd_tokenize(int argc, char **argv)
{
    static const struct option opts[] = {
        {"corpus", required_argument, 0, 'c'},
        {"tokenizer", required_argument, 0, 't'},
        {"out", required_argument, 0, 'o'},
        {"threads", required_argument, 0, 'j'},
        {"force", no_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *corpus = NULL, *tokpath = NULL, *out = NULL;
    unsigned long long threads = 0;
    int quiet = 0, force = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': corpus = optarg; break;
        case 't': tokpath = optarg; break;
        case 'o': out = optarg; break;
        case 'j':
            if (cli_parse_count(optarg, &threads) != 0 || threads == 0 || threads > 1024)
                return cli_usage_error(usage, "tokenize: --threads: expected 1 to 1024, got '%s'", optarg);
            break;
        case 'f': force = 1; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "tokenize", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "tokenize: unexpected argument '%s'", argv[optind]);
    if (!corpus || !tokpath || !out)
        return cli_usage_error(usage, "tokenize: --corpus, --tokenizer and --out are required");
    double t0 = now_seconds();
    blalm_err e;
    bpe_tokenizer *t = bpe_load(tokpath, &e);
    if (!t) {
        fprintf(stderr, "blalm tokenize: %s\n", e.msg);
        return 1;
    }
    if (bpe_eot_id(t) == BPE_NO_ID) {
        fprintf(stderr, "blalm tokenize: %s: the tokenizer has no %s token to end documents with\n", tokpath, BPE_EOT);
        bpe_free(t);
        return 1;
    }
    split_file *files = NULL;
    size_t nf = 0;
    if (list_split(corpus, out, "train", "train", &files, &nf) != 0 ||
        list_split(corpus, out, "dev", "dev", &files, &nf) != 0) {
        fprintf(stderr, "blalm tokenize: out of memory\n");
        bpe_free(t);
        return 1;
    }
    int rc = 0;
    if (nf == 0) {
        fprintf(stderr, "blalm tokenize: %s: no split files (expected the BabyLM layout DIR/train/*.train, "
                "DIR/dev/*.dev)\n", corpus);
        rc = 1;
        goto end;
    }
    char docs_path[4200];
    snprintf(docs_path, sizeof docs_path, "%s/documents.jsonl.zst", corpus);
    int blank_lines = !file_exists(docs_path);
    if (blank_lines) {
        if (!quiet)
            fprintf(stderr, "blalm tokenize: warning: %s not found; taking blank lines as document "
                    "boundaries (documents that hold blank lines are split)\n", docs_path);
    } else if (read_documents(docs_path, files, nf, &e) != 0) {
        fprintf(stderr, "blalm tokenize: %s\n", e.msg);
        rc = 1;
        goto end;
    }
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < nf; i++) {
        struct stat st;
        if (stat(files[i].path, &st) == 0) total_bytes += (uint64_t)st.st_size;
        if (!blank_lines && files[i].n_docs == 0 && st.st_size > 0 && !quiet)
            fprintf(stderr, "blalm tokenize: warning: %s: no documents listed in %s; the shard is empty\n",
                    files[i].path, docs_path);
    }
    int nthreads = threads ? (int)threads : omp_get_num_procs();
    if ((size_t)nthreads > nf) nthreads = (int)nf;
    progress *pg = prog_start("tokenize", total_bytes, PROG_BYTES, quiet);
    char sha[65];
    hex32(bpe_json_sha256(t), sha);
    size_t skipped = 0;
    for (size_t i = 0; i < nf && !force; i++)
        if (already_done(out, &files[i], sha, blank_lines)) {
            skipped++;
            prog_add(pg, files[i].bytes);
        }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (size_t i = 0; i < nf; i++) {
        if (files[i].skipped) continue;
        struct stat st;
        if (stat(files[i].path, &st) != 0) st = (struct stat){0};
        if (encode_file(t, &files[i], blank_lines, pg) == 0) {
            blalm_err me;
            sbuf mb;
            sb_init(&mb);
            marker_body(&files[i], &st, sha, &mb);
            if (marker_write(out, "tokenize", files[i].rel, sb_cstr(&mb), &me) != 0)
                snprintf(files[i].err, sizeof files[i].err, "%s", me.msg);
            sb_free(&mb);
        }
    }
    prog_end(pg);
    uint64_t tokens = 0, words = 0, bytes = 0, docs = 0, mismatch = 0;
    for (size_t i = 0; i < nf; i++) {
        if (files[i].err[0]) {
            fprintf(stderr, "blalm tokenize: %s\n", files[i].err);
            rc = 1;
        }
        tokens += files[i].tokens;
        words += files[i].words;
        bytes += files[i].bytes;
        docs += files[i].docs_written;
        mismatch += files[i].word_mismatch;
    }
    if (rc) goto end;
    /* OUT/tokens.json: what was written, for people and for the trainer */
    sbuf m;
    sb_init(&m);
    sb_adds(&m, "{\n  \"tokenizer\": ");
    sb_json_str(&m, tokpath, strlen(tokpath));
    sb_printf(&m, ",\n  \"tokenizer_sha256\": \"%s\",\n  \"vocab_size\": %u,\n  \"eot_id\": %u,\n"
              "  \"boundaries\": \"%s\",\n  \"files\": [", sha, bpe_vocab_size(t), bpe_eot_id(t),
              blank_lines ? "blank lines" : "documents.jsonl.zst");
    for (size_t i = 0; i < nf; i++) {
        sb_adds(&m, i ? ",\n    {\"file\": " : "\n    {\"file\": ");
        sb_json_str(&m, files[i].rel, strlen(files[i].rel));
        sb_printf(&m, ", \"docs\": %zu, \"tokens\": %llu, \"words\": %llu, \"bytes\": %llu}", files[i].docs_written,
                  (unsigned long long)files[i].tokens, (unsigned long long)files[i].words,
                  (unsigned long long)files[i].bytes);
    }
    sb_printf(&m, "\n  ],\n  \"docs\": %llu,\n  \"tokens\": %llu,\n  \"words\": %llu\n}\n",
              (unsigned long long)docs, (unsigned long long)tokens, (unsigned long long)words);
    char mp[4200];
    snprintf(mp, sizeof mp, "%s/tokens.json", out);
    if (mkdir_p(out, &e) != 0 || write_file_atomic(mp, m.data, m.len, &e) != 0) {
        fprintf(stderr, "blalm tokenize: %s\n", e.msg);
        rc = 1;
    }
    sb_free(&m);
    if (!rc && mismatch && !quiet)
        fprintf(stderr, "blalm tokenize: warning: %llu documents' word counts differ from documents.jsonl.zst; "
                "the shards hold the recounted (str.split) values\n", (unsigned long long)mismatch);
    if (!rc && !quiet) {
        double dt = now_seconds() - t0;
        fprintf(stderr, "blalm tokenize: %zu file%s (%zu done before), %llu documents, %llu words, %.1f MB -> %llu tokens "
                "(%.2f tokens/word), %.1fs -> %s\n", nf, nf == 1 ? "" : "s", skipped, (unsigned long long)docs,
                (unsigned long long)words, bytes / 1e6, (unsigned long long)tokens,
                words ? (double)tokens / words : 0.0, dt, out);
    }
end:
    for (size_t i = 0; i < nf; i++) free(files[i].docs);
    free(files);
    bpe_free(t);
    return rc;
}
