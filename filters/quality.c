/* quality.c - Gopher, C4 and FineWeb statistics as datatrove computes them;
 * definitions in quality.h. The spaCy tokenizer rules are approximated from
 * spaCy 3's English punctuation rules and tokenizer exceptions (read, not
 * copied); the tests measure the agreement with datatrove's verdicts. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filters/quality.h"

#include "lib/hash.h"
#include "lib/mem.h"
#include "lib/utf8.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Chunks (whitespace-separated runs) longer than this many code points are
 * one token: affix rules on megabytes of non-space text are meaningless and
 * would cost quadratic time. */
#define MAX_CHUNK 65536

/* ---------- characters ---------- */


/* Python str.isspace() */
static int is_space(int32_t c) { return c >= 0 && py_isspace((uint32_t)c); }

static int cat(int32_t c) { return (int)utf8proc_category(c); }
static int is_alpha(int32_t c)   /* Python isalpha: L* */
{
    if (c < 0x80) return (c | 32) >= 'a' && (c | 32) <= 'z';
    int k = cat(c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}
static int is_lower(int32_t c)
{
    if (c < 0x80) return c >= 'a' && c <= 'z';
    return cat(c) == UTF8PROC_CATEGORY_LL;
}
static int is_upper(int32_t c)
{
    if (c < 0x80) return c >= 'A' && c <= 'Z';
    int k = cat(c);
    return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LT;
}
static int is_digit(int32_t c) { return c >= '0' && c <= '9'; }
static int is_punct_cat(int32_t c)
{
    int k = cat(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}
static int is_icon(int32_t c)  /* spaCy LIST_ICONS: So except the degree sign */
{
    return c >= 0x80 && c != 0xB0 && cat(c) == UTF8PROC_CATEGORY_SO;
}

/* datatrove's PUNCTUATION_SET: all ASCII punctuation, these, and C0/C1
 * controls other than \t and \n. */
static int in_datatrove_punct(int32_t c)
{
    if (c < 0x80) {
        if (c < 32) return c != 9 && c != 10;
        if (c == 127) return 1;
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
               (c >= 123 && c <= 126);
    }
    if (c <= 159) return 1;
    static const int32_t extra[] = {171, 180, 187, 8211, 8212, 8217, 8220, 8221, 8222, 8230,
                                    8758, 9473, 9658, 12289, 12290, 12296, 12297, 12298,
                                    12299, 12300, 12301, 12304, 12305, 65281, 65285, 65288,
                                    65289, 65292, 65294, 65297, 65306, 65307, 65311, 65374};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        if (extra[i] == c) return 1;
    return 0;
}

/* spaCy's PUNCT list (prefixes and suffixes) */
static int is_spacy_punct(int32_t c)
{
    switch (c) {
    case 0x2026: case ',': case ':': case ';': case '!': case '?': case 0xBF: case 0x61F:
    case 0xA1: case '(': case ')': case '[': case ']': case '{': case '}': case '<':
    case '>': case '_': case '#': case '*': case '&': case 0x3002: case 0xFF1F:
    case 0xFF01: case 0xFF0C: case 0x3001: case 0xFF1B: case 0xFF1A: case 0xFF5E:
    case 0xB7: case 0x964: case 0x60C: case 0x6D4: case 0x61B: case 0x66A:
        return 1;
    }
    return 0;
}
/* spaCy's LIST_QUOTES */
static int is_spacy_quote(int32_t c)
{
    switch (c) {
    case '\'': case '"': case 0x201D: case 0x201C: case '`': case 0x2018: case 0xB4:
    case 0x2019: case 0x201A: case ',': case 0x201E: case 0xBB: case 0xAB: case 0x300C:
    case 0x300D: case 0x300E: case 0x300F: case 0xFF08: case 0xFF09: case 0x3014:
    case 0x3015: case 0x3010: case 0x3011: case 0x300A: case 0x300B: case 0x3008:
    case 0x3009: case 0x27E6: case 0x27E7:
        return 1;
    }
    return 0;
}
static int is_currency(int32_t c)
{
    return c == '$' || c == 0xA3 || c == 0x20AC || c == 0xA5 || c == 0xE3F || c == 0xFDFC ||
           (c >= 0x20A0 && c <= 0x20BF);
}
/* spaCy sentencizer's punct_chars (the common ones) */
static int is_sent_punct(int32_t c)
{
    switch (c) {
    case '!': case '.': case '?': case 0x589: case 0x61F: case 0x6D4: case 0x700:
    case 0x701: case 0x702: case 0x964: case 0x965: case 0x104A: case 0x104B:
    case 0x1362: case 0x1367: case 0x1368: case 0x166E: case 0x203C: case 0x203D:
    case 0x2047: case 0x2048: case 0x2049: case 0x2E2E: case 0x2E3C: case 0xFE52:
    case 0xFE56: case 0xFE57: case 0xFF01: case 0xFF0E: case 0xFF1F: case 0xFF61:
    case 0x3002:
        return 1;
    }
    return 0;
}

/* ---------- tokens ---------- */

enum {
    TF_ALPHA = 1,       /* some code point isalpha() */
    TF_NONSYM = 2,      /* some code point not in datatrove's PUNCTUATION_SET */
    TF_PUNCT = 4,       /* every code point is Unicode punctuation (spaCy is_punct) */
    TF_SENT = 8,        /* exactly one sentencizer punct char */
    TF_STOP = 16,       /* one of Gopher's stop words (case-sensitive) */
};

typedef struct token {
    size_t off;
    uint32_t len, ncp, id;
    uint32_t flags;
    uint64_t hash;   /* utf8_piece_hash of the token when known (a whole chunk), else 0 */
} token;

typedef struct id_slot {
    uint64_t hash;   /* 0 = empty */
    uint32_t id, tok;
} id_slot;

typedef struct ngram_slot {
    uint64_t hash;   /* 0 = empty */
    uint32_t start, count;
} ngram_slot;

struct quality_ctx {
    quality_config cfg;
    token *toks;
    size_t ntoks, tok_cap;
    int32_t *cps;    /* one chunk's code points and byte offsets */
    size_t *offs;
    size_t cp_cap;
    id_slot *ids;
    size_t ids_cap;
    uint32_t *idc;              /* occurrences of each token id */
    size_t idc_cap;
    uint64_t *cand;             /* n-gram positions that may repeat, with their slots */
    size_t cand_cap;
    uint32_t *cls;              /* per position: the class of its repeated n-gram */
    ngram_slot *grams;
    size_t grams_cap, grams_used;   /* allocated; in use for this n */
    uint32_t *line_hash_idx;   /* scratch for line duplicates */
    char *buf;                  /* scratch for one C4 line */
    size_t buf_cap;
    /* scratch reused across documents (no allocation per document) */
    struct span *spv;           /* line/paragraph spans */
    size_t spv_cap;
    uint64_t *dup_h;            /* find_duplicates' table */
    size_t *dup_idx;
    size_t dup_cap;
    uint64_t *hs;               /* n-gram hashes */
    size_t hs_cap;
    ws_spans own;               /* a text's split, when the caller gave none */
    const ws_spans *ext;        /* the caller's split (quality_use_split) */
    uint8_t *uniq;              /* positions whose 5-gram occurs once */
    size_t uniq_cap;
    int reference;              /* fast paths off (tests) */
    struct c4_line *c4l;        /* C4 per-line facts */
    size_t c4l_cap;
    struct chunk_entry *chunks;     /* CC_SLOTS entries, allocated on first use */
    uint64_t abbrev_hash[512];      /* spaCy special cases, by code point hash */
    uint8_t abbrev_len[512];
    uint64_t tok_hash;              /* the text q->toks was made from */
    size_t tok_len;
    int tok_valid;
    uint8_t ph_pairs[8192];         /* C4 phrases: bit set = some phrase starts with the byte pair */
    uint32_t ph_head[8];            /* ... and each one's first four bytes */
    pcre2_code *citation;
    pcre2_match_data *md;
    int jit;
};

void quality_defaults(quality_config *c)
{
    memset(c, 0, sizeof *c);
    c->min_doc_words = 50;
    c->max_doc_words = 100000;
    c->min_avg_word_length = 3;
    c->max_avg_word_length = 10;
    c->max_symbol_word_ratio = 0.1;
    c->max_bullet_lines_ratio = 0.9;
    c->max_ellipsis_lines_ratio = 0.3;
    c->max_non_alpha_words_ratio = 0.8;
    c->min_stop_words = 2;
    c->dup_line_frac = 0.3;
    c->dup_para_frac = 0.3;
    c->dup_line_char_frac = 0.2;
    c->dup_para_char_frac = 0.2;
    c->top_n_gram_frac[0] = 0.20;
    c->top_n_gram_frac[1] = 0.18;
    c->top_n_gram_frac[2] = 0.16;
    for (int i = 0; i < 6; i++) c->dup_n_gram_frac[i] = 0.15 - 0.01 * i;
    c->c4_remove_citations = 1;
    c->c4_filter_no_terminal_punct = 1;
    c->c4_filter_lorem_ipsum = 1;
    c->c4_filter_javascript = 1;
    c->c4_filter_curly_bracket = 1;
    c->c4_filter_policy = 1;
    c->c4_min_num_sentences = 5;
    c->c4_min_words_per_line = 3;
    c->c4_max_word_length = 1000;
    c->line_punct_thr = 0.12;
    c->line_punct_exclude_zero = 0;
    c->short_line_thr = 0.67;
    c->short_line_length = 30;
    c->char_duplicates_ratio = 0.01;
    c->new_line_ratio = 0.3;
}

static void abbrev_init(quality_ctx *q);
static void c4_phrases_init(quality_ctx *q);

quality_ctx *quality_new(const quality_config *cfg, blalm_err *e)
{
    quality_ctx *q = calloc(1, sizeof *q);
    if (!q) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (cfg) q->cfg = *cfg;
    else quality_defaults(&q->cfg);
    int ec;
    PCRE2_SIZE eo;
    /* C4's CITATION_REGEX; \d is Unicode Nd as in Python 3 */
    q->citation = pcre2_compile((PCRE2_SPTR) "\\[\\d*]|\\[edit]|\\[citation needed]",
                                PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
    if (!q->citation) {
        free(q);
        err_set(e, "citation regex: PCRE2 error %d", ec);
        return NULL;
    }
    abbrev_init(q);
    c4_phrases_init(q);
    q->jit = pcre2_jit_compile(q->citation, PCRE2_JIT_COMPLETE) == 0;
    q->md = pcre2_match_data_create_from_pattern(q->citation, NULL);
    if (!q->md) {
        quality_free(q);
        err_set(e, "out of memory");
        return NULL;
    }
    return q;
}

void quality_set_fast_paths(quality_ctx *q, int on)
{
    q->reference = !on;
    q->tok_valid = 0;
}

void quality_free(quality_ctx *q)
{
    if (!q) return;
    free(q->toks);
    free(q->cps);
    free(q->offs);
    free(q->ids);
    free(q->idc);
    free(q->cand);
    free(q->cls);
    free(q->grams);
    free(q->line_hash_idx);
    free(q->buf);
    free(q->chunks);
    free(q->spv);
    free(q->dup_h);
    free(q->dup_idx);
    free(q->hs);
    free(q->uniq);
    ws_free(&q->own);
    free(q->c4l);
    if (q->md) pcre2_match_data_free(q->md);
    if (q->citation) pcre2_code_free(q->citation);
    free(q);
}


/* Scratch tables grow with the longest document so far, on huge pages
 * once they reach MEM_BIG. */
static void *xrealloc(void *p, size_t n)
{
    void *r = mem_big_realloc(p, n ? n : 1);
    if (!r) abort();  /* out of memory: nothing sensible to continue with */
    return r;
}

/* The ASCII code points of Unicode category P* ("!\"#%&'()*,-./:;?@[\\]_{}"),
 * as a bit set. */
static const uint64_t ascii_punct_mask[2] = {0x8C00F7EE00000000ULL, 0x28000000B8000001ULL};

/* Gopher's stop words (case-sensitive): the be to of and that have with */
static int is_stop_word(const unsigned char *s, size_t len)
{
    switch (len) {
    case 2: return !memcmp(s, "be", 2) || !memcmp(s, "to", 2) || !memcmp(s, "of", 2);
    case 3: return !memcmp(s, "the", 3) || !memcmp(s, "and", 3);
    case 4: return !memcmp(s, "that", 4) || !memcmp(s, "have", 4) || !memcmp(s, "with", 4);
    }
    return 0;
}

static void push_token(quality_ctx *q, const char *text, size_t off, size_t len, size_t ncp)
{
    if (q->ntoks == q->tok_cap) {
        q->tok_cap = q->tok_cap ? q->tok_cap * 2 : 4096;
        q->toks = xrealloc(q->toks, q->tok_cap * sizeof *q->toks);
    }
    token *t = &q->toks[q->ntoks++];
    t->off = off;
    t->len = (uint32_t)len;
    t->ncp = (uint32_t)ncp;
    t->id = 0;
    t->hash = 0;
    /* flags */
    const unsigned char *s = (const unsigned char *)text + off;
    uint32_t f = TF_PUNCT;
    int32_t first = 0;
    for (size_t i = 0; i < len;) {
        int32_t c;
        i += utf8_decode_at(s, len, i, &c);
        if (i == len || first == 0) first = first ? first : c;
        if (is_alpha(c)) f |= TF_ALPHA;
        if (!in_datatrove_punct(c)) f |= TF_NONSYM;
        if (c < 0x80 ? !((ascii_punct_mask[c >> 6] >> (c & 63)) & 1) : !is_punct_cat(c))
            f &= ~(uint32_t)TF_PUNCT;
    }
    if (ncp == 1 && is_sent_punct(first)) f |= TF_SENT;
    if (len >= 2 && len <= 4 && is_stop_word(s, len)) f |= TF_STOP;
    t->flags = f;
}

/* ----- spaCy special cases (tokenizer exceptions) ----- */

static int is_apos(int32_t c) { return c == '\'' || c == 0x2019; }

static const char *const abbreviations[] = {
    "a.m.", "p.m.", "Adm.", "Bros.", "co.", "Co.", "Corp.", "D.C.", "Dr.", "e.g.", "E.g.",
    "E.G.", "Gen.", "Gov.", "i.e.", "I.e.", "I.E.", "Inc.", "Jr.", "Ltd.", "Md.", "Messrs.",
    "Mo.", "Mont.", "Mr.", "Mrs.", "Ms.", "Ph.D.", "Prof.", "Rep.", "Rev.", "Sen.", "St.",
    "vs.", "v.s.", "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.",
    "Oct.", "Nov.", "Dec.", "Ala.", "Ariz.", "Ark.", "Calif.", "Colo.", "Conn.", "Del.",
    "Fla.", "Ga.", "Ill.", "Ind.", "Kan.", "Kans.", "Ky.", "La.", "Mass.", "Mich.", "Minn.",
    "Miss.", "N.C.", "N.D.", "N.H.", "N.J.", "N.M.", "N.Y.", "Neb.", "Nebr.", "Nev.",
    "Okla.", "Ore.", "Pa.", "S.C.", "Tenn.", "Va.", "Wash.", "Wis.", "A.M.", "P.M.",
    "'s", "'S", "\xe2\x80\x99s", "''", ":)", ":-)", ":(", ":-(", ":P", ":p", ":D", ":-D",
    ";)", ";-)", "<3", ":/", ":'(", "=)", "(:", "):", ":o", ":O", "xD", "XD", "^_^", "-_-",
    "o.O", "O.o", ":-P", ":-p", "C++", "a.", "b.", "c.", "d.", "e.", "f.", "g.", "h.", "i.",
    "j.", "k.", "l.", "m.", "n.", "o.", "p.", "q.", "r.", "s.", "t.", "u.", "v.", "w.", "x.",
    "y.", "z.", NULL};


/* Lowercase or Title-case match (spaCy lists both forms, not UPPER). */
static int word_eq(const int32_t *c, size_t n, const char *w)
{
    if (n == 0) return 0;
    int32_t f = c[0];
    if (f >= 'A' && f <= 'Z') f += 32;
    if (f != (unsigned char)w[0]) return 0;
    for (size_t i = 1; i < n; i++)
        if (!w[i] || c[i] != (unsigned char)w[i]) return 0;
    return w[n] == 0;
}
static int in_word_list(const int32_t *c, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (word_eq(c, n, *list)) return 1;
    return 0;
}

/* spaCy's English contraction exceptions: a base word from a closed list
 * followed by n't / 've / 're / 'll / 'd / 'm / 's, with ', U+2019 or no
 * apostrophe. Splits into [base, rest]. */
static int contraction(const int32_t *c, size_t n, size_t parts[3])
{
    static const char *const nt[] = {"ca", "could", "do", "does", "did", "had", "may", "might",
                                     "must", "need", "ought", "sha", "should", "wo", "would",
                                     "ai", "are", "is", "was", "were", "have", "has", "dare",
                                     NULL};
    static const char *const ve_modal[] = {"could", "might", "must", "should", "would", NULL};
    static const char *const wh[] = {"who", "what", "when", "where", "why", "how", "there",
                                     "that", NULL};
    static const char *const pron_all[] = {"i", "you", "he", "she", "it", "we", "they", NULL};
    static const char *const pron_ve[] = {"i", "we", "you", "they", NULL};
    static const char *const pron_re[] = {"you", "we", "they", NULL};
    static const char *const pron_s[] = {"he", "she", "it", NULL};
    static const char *const excluded[] = {"ill", "its", "hell", "shell", "shed", "were",
                                           "well", "whore", NULL};
    /* every base word is at most 6 letters and every suffix at most 3 + an
     * apostrophe; bases start with one of these letters */
    if (n < 2 || n > 10 || c[0] >= 0x80 || !strchr("acdghimnostwyACDGHIMNOSTWY", (int)c[0]))
        return 0;
    /* every form ends in t (n't, cannot, gotta), e, l, d, m, s or a (gonna) */
    switch (c[n - 1]) {
    case 't': case 'e': case 'l': case 'd': case 'm': case 's': case 'a': break;
    default: return 0;
    }
    if (in_word_list(c, n, excluded)) return 0;
    static const struct { const char *suf; size_t len; int kind; } sufs[] = {
        {"nt", 2, 0}, {"ve", 2, 1}, {"re", 2, 2}, {"ll", 2, 3}, {"d", 1, 4}, {"m", 1, 5},
        {"s", 1, 6}};
    for (size_t k = 0; k < sizeof sufs / sizeof sufs[0]; k++) {
        size_t sl = sufs[k].len;
        for (int apos = 0; apos < 2; apos++) {
            size_t tail = sl + (size_t)apos;
            if (n <= tail) continue;
            size_t b = n - tail;
            if (apos && !is_apos(c[b])) continue;
            const int32_t *sc = c + b + (size_t)apos;
            int ok = 1;
            for (size_t j = 0; j < sl; j++)
                if (sc[j] != (unsigned char)sufs[k].suf[j]) ok = 0;
            if (!ok) continue;
            if (sufs[k].kind == 0 && apos) {  /* n't: the apostrophe sits inside */
                continue;
            }
            int base_ok = 0;
            switch (sufs[k].kind) {
            case 0: base_ok = in_word_list(c, b, nt); break;
            case 1: base_ok = in_word_list(c, b, ve_modal) || in_word_list(c, b, wh) ||
                              in_word_list(c, b, pron_ve); break;
            case 2: base_ok = in_word_list(c, b, wh) || in_word_list(c, b, pron_re); break;
            case 3: case 4: base_ok = in_word_list(c, b, wh) || in_word_list(c, b, pron_all); break;
            case 5: base_ok = word_eq(c, b, "i"); break;
            case 6: base_ok = !apos && (in_word_list(c, b, wh) || in_word_list(c, b, pron_s)); break;
            }
            if (base_ok) {
                parts[0] = b;
                parts[1] = tail;
                return 2;
            }
        }
    }
    /* verb + n't with an apostrophe inside the suffix */
    if (n >= 4 && c[n - 1] == 't' && is_apos(c[n - 2]) && c[n - 3] == 'n' &&
        in_word_list(c, n - 3, nt)) {
        parts[0] = n - 3;
        parts[1] = 3;
        return 2;
    }
    if (word_eq(c, n, "cannot")) {
        parts[0] = 3;
        parts[1] = 3;
        return 2;
    }
    if (word_eq(c, n, "gonna") || word_eq(c, n, "gotta")) {
        parts[0] = 3;
        parts[1] = 2;
        return 2;
    }
    return 0;
}

static uint64_t cps_hash(const int32_t *c, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint64_t)c[i]) * 0x100000001b3ULL;
    return h ? h : 1;
}

/* Fills the special-case table (open addressing on 512 slots; the list has
 * about 170 entries, all different hashes in practice, and a false hit would
 * only keep a token whole). */
static void abbrev_init(quality_ctx *q)
{
    for (const char *const *a = abbreviations; *a; a++) {
        int32_t c[16];
        size_t n = 0, len = strlen(*a);
        for (size_t k = 0; k < len && n < 16;) k += utf8_decode_at((const unsigned char *)*a, len, k, &c[n++]);
        uint64_t h = cps_hash(c, n);
        size_t j = h & 511;
        while (q->abbrev_hash[j]) j = (j + 1) & 511;
        q->abbrev_hash[j] = h;
        q->abbrev_len[j] = (uint8_t)n;
    }
}

static int is_abbrev(const quality_ctx *q, const int32_t *c, size_t n)
{
    if (n > 8) return 0;
    uint64_t h = cps_hash(c, n);
    for (size_t j = h & 511; q->abbrev_hash[j]; j = (j + 1) & 511)
        if (q->abbrev_hash[j] == h && q->abbrev_len[j] == n) return 1;
    return 0;
}

/* If cps[0..n) is a spaCy special case, writes its parts' lengths and returns
 * how many (>= 1); otherwise 0. */
static int special_case(const quality_ctx *q, const int32_t *c, size_t n, size_t parts[3])
{
    if (n == 0 || n > 12) return 0;
    if (is_abbrev(q, c, n)) {
        parts[0] = n;
        return 1;
    }
    return contraction(c, n, parts);
}

/* ----- affixes ----- */

static size_t find_prefix(const int32_t *c, size_t n)
{
    if (!n) return 0;
    int32_t x = c[0];
    if (x == '.') {
        size_t k = 1;
        while (k < n && c[k] == '.') k++;
        return k >= 2 ? k : 0;
    }
    if (x == '+') return n > 1 && is_digit(c[1]) ? 0 : 1;
    if (x == 0xA7 || x == '%' || x == '=' || x == 0x2014 || x == 0x2013) return 1;
    if (is_spacy_punct(x) || is_spacy_quote(x) || is_icon(x)) return 1;
    if (n >= 3 && x == 'U' && c[1] == 'S' && c[2] == '$') return 3;
    if (n >= 2 && (x == 'C' || x == 'A') && c[1] == '$') return 2;
    if (is_currency(x)) return 1;
    return 0;
}

static const char *const units[] = {
    "km", "km\xc2\xb2", "km\xc2\xb3", "m", "m\xc2\xb2", "m\xc2\xb3", "dm", "dm\xc2\xb2",
    "dm\xc2\xb3", "cm", "cm\xc2\xb2", "cm\xc2\xb3", "mm", "mm\xc2\xb2", "mm\xc2\xb3", "ha",
    "\xc2\xb5m", "nm", "yd", "in", "ft", "kg", "g", "mg", "\xc2\xb5g", "t", "lb", "oz",
    "m/s", "km/h", "kmh", "mph", "hPa", "Pa", "mbar", "mb", "MB", "kb", "KB", "gb", "GB",
    "tb", "TB", "T", "G", "M", "K", "%", NULL};

static int cps_eq_utf8(const int32_t *c, size_t n, const char *w)
{
    const unsigned char *s = (const unsigned char *)w;
    size_t len = strlen(w), i = 0, k = 0;
    while (k < len) {
        int32_t x;
        k += utf8_decode_at(s, len, k, &x);
        if (i >= n || c[i] != x) return 0;
        i++;
    }
    return i == n;
}

static int suffix_at(const int32_t *c, size_t n, size_t p)
{
    size_t k = n - p;
    int32_t x = c[p];
    int32_t before = p > 0 ? c[p - 1] : -1;
    if (k == 1) {
        if (is_spacy_punct(x) || is_spacy_quote(x) || is_icon(x) || x == 0x2014 || x == 0x2013)
            return 1;
        if (x == '+' && is_digit(before)) return 1;
        if (x == '.' && before >= 0) {
            if (is_digit(before) || is_lower(before) || before == '%' || before == 0xB2 ||
                before == '-' || before == '+' || is_spacy_punct(before) ||
                is_spacy_quote(before) || before == '(' || before == '?' || before == ':' ||
                before == ')')
                return 1;
            if (p >= 2 && is_upper(before) && is_upper(c[p - 2])) return 1;
            if (p >= 2 && before == 0xB0 && 0) return 1;
        }
    }
    if (k == 2) {
        if (is_apos(x) && (c[p + 1] == 's' || c[p + 1] == 'S')) return 1;
        if (x == 0x2026 && c[p + 1] == 0x2026) return 1;
    }
    if (is_digit(before)) {
        if (k == 1 && is_currency(x)) return 1;
        if (k <= 4)
            for (const char *const *u = units; *u; u++)
                if (cps_eq_utf8(c + p, k, *u)) return 1;
    }
    return 0;
}

static size_t find_suffix(const int32_t *c, size_t n)
{
    if (!n) return 0;
    size_t d = n;
    while (d > 0 && c[d - 1] == '.') d--;
    if (n - d >= 2) return n - d;
    for (size_t p = n > 6 ? n - 6 : 0; p < n; p++)
        if (suffix_at(c, n, p)) return n - p;
    return 0;
}

/* Length of the infix match at i (0 = none); *skip set when none. */
static size_t infix_at(const int32_t *c, size_t n, size_t i)
{
    int32_t x = c[i];
    int32_t b = i > 0 ? c[i - 1] : -1;
    int32_t a = i + 1 < n ? c[i + 1] : -1;
    if (x == '.' && a == '.') {
        size_t k = i;
        while (k < n && c[k] == '.') k++;
        return k - i;
    }
    if (x == 0x2026 || is_icon(x)) return 1;
    if ((x == '+' || x == '-' || x == '*' || x == '^') && is_digit(b) && (is_digit(a) || a == '-'))
        return 1;
    if (x == '.' && b >= 0 && a >= 0 && (is_lower(b) || is_spacy_quote(b)) &&
        (is_upper(a) || is_spacy_quote(a)))
        return 1;
    if (x == ',' && b >= 0 && a >= 0 && is_alpha(b) && is_alpha(a)) return 1;
    if (b >= 0 && (is_alpha(b) || is_digit(b))) {
        if (x == '-' || x == 0x2013 || x == 0x2014 || x == '~') {
            if (a >= 0 && is_alpha(a)) return 1;
            if (x == '-' && a == '-') {
                if (i + 2 < n && is_alpha(c[i + 2])) return 2;
                if (i + 2 < n && c[i + 2] == '-' && i + 3 < n && is_alpha(c[i + 3])) return 3;
            }
            if (x == 0x2014 && a == 0x2014 && i + 2 < n && is_alpha(c[i + 2])) return 2;
        }
        if ((x == ':' || x == '<' || x == '>' || x == '=' || x == '/') && a >= 0 && is_alpha(a))
            return 1;
    }
    return 0;
}

static int url_label_char(int32_t c, int inner)
{
    if (c < 0x80) return ((c | 32) >= 'a' && (c | 32) <= 'z') || is_digit(c) ||
                         (inner && (c == '_' || c == '-'));
    return c >= 0xA1 && c <= 0xFFFF;
}

/* spaCy URL_MATCH, simplified: [scheme://][user@]label.(label.)*tld[:port][/?#...] */
static int url_match(const int32_t *c, size_t n)
{
    size_t i = 0;
    for (size_t k = 0; k + 2 < n; k++) {
        if (c[k] == ':' && c[k + 1] == '/' && c[k + 2] == '/') {
            if (k >= 2) i = k + 3;
            break;
        }
        if (!(is_alpha(c[k]) || is_digit(c[k]) || c[k] == '+' || c[k] == '-' || c[k] == '.'))
            break;
    }
    size_t end = n;
    for (size_t k = i; k < n; k++)
        if (c[k] == '/' || c[k] == '?' || c[k] == '#') {
            end = k;
            break;
        }
    for (size_t k = end; k > i; k--)
        if (c[k - 1] == '@') {
            i = k;
            break;
        }
    /* port */
    size_t hend = end;
    {
        size_t k = end;
        while (k > i && is_digit(c[k - 1])) k--;
        if (k > i && c[k - 1] == ':' && end - k >= 2 && end - k <= 5) hend = k - 1;
    }
    /* labels */
    size_t labels = 0, st = i;
    for (size_t k = i; k <= hend; k++) {
        if (k < hend && c[k] != '.') continue;
        size_t len = k - st;
        if (k == hend) {  /* tld: 2..63 lowercase letters */
            if (len < 2 || len > 63 || labels == 0) return 0;
            for (size_t j = st; j < k; j++)
                if (!is_lower(c[j])) return 0;
            return 1;
        }
        if (len < 1 || len > 64) return 0;
        if (!url_label_char(c[st], 0) || !url_label_char(c[k - 1], 0)) return 0;
        for (size_t j = st; j < k; j++)
            if (!url_label_char(c[j], 1)) return 0;
        labels++;
        st = k + 1;
    }
    return 0;
}

/* ----- one chunk ----- */

static void emit_cp_range(quality_ctx *q, const char *text, size_t a, size_t b)
{
    if (b > a) push_token(q, text, q->offs[a], q->offs[b] - q->offs[a], b - a);
}

static void emit_parts(quality_ctx *q, const char *text, size_t a, const size_t *parts, int np)
{
    for (int i = 0; i < np; i++) {
        emit_cp_range(q, text, a, a + parts[i]);
        a += parts[i];
    }
}

/* The middle cps[a..b) (a < b); np, parts: its special_case. */
static void attach_middle(quality_ctx *q, const char *text, size_t a, size_t b, int np,
                          const size_t *parts)
{
    const int32_t *c = q->cps;
    if (np) {
        emit_parts(q, text, a, parts, np);
        return;
    }
    if (url_match(c + a, b - a)) {
        emit_cp_range(q, text, a, b);
        return;
    }
    size_t start = a;
    for (size_t i = a; i < b;) {
        size_t m = infix_at(c + a, b - a, i - a);
        if (!m) {
            i++;
            continue;
        }
        if (i == a) {  /* an infix at the very start is not split off */
            i += m;
            continue;
        }
        emit_cp_range(q, text, start, i);
        emit_cp_range(q, text, i, i + m);
        start = i + m;
        i += m;
    }
    emit_cp_range(q, text, start, b);
}

/* special_case for cps[a..b), remembered: the affix loop and attach_middle
 * ask about the same range several times. */
typedef struct sc_memo {
    size_t a, b;
    int np;
    size_t parts[3];
} sc_memo;

static int sc_at(const quality_ctx *q, sc_memo *m, size_t a, size_t b)
{
    if (m->a != a || m->b != b) {
        m->a = a;
        m->b = b;
        m->np = special_case(q, q->cps + a, b - a, m->parts);
    }
    return m->np;
}

static void tokenize_chunk(quality_ctx *q, const char *text, size_t n)
{
    if (n > MAX_CHUNK) {
        emit_cp_range(q, text, 0, n);
        return;
    }
    const int32_t *c = q->cps;
    sc_memo m = {(size_t)-1, (size_t)-1, 0, {0, 0, 0}};
    size_t a = 0, b = n;
    size_t pre_stack[64], suf_stack[64];  /* lengths */
    int npre = 0, nsuf = 0;
    size_t last = (size_t)-1;
    while (a < b && b - a != last) {
        if (sc_at(q, &m, a, b)) break;
        last = b - a;
        size_t pl = find_prefix(c + a, b - a);
        if (pl && a + pl < b && sc_at(q, &m, a + pl, b)) {
            if (npre < 64) pre_stack[npre++] = pl;
            else emit_cp_range(q, text, a, a + pl);
            a += pl;
            break;
        }
        size_t sl = find_suffix(c + a + pl, b - a - pl);
        if (sl && b - sl > a && sc_at(q, &m, a, b - sl)) {
            if (nsuf < 64) suf_stack[nsuf++] = sl;
            b -= sl;
            break;
        }
        if (pl && sl && pl + sl <= b - a) {
            if (npre < 64) pre_stack[npre++] = pl;
            a += pl;
            if (nsuf < 64) suf_stack[nsuf++] = sl;
            b -= sl;
        } else if (pl) {
            if (npre < 64) pre_stack[npre++] = pl;
            a += pl;
        } else if (sl) {
            if (nsuf < 64) suf_stack[nsuf++] = sl;
            b -= sl;
        }
        if (a < b && sc_at(q, &m, a, b)) break;
        if (npre >= 64 || nsuf >= 64) break;
    }
    /* prefixes in order */
    size_t p = 0;
    for (int i = 0; i < npre; i++) {
        emit_cp_range(q, text, p, p + pre_stack[i]);
        p += pre_stack[i];
    }
    if (a < b) attach_middle(q, text, a, b, sc_at(q, &m, a, b), m.parts);
    size_t e = b;
    for (int i = nsuf - 1; i >= 0; i--) {
        emit_cp_range(q, text, e, e + suf_stack[i]);
        e += suf_stack[i];
    }
}

/* Chunk cache: a chunk's split into tokens (byte lengths, code points,
 * flags) by its bytes, so a repeated word costs one hash lookup. One entry
 * is one 64-byte cache line; chunks of up to 36 bytes (all but ~0.05% of
 * words in FineWeb text) are cached. 2^16 entries (4 MiB): on 15 MB of
 * FineWeb text, 2^15 to 2^18 entries measured the same (fewer misses are
 * paid back in cache and page misses), so the smaller middle. */
#define CC_PARTS 6
#define CC_MAX_KEY 36
typedef struct chunk_entry {
    uint64_t hash;  /* 0 = empty */
    uint8_t key_len, nparts;
    uint8_t bytes[CC_PARTS], cps[CC_PARTS], flags[CC_PARTS];
    char key[CC_MAX_KEY];
} chunk_entry;
_Static_assert(sizeof(chunk_entry) == 64, "one cache line per chunk entry");
_Static_assert(TF_STOP < 256, "token flags fit the entry's bytes");
#define CC_SLOTS (1u << 16)

static chunk_entry *chunk_find(quality_ctx *q, const char *k, size_t n, uint64_t h, int *hit)
{
    size_t mask = CC_SLOTS - 1;
    for (size_t j = h & mask, probes = 0; probes < 8; j = (j + 1) & mask, probes++) {
        chunk_entry *e = &q->chunks[j];
        if (!e->hash) {
            *hit = 0;
            return e;
        }
        if (e->hash == h && e->key_len == n && !memcmp(e->key, k, n)) {
            *hit = 1;
            return e;
        }
    }
    *hit = 0;
    return &q->chunks[h & mask];  /* evict */
}

/* C4's phrases, searched case-insensitively (ASCII A-Z folded, as
 * datatrove's line.lower() does for them) in one pass: a byte pair that
 * starts some phrase (in either case) is checked four bytes at a time with
 * 0x20 OR-ed in (which never rejects a real match: it folds A-Z and keeps
 * a-z and space), then byte by byte with the exact fold. */
enum { PH_LOREM = 1, PH_JS = 2, PH_POLICY = 4 };
static const struct {
    const char *s;
    size_t n;
    int flag;
} c4_phrase[] = {
    {"lorem ipsum", 11, PH_LOREM},     {"javascript", 10, PH_JS},
    {"terms of use", 12, PH_POLICY},   {"privacy policy", 14, PH_POLICY},
    {"cookie policy", 13, PH_POLICY},  {"uses cookies", 12, PH_POLICY},
    {"use of cookies", 14, PH_POLICY}, {"use cookies", 11, PH_POLICY},
};

static void c4_phrases_init(quality_ctx *q)
{
    for (size_t k = 0; k < 8; k++) {
        unsigned char a = (unsigned char)c4_phrase[k].s[0], b = (unsigned char)c4_phrase[k].s[1];
        for (int ca = 0; ca < 2; ca++)
            for (int cb = 0; cb < 2; cb++) {
                unsigned pair = (unsigned)(a - 32 * ca) | (unsigned)(b - 32 * cb) << 8;
                q->ph_pairs[pair >> 3] |= (uint8_t)(1u << (pair & 7));
            }
        memcpy(&q->ph_head[k], c4_phrase[k].s, 4);
    }
}

static int c4_phrases(const quality_ctx *q, const char *t, size_t n)
{
    const uint8_t *pairs = q->ph_pairs;
    const uint32_t *head = q->ph_head;
    int found = 0;
    const unsigned char *u = (const unsigned char *)t;
    for (size_t i = 0; i + 10 <= n; i++) {
        unsigned pair = (unsigned)u[i] | (unsigned)u[i + 1] << 8;
        if (!(pairs[pair >> 3] & (1u << (pair & 7)))) continue;   /* no phrase starts so */
        uint32_t w;
        memcpy(&w, u + i, 4);
        w |= 0x20202020u;
        for (size_t k = 0; k < 8; k++) {
            if (w != head[k] || (found & c4_phrase[k].flag) || i + c4_phrase[k].n > n) continue;
            size_t j = 0;
            while (j < c4_phrase[k].n) {
                unsigned char b = u[i + j];
                if (b >= 'A' && b <= 'Z') b += 32;
                if (b != (unsigned char)c4_phrase[k].s[j]) break;
                j++;
            }
            if (j == c4_phrase[k].n) found |= c4_phrase[k].flag;
        }
        if (found == (PH_LOREM | PH_JS | PH_POLICY)) break;
    }
    return found;
}

static void tokenize(quality_ctx *q, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    /* the measures of one document share one tokenization */
    uint64_t th = xxh3_64(text, len);
    if (q->tok_valid && q->tok_len == len && q->tok_hash == th) return;
    q->tok_valid = 1;
    q->tok_len = len;
    q->tok_hash = th;
    q->ntoks = 0;
    if (!q->chunks) q->chunks = mem_big_calloc(CC_SLOTS * sizeof *q->chunks);   /* 2 MiB-aligned */
    int use_cache = q->chunks && !q->reference;
    /* the chunks (whitespace pieces) with their hashes: the caller's split
     * of this text when it gave one (quality_use_split), else our own */
    const ws_spans *sp = q->ext;
    if (!sp || sp->text != text || sp->len != len) {
        if (ws_split(&q->own, text, len) < 0) abort();   /* out of memory, as xrealloc */
        sp = &q->own;
    }
    const ws_span *cv = sp->v;
    size_t nc = sp->n, i;
    /* chunks are looked up in the cache with the slot of the chunk 24 ahead
     * prefetched, since a probe of the multi-megabyte table is otherwise a
     * wait on memory */
    for (size_t c = 0; c < nc; c++) {
        if (use_cache && c + 24 < nc) {
            const char *pf = (const char *)&q->chunks[cv[c + 24].hash & (CC_SLOTS - 1)];
            __builtin_prefetch(pf);
        }
        int32_t cp;
        i = cv[c].off;
        size_t j = cv[c].end;
        size_t blen = j - i;
        chunk_entry *ce = NULL;
        uint64_t h = 0;
        int hit = 0;
        if (use_cache && blen <= CC_MAX_KEY) {
            h = cv[c].hash;
            ce = chunk_find(q, text + i, blen, h, &hit);
        }
        if (hit) {
            size_t off = i;
            for (int p = 0; p < ce->nparts; p++) {
                if (q->ntoks == q->tok_cap) {
                    q->tok_cap = q->tok_cap ? q->tok_cap * 2 : 4096;
                    q->toks = xrealloc(q->toks, q->tok_cap * sizeof *q->toks);
                }
                token *t = &q->toks[q->ntoks++];
                t->off = off;
                t->len = ce->bytes[p];
                t->ncp = ce->cps[p];
                t->id = 0;
                t->flags = ce->flags[p];
                t->hash = ce->nparts == 1 && ce->bytes[0] == blen ? h : 0;   /* the chunk is the token */
                off += ce->bytes[p];
            }
            i = j;
            continue;
        }
        /* decode the chunk */
        size_t n = 0;
        for (size_t k2 = i; k2 < j;) {
            size_t k = utf8_decode_at(s, j, k2, &cp);
            if (n < MAX_CHUNK + 1) {
                if (n + 2 > q->cp_cap) {
                    q->cp_cap = q->cp_cap ? q->cp_cap * 2 : 4096;
                    q->cps = xrealloc(q->cps, q->cp_cap * sizeof *q->cps);
                    q->offs = xrealloc(q->offs, q->cp_cap * sizeof *q->offs);
                }
                q->cps[n] = cp;
                q->offs[n] = k2;
            }
            n++;
            k2 += k;
        }
        size_t first = q->ntoks;
        if (n > MAX_CHUNK) {
            push_token(q, text, i, j - i, n);
        } else {
            q->offs[n] = j;
            tokenize_chunk(q, text, n);
        }
        size_t made = q->ntoks - first;
        if (made == 1 && h && q->toks[first].len == blen) q->toks[first].hash = h;   /* the chunk is the token */
        if (ce && made >= 1 && made <= CC_PARTS) {
            ce->hash = h;
            ce->key_len = (uint8_t)blen;
            memcpy(ce->key, text + i, blen);
            ce->nparts = (uint8_t)made;
            for (size_t p = 0; p < made; p++) {
                const token *t = &q->toks[first + p];
                ce->bytes[p] = (uint8_t)t->len;
                ce->cps[p] = (uint8_t)t->ncp;
                ce->flags[p] = (uint8_t)t->flags;
            }
        }
        i = j;
    }
}

void quality_use_split(quality_ctx *q, const ws_spans *sp) { q->ext = sp; }

size_t quality_tokenize(quality_ctx *q, const char *text, size_t len,
                        void (*fn)(void *arg, size_t off, size_t n), void *arg)
{
    tokenize(q, text, len);
    if (fn)
        for (size_t i = 0; i < q->ntoks; i++) fn(arg, q->toks[i].off, q->toks[i].len);
    return q->ntoks;
}

/* spaCy's Sentencizer over q->toks[from..to): 1 + the number of tokens that
 * are neither punctuation nor sentence punct and follow a sentence punct. */
static size_t count_sentences(const quality_ctx *q, size_t from, size_t to)
{
    if (from >= to) return 0;
    size_t n = 1;
    int seen = 0;
    for (size_t i = from; i < to; i++) {
        uint32_t f = q->toks[i].flags;
        if (seen && !(f & TF_PUNCT) && !(f & TF_SENT)) {
            n++;
            seen = 0;
        } else if (f & TF_SENT) {
            seen = 1;
        }
    }
    return n;
}

size_t quality_sentences(quality_ctx *q, const char *text, size_t len)
{
    tokenize(q, text, len);
    return count_sentences(q, 0, q->ntoks);
}

/* ---------- shared helpers ---------- */

/* Code points, with each invalid byte counting as one (as U+FFFD would). */
static uint64_t cp_count(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    uint64_t k = 0;
    for (size_t i = 0; i < n;) {
        uint64_t w;
        if (i + 8 <= n && (memcpy(&w, u + i, 8), !(w & 0x8080808080808080ULL))) {
            i += 8;   /* eight ASCII bytes: eight code points */
            k += 8;
            continue;
        }
        if (u[i] < 0x80) {
            i++;
        } else {
            int32_t c;
            i += utf8_decode_at(u, n, i, &c);
        }
        k++;
    }
    return k;
}


/* Exact-duplicate counting over a list of byte ranges (datatrove's
 * find_duplicates): returns duplicates and adds their code point lengths. */
typedef struct span {
    size_t off, len;
} span;

typedef struct span_set {
    uint64_t *h;
    size_t *idx;
    size_t cap;
} span_set;

static void find_duplicates(quality_ctx *q, const char *text, const span *sp, size_t n,
                            uint64_t *dups, uint64_t *dup_chars)
{
    *dups = *dup_chars = 0;
    if (!n) return;
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (cap > q->dup_cap) {
        q->dup_h = xrealloc(q->dup_h, cap * sizeof *q->dup_h);
        q->dup_idx = xrealloc(q->dup_idx, cap * sizeof *q->dup_idx);
        q->dup_cap = cap;
    }
    uint64_t *h = q->dup_h;
    size_t *idx = q->dup_idx;
    memset(h, 0, cap * sizeof *h);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = utf8_piece_hash(text + sp[i].off, sp[i].len);
        size_t j = x & (cap - 1);
        int found = 0;
        while (h[j]) {
            const span *o = &sp[idx[j]];
            if (h[j] == x && o->len == sp[i].len && !memcmp(text + o->off, text + sp[i].off, o->len)) {
                found = 1;
                break;
            }
            j = (j + 1) & (cap - 1);
        }
        if (found) {
            (*dups)++;
            *dup_chars += cp_count(text + sp[i].off, sp[i].len);
        } else {
            h[j] = x;
            idx[j] = i;
        }
    }
}

typedef struct span_list {
    span *v;
    size_t n, cap;
} span_list;

static void span_push(span_list *l, size_t off, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (span){off, len};
}

/* Python str.splitlines() boundaries at s[i]; returns the boundary's byte
 * length (0 = none). */
static size_t line_break_at(const unsigned char *s, size_t n, size_t i)
{
    unsigned char b = s[i];
    if (b == '\n' || b == 0x0B || b == 0x0C || b == 0x1C || b == 0x1D || b == 0x1E) return 1;
    if (b == '\r') return i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
    if (b == 0xC2 && i + 1 < n && s[i + 1] == 0x85) return 2;
    if (b == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
        return 3;
    return 0;
}

static void split_lines(const char *text, size_t len, span_list *out)
{
    const unsigned char *s = (const unsigned char *)text;
    out->n = 0;
    size_t st = 0, i = 0;
    while (i < len) {
        uint64_t w;
        /* eight bytes in 0x20..0x7f hold no line boundary */
        if (i + 8 <= len && (memcpy(&w, s + i, 8),
                             !(((w - 0x2020202020202020ULL) | w) & 0x8080808080808080ULL))) {
            i += 8;
            continue;
        }
        size_t k = line_break_at(s, len, i);
        if (!k) {
            i++;
            continue;
        }
        span_push(out, st, i - st);
        i += k;
        st = i;
    }
    if (st < len) span_push(out, st, len - st);
}

/* Python str.strip() on a byte range */
static void strip_span(const char *text, size_t *off, size_t *len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t a = *off, b = *off + *len;
    while (a < b) {
        int32_t c;
        size_t k = utf8_decode_at(s, b, a, &c);
        if (!is_space(c)) break;
        a += k;
    }
    while (b > a) {
        size_t k = 1;
        while (k < 4 && b - k > a && (s[b - k] & 0xC0) == 0x80) k++;
        int32_t c;
        size_t got = utf8_decode_at(s, b, b - k, &c);
        if (got != k) c = 0xFFFD;
        if (!is_space(c)) break;
        b -= k;
    }
    *off = a;
    *len = b - a;
}

static size_t count_sub(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle), c = 0;
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *f = k == 1 ? memchr(p, needle[0], (size_t)(end - p))
                               : memmem(p, (size_t)(end - p), needle, k);
        if (!f) break;
        c++;
        p = f + k;
    }
    return c;
}

static int ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && !memcmp(s + n - k, suf, k);
}

static double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
static int on(double thr) { return thr >= 0 && thr != 0; }  /* None/0 disable, as in Python truthiness */

/* ---------- Gopher quality ---------- */

void gopher_quality_measure(quality_ctx *q, const char *text, size_t len, gopher_quality_stats *o)
{
    const quality_config *c = &q->cfg;
    memset(o, 0, sizeof *o);
    tokenize(q, text, len);
    uint64_t nonsym_len = 0;
    o->n_words = q->ntoks;
    for (size_t i = 0; i < q->ntoks; i++) {
        const token *t = &q->toks[i];
        if (t->flags & TF_NONSYM) {
            o->n_non_symbol_words++;
            nonsym_len += t->ncp;
        }
        if (t->flags & TF_ALPHA) o->alpha_words++;
        if (t->flags & TF_STOP) o->stop_words++;
    }
    o->avg_word_length = ratio((double)nonsym_len, (double)o->n_non_symbol_words);
    o->hashes = count_sub(text, len, "#");
    o->ellipses = count_sub(text, len, "...") + count_sub(text, len, "\xe2\x80\xa6");
    o->hash_word_ratio = ratio((double)o->hashes, (double)o->n_words);
    o->ellipsis_word_ratio = ratio((double)o->ellipses, (double)o->n_words);
    span_list lines = {q->spv, 0, q->spv_cap};
    split_lines(text, len, &lines);
    o->lines = lines.n;
    for (size_t i = 0; i < lines.n; i++) {
        size_t off = lines.v[i].off, n = lines.v[i].len;
        strip_span(text, &off, &n);
        const char *l = text + off;
        if (n && (l[0] == '-' || (n >= 3 && !memcmp(l, "\xe2\x80\xa2", 3)))) o->bullet_lines++;
        if (ends_with(l, n, "...") || ends_with(l, n, "\xe2\x80\xa6")) o->ellipsis_lines++;
    }
    q->spv = lines.v;
    q->spv_cap = lines.cap;
    o->bullet_lines_ratio = ratio((double)o->bullet_lines, (double)o->lines);
    o->ellipsis_lines_ratio = ratio((double)o->ellipsis_lines, (double)o->lines);
    o->alpha_words_ratio = ratio((double)o->alpha_words, (double)o->n_words);

    double nw = (double)o->n_non_symbol_words;
    const char *r = NULL;
    if (on(c->min_doc_words) && nw < c->min_doc_words) r = "gopher_short_doc";
    else if (on(c->max_doc_words) && nw > c->max_doc_words) r = "gopher_long_doc";
    else if (on(c->min_avg_word_length) && o->avg_word_length < c->min_avg_word_length)
        r = "gopher_below_avg_threshold";
    else if (on(c->max_avg_word_length) && o->avg_word_length > c->max_avg_word_length)
        r = "gopher_above_avg_threshold";
    else if (on(c->max_symbol_word_ratio) && o->hash_word_ratio > c->max_symbol_word_ratio)
        r = "gopher_too_many_hashes";
    else if (on(c->max_symbol_word_ratio) && o->ellipsis_word_ratio > c->max_symbol_word_ratio)
        r = "gopher_too_many_ellipsis";
    else if (on(c->max_bullet_lines_ratio) && o->bullet_lines_ratio > c->max_bullet_lines_ratio)
        r = "gopher_too_many_bullets";
    else if (on(c->max_ellipsis_lines_ratio) &&
             o->ellipsis_lines_ratio > c->max_ellipsis_lines_ratio)
        r = "gopher_too_many_end_ellipsis";
    else if (on(c->max_non_alpha_words_ratio) &&
             o->alpha_words_ratio < c->max_non_alpha_words_ratio)
        r = "gopher_below_alpha_threshold";
    else if (on(c->min_stop_words) && (double)o->stop_words < c->min_stop_words)
        r = "gopher_enough_stop_words";
    o->reason = r;
}

/* ---------- Gopher repetition ---------- */

/* Interns token strings: equal strings get equal ids; q->idc[id] counts
 * each id's occurrences. */
static void assign_ids(quality_ctx *q, const char *text)
{
    size_t cap = 1024;
    while (cap < q->ntoks * 2) cap <<= 1;
    if (cap > q->ids_cap) {
        q->ids = xrealloc(q->ids, cap * sizeof *q->ids);
        q->ids_cap = cap;
    }
    memset(q->ids, 0, cap * sizeof *q->ids);
    uint32_t next = 0;
    if (q->ntoks > q->idc_cap) {
        q->idc_cap = q->ntoks;
        q->idc = xrealloc(q->idc, q->idc_cap * sizeof *q->idc);
        q->cls = xrealloc(q->cls, q->idc_cap * sizeof *q->cls);
    }
    for (size_t i = 0; i < q->ntoks; i++) {
        token *t = &q->toks[i];
        uint64_t h = t->hash ? t->hash : utf8_piece_hash(text + t->off, t->len);
        size_t j = h & (cap - 1);
        for (;;) {
            id_slot *s = &q->ids[j];
            if (!s->hash) {
                s->hash = h;
                s->id = next++;
                s->tok = (uint32_t)i;
                t->id = s->id;
                q->idc[t->id] = 1;
                break;
            }
            const token *o = &q->toks[s->tok];
            if (s->hash == h && o->len == t->len && !memcmp(text + o->off, text + t->off, t->len)) {
                t->id = s->id;
                q->idc[t->id]++;
                break;
            }
            j = (j + 1) & (cap - 1);
        }
    }
}

static uint64_t fmix64(uint64_t h)
{
    h = hash_fmix64(h);
    return h ? h : 1; /* 0 marks an empty slot */
}

static void grams_reset(quality_ctx *q, size_t n)
{
    size_t cap = 1024;
    while (cap < n * 2) cap <<= 1;
    if (cap > q->grams_cap) {
        q->grams = xrealloc(q->grams, cap * sizeof *q->grams);
        q->grams_cap = cap;
    }
    q->grams_used = cap;
    memset(q->grams, 0, cap * sizeof *q->grams);
}

/* n-grams are compared by a 64-bit hash of their token ids (a polynomial
 * rolling hash, then mixed): a false match needs a 2^-64 collision. */
#define GRAM_B 0x100000001b3ULL

static ngram_slot *gram_slot(quality_ctx *q, uint64_t h, size_t i, int *inserted)
{
    size_t mask = q->grams_used - 1, j = h & mask;
    *inserted = 0;
    for (;;) {
        ngram_slot *s = &q->grams[j];
        if (!s->hash) {
            s->hash = h;
            s->start = (uint32_t)i;
            s->count = 0;
            *inserted = 1;
            return s;
        }
        if (s->hash == h) return s;
        j = (j + 1) & mask;
    }
}

static uint64_t gram_chars(const token *t, size_t i, int n, int spaces)
{
    uint64_t c = spaces ? (uint64_t)(n - 1) : 0;
    for (int k = 0; k < n; k++) c += t[i + k].ncp;
    return c;
}

/* Rolling hashes of every n-gram: out[i] for the n-gram starting at i. */
static void gram_hashes(const quality_ctx *q, int n, uint64_t *out)
{
    const token *t = q->toks;
    size_t W = q->ntoks, G = W - (size_t)n + 1;
    uint64_t h = 0, top = 1;
    for (int k = 0; k < n - 1; k++) top *= GRAM_B;
    for (int k = 0; k < n; k++) h = h * GRAM_B + t[k].id + 1;
    for (size_t i = 0; i < G; i++) {
        out[i] = fmix64(h ^ (uint64_t)n);
        if (i + 1 < G) h = (h - (t[i].id + 1) * top) * GRAM_B + t[i + (size_t)n].id + 1;
    }
}

/* The n-gram hash at i computed directly; equals gram_hashes' out[i]. */
static uint64_t gram_hash_at(const token *t, size_t i, int n)
{
    uint64_t h = 0;
    for (int k = 0; k < n; k++) h = h * GRAM_B + t[i + (size_t)k].id + 1;
    return fmix64(h ^ (uint64_t)n);
}

/* datatrove find_top_duplicate: the most frequent n-gram (first seen wins a
 * tie, as Counter.most_common does), its " "-joined length times its count. */
static uint64_t top_gram_chars(quality_ctx *q, int n, uint64_t *hs)
{
    size_t W = q->ntoks;
    if (W < (size_t)n) return 0;
    size_t G = W - (size_t)n + 1;
    gram_hashes(q, n, hs);
    grams_reset(q, G);
    ngram_slot *best = NULL;
    for (size_t i = 0; i < G; i++) {
        int ins;
        ngram_slot *s = gram_slot(q, hs[i], i, &ins);
        s->count++;
        if (!best || s->count > best->count || (s->count == best->count && s->start < best->start))
            best = s;
    }
    return gram_chars(q->toks, best->start, n, 1) * best->count;
}

/* Fast path for the counts (the reference counts every position with
 * top_gram_chars). An n-gram that contains an (n-1)-gram occurring once in
 * the document occurs once itself, and every occurrence of a repeated n-gram
 * has repeated (n-1)-grams at i and i+1. So for each n only those positions
 * are counted; all others are n-grams of count 1. A counted n-gram is named
 * exactly, without hashing its n tokens: by the class of its (n-1)-gram
 * (its slot at the previous n; the token id for n = 2) and its last token,
 * and its own slot becomes its class for n+1.
 * uniq holds "occurs once" for the (n-1)-grams on entry (W-n+2 entries) and
 * for the n-grams on return (G = W-n+1 entries). Returns the top n-gram's
 * characters times its count (find_top_duplicate: the most frequent, the
 * first seen among equals), and the number of positions that repeat in *rest. */
static uint64_t chain_gram(quality_ctx *q, int n, uint8_t *uniq, size_t *rest)
{
    size_t W = q->ntoks, G = W - (size_t)n + 1;
    if (G > q->cand_cap) {
        q->cand_cap = G;
        q->cand = xrealloc(q->cand, q->cand_cap * sizeof *q->cand);
    }
    uint32_t *cls = q->cls;
    if (n == 2)
        for (size_t i = 0; i < W; i++) cls[i] = q->toks[i].id;
    size_t nc = 0;
    for (size_t i = 0; i < G; i++) {
        uint64_t a, b;
        if (i + 9 <= G && (memcpy(&a, uniq + i, 8), memcpy(&b, uniq + i + 1, 8),
                           ((a | b) & 0x0101010101010101ULL) == 0x0101010101010101ULL)) {
            memset(uniq + i, 1, 8);   /* eight positions, each next to a unique (n-1)-gram */
            i += 7;
            continue;
        }
        if (!(uniq[i] | uniq[i + 1])) q->cand[nc++] = i;
        uniq[i] = 1;
    }
    *rest = 0;
    if (!nc) return gram_chars(q->toks, 0, n, 1);   /* all unique: the first wins */
    grams_reset(q, nc);
    size_t mask = q->grams_used - 1;
    int shift = 64 - __builtin_ctzll((unsigned long long)q->grams_used);
    ngram_slot *best = NULL;
    for (size_t c = 0; c < nc; c++) {
        size_t i = (size_t)q->cand[c];
        /* bit 63 keeps every key nonzero (classes and ids are below 2^32) */
        uint64_t key = (uint64_t)cls[i] << 32 | q->toks[i + (size_t)n - 1].id | 1ULL << 63;
        size_t j = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> shift);
        ngram_slot *sl;
        for (;;) {
            sl = &q->grams[j];
            if (!sl->hash) {
                sl->hash = key;
                sl->start = (uint32_t)i;
                sl->count = 0;
                break;
            }
            if (sl->hash == key) break;
            j = (j + 1) & mask;
        }
        sl->count++;
        q->cand[c] = (uint64_t)i | (uint64_t)(sl - q->grams) << 32;
        if (!best || sl->count > best->count ||
            (sl->count == best->count && sl->start < best->start))
            best = sl;
    }
    for (size_t c = 0; c < nc; c++) {
        size_t i = (size_t)(uint32_t)q->cand[c];
        uint32_t slot = (uint32_t)(q->cand[c] >> 32);
        if (q->grams[slot].count > 1) {
            uniq[i] = 0;
            cls[i] = slot;
            (*rest)++;
        }
    }
    if (best->count == 1) return gram_chars(q->toks, 0, n, 1);
    return gram_chars(q->toks, best->start, n, 1) * best->count;
}

/* datatrove find_all_duplicate: walk; a repeated n-gram adds its ""-joined
 * length and jumps n words, a new one is remembered and steps one word. */
static uint64_t dup_gram_chars(quality_ctx *q, int n, uint64_t *hs, const uint8_t *uniq,
                               size_t rest)
{
    size_t W = q->ntoks;
    if (W < (size_t)n) return 0;
    size_t G = W - (size_t)n + 1;
    if (!rest) return 0;   /* every 5-gram is unique: nothing repeats */
    /* few repeated positions: hash just those (the same value as rolling) */
    int lazy = !q->reference && rest < G / 4;
    if (!lazy) gram_hashes(q, n, hs);
    grams_reset(q, rest);
    uint64_t rep = 0;
    size_t i = 0;
    while (i < G) {
        uint64_t w;
        if (i + 8 <= G && (memcpy(&w, uniq + i, 8), w == 0x0101010101010101ULL)) {
            i += 8;   /* eight unique n-grams */
            continue;
        }
        if (uniq[i]) {   /* new, and never seen again */
            i++;
            continue;
        }
        int ins;
        uint64_t h = lazy ? gram_hash_at(q->toks, i, n) : hs[i];
        gram_slot(q, h, i, &ins);
        if (!ins) {
            rep += gram_chars(q->toks, i, n, 0);
            i += (size_t)n;
        } else {
            i++;
        }
    }
    return rep;
}

void gopher_repetition_measure(quality_ctx *q, const char *text, size_t len,
                               gopher_repetition_stats *o)
{
    const quality_config *c = &q->cfg;
    memset(o, 0, sizeof *o);
    o->chars = cp_count(text, len);
    double L = (double)o->chars;
    span_list sp = {q->spv, 0, q->spv_cap};
    /* paragraphs: re.split(r"\n{2,}", text.strip()) */
    size_t off = 0, n = len;
    strip_span(text, &off, &n);
    {
        size_t st = off, i = off, e = off + n;
        while (i < e) {
            const char *nl = memchr(text + i, '\n', e - i);
            if (!nl) break;
            i = (size_t)(nl - text);
            if (i + 1 < e && text[i + 1] == '\n') {
                span_push(&sp, st, i - st);
                while (i < e && text[i] == '\n') i++;
                st = i;
            } else {
                i++;
            }
        }
        span_push(&sp, st, e - st);
    }
    uint64_t d, dc;
    find_duplicates(q, text, sp.v, sp.n, &d, &dc);
    o->paragraphs = sp.n;
    o->dup_paragraphs = d;
    o->dup_para_frac = ratio((double)d, (double)sp.n);
    o->dup_para_char_frac = ratio((double)dc, L);
    /* lines: re.split("\n+", text) */
    sp.n = 0;
    {
        size_t st = 0, i = 0;
        while (i < len) {
            const char *nl = memchr(text + i, '\n', len - i);
            if (!nl) break;
            i = (size_t)(nl - text);
            span_push(&sp, st, i - st);
            while (i < len && text[i] == '\n') i++;
            st = i;
        }
        span_push(&sp, st, len - st);
    }
    find_duplicates(q, text, sp.v, sp.n, &d, &dc);
    o->lines = sp.n;
    o->dup_lines = d;
    o->dup_line_frac = ratio((double)d, (double)sp.n);
    o->dup_line_char_frac = ratio((double)dc, L);
    q->spv = sp.v;
    q->spv_cap = sp.cap;

    tokenize(q, text, len);
    assign_ids(q, text);
    o->words = q->ntoks;
    if (q->ntoks + 1 > q->hs_cap) {
        q->hs_cap = q->ntoks + 1;
        q->hs = xrealloc(q->hs, q->hs_cap * sizeof *q->hs);
    }
    uint64_t *hs = q->hs;
    if (q->ntoks > q->uniq_cap) {
        q->uniq_cap = q->ntoks;
        q->uniq = xrealloc(q->uniq, q->uniq_cap);
    }
    size_t rest = q->ntoks >= 5 ? q->ntoks - 4 : 0;
    if (q->reference) {
        for (int k = 0; k < 3; k++)
            o->top_n_gram_char_frac[k] = ratio((double)top_gram_chars(q, k + 2, hs), L);
        memset(q->uniq, 0, q->ntoks);
    } else if (q->ntoks >= 2) {
        /* 1-grams: tokens that occur once; then 2, 3, 4 (top) and 5 (unique) */
        for (size_t i = 0; i < q->ntoks; i++) q->uniq[i] = q->idc[q->toks[i].id] == 1;
        for (int nn = 2; nn <= 5 && (size_t)nn <= q->ntoks; nn++) {
            uint64_t top = chain_gram(q, nn, q->uniq, &rest);
            if (nn <= 4) o->top_n_gram_char_frac[nn - 2] = ratio((double)top, L);
        }
    }
    if (q->ntoks >= 5) {
        for (int k = 0; k < 6; k++)
            o->dup_n_gram_char_frac[k] =
                ratio((double)dup_gram_chars(q, k + 5, hs, q->uniq, rest), L);
    }

    static const char *const top_names[] = {"top_2_gram", "top_3_gram", "top_4_gram"};
    static const char *const dup_names[] = {"duplicated_5_n_grams", "duplicated_6_n_grams",
                                            "duplicated_7_n_grams", "duplicated_8_n_grams",
                                            "duplicated_9_n_grams", "duplicated_10_n_grams"};
    const char *r = NULL;
    if (on(c->dup_para_frac) && o->dup_para_frac > c->dup_para_frac) r = "dup_para_frac";
    else if (on(c->dup_para_char_frac) && o->dup_para_char_frac > c->dup_para_char_frac)
        r = "dup_para_char_frac";
    else if (on(c->dup_line_frac) && o->dup_line_frac > c->dup_line_frac) r = "dup_line_frac";
    else if (on(c->dup_line_char_frac) && o->dup_line_char_frac > c->dup_line_char_frac)
        r = "dup_line_char_frac";
    for (int k = 0; !r && k < 3; k++)
        if (c->top_n_gram_frac[k] >= 0 && o->words >= (uint64_t)(k + 2) &&
            o->top_n_gram_char_frac[k] > c->top_n_gram_frac[k])
            r = top_names[k];
    for (int k = 0; !r && k < 6; k++)
        if (c->dup_n_gram_frac[k] >= 0 && o->dup_n_gram_char_frac[k] > c->dup_n_gram_frac[k])
            r = dup_names[k];
    o->reason = r;
}

/* ---------- C4 ---------- */

typedef struct c4_line {
    size_t off, len;          /* the line after strip(), before citation removal */
    int too_long, punct_ok, lorem, js, curly, policy;
    uint64_t words, citations;
    uint64_t kept_cps;        /* code points after citation removal */
    size_t sentences;         /* computed lazily; (size_t)-1 = not yet */
    size_t buf_off, buf_len;  /* citation-removed text in q->buf-like storage */
} c4_line;

static void c4_run(const c4_line *ls, size_t n, int use_punct, const quality_config *c,
                   c4_variant *v, uint64_t *kept_first, uint64_t *kept_last)
{
    memset(v, 0, sizeof *v);
    uint64_t chars = 0;
    size_t first = (size_t)-1, last = 0;
    for (size_t i = 0; i < n; i++) {
        const c4_line *l = &ls[i];
        if (c->c4_max_word_length >= 0 && l->too_long) {
            v->lines_too_long_word++;
            continue;
        }
        v->citations_removed += l->citations;
        if (use_punct && !l->punct_ok) {
            v->lines_no_terminal_punct++;
            continue;
        }
        if ((double)l->words < c->c4_min_words_per_line) {
            v->lines_too_few_words++;
            continue;
        }
        if (c->c4_filter_lorem_ipsum && l->lorem) {
            v->lorem_ipsum = 1;
            v->reason = "lorem_ipsum";
            break;
        }
        if (c->c4_filter_javascript && l->js) {
            v->lines_javascript++;
            continue;
        }
        if (c->c4_filter_curly_bracket && l->curly) {
            v->curly_bracket = 1;
            v->reason = "curly_bracket";
            break;
        }
        if (c->c4_filter_policy && l->policy) {
            v->lines_policy++;
            continue;
        }
        v->sentences += l->sentences;
        v->lines_kept++;
        chars += l->kept_cps;
        if (first == (size_t)-1) first = i;
        last = i;
    }
    if (v->lines_kept) chars += v->lines_kept - 1;  /* the "\n" joins */
    v->chars_kept = chars;
    *kept_first = first;
    *kept_last = last;
    if (!v->reason && (double)v->sentences < c->c4_min_num_sentences) v->reason = "too_few_sentences";
}

void c4_measure(quality_ctx *q, const char *text, size_t len, c4_stats *o)
{
    const quality_config *c = &q->cfg;
    memset(o, 0, sizeof *o);
    o->chars = cp_count(text, len);
    span_list lines = {q->spv, 0, q->spv_cap};
    split_lines(text, len, &lines);
    o->lines = lines.n;
    /* Line boundaries are whitespace, so no token crosses a line: a line's
     * sentences can be counted over the document's tokens in its range
     * (lines changed by citation removal are tokenized on their own). */
    tokenize(q, text, len);
    token *dtoks = q->toks;
    size_t ndtoks = q->ntoks, tk = 0, dcap = q->tok_cap;
    q->toks = NULL;
    q->ntoks = q->tok_cap = 0;
    q->tok_valid = 0;
    if (lines.n > q->c4l_cap) {
        q->c4l_cap = lines.n;
        q->c4l = xrealloc(q->c4l, q->c4l_cap * sizeof *q->c4l);
    }
    c4_line *ls = q->c4l;
    if (lines.n) memset(ls, 0, lines.n * sizeof *ls);
    if (q->buf_cap < len + 1) {
        q->buf_cap = len + 1;
        q->buf = xrealloc(q->buf, q->buf_cap);
    }
    size_t bufp = 0;
    uint64_t max_word = c->c4_max_word_length >= 0 ? (uint64_t)c->c4_max_word_length : UINT64_MAX;
    for (size_t i = 0; i < lines.n; i++) {
        c4_line *l = &ls[i];
        size_t off = lines.v[i].off, n = lines.v[i].len;
        strip_span(text, &off, &n);
        l->off = off;
        l->len = n;
        /* words = line.split(); any longer than max_word_length? */
        const unsigned char *s = (const unsigned char *)text;
        uint64_t wl = 0;   /* code points of the current word */
        int in = 0;
        for (size_t k = off, end = off + n; k < end;) {
            size_t run = utf8_plain_run8(s, end, k);   /* up to 8 ASCII non-space bytes */
            int32_t cp;
            if (run) {
                k += run;
            } else if (s[k] < 0x80) {
                cp = s[k++];
                run = !((cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x20));
            } else {
                k += utf8_decode_at(s, end, k, &cp);
                run = !is_space(cp);
            }
            if (!run) {
                in = 0;
                wl = 0;
                continue;
            }
            l->words += !in;
            in = 1;
            wl += run;
            if (wl > max_word) l->too_long = 1;
        }
        /* citations removed (PCRE2) */
        char *dst = q->buf + bufp;
        size_t dl = 0;
        if (c->c4_remove_citations && memchr(text + off, '[', n)) {
            size_t st = 0;
            for (;;) {
                int rc = q->jit ? pcre2_jit_match(q->citation, (PCRE2_SPTR)(text + off), n, st, 0,
                                                  q->md, NULL)
                                : pcre2_match(q->citation, (PCRE2_SPTR)(text + off), n, st, 0,
                                              q->md, NULL);
                if (rc < 0) break;
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(q->md);
                memcpy(dst + dl, text + off + st, ov[0] - st);
                dl += ov[0] - st;
                l->citations++;
                st = ov[1];  /* the pattern never matches empty */
                if (st >= n) break;
            }
            if (st < n) {
                memcpy(dst + dl, text + off + st, n - st);
                dl += n - st;
            }
        } else {
            memcpy(dst, text + off, n);
            dl = n;
        }
        l->buf_off = bufp;
        l->buf_len = dl;
        bufp += dl;
        const char *t = dst;
        l->punct_ok = dl > 0 &&
                      (t[dl - 1] == '.' || t[dl - 1] == '?' || t[dl - 1] == '!' ||
                       t[dl - 1] == '"' || t[dl - 1] == '\'') &&
                      !ends_with(t, dl, "...");
        int ph = c4_phrases(q, t, dl);
        l->lorem = (ph & PH_LOREM) != 0;
        l->js = (ph & PH_JS) != 0;
        l->policy = (ph & PH_POLICY) != 0;
        l->curly = memchr(t, '{', dl) != NULL;
        l->kept_cps = cp_count(t, dl);
        l->sentences = 0;
        /* sentences only matter for lines some variant may keep */
        while (tk < ndtoks && dtoks[tk].off < off) tk++;
        size_t te = tk;
        while (te < ndtoks && dtoks[te].off < off + n) te++;
        if (!l->too_long && (double)l->words >= c->c4_min_words_per_line && dl) {
            if (!l->citations) {
                token *keep = q->toks;
                size_t kn = q->ntoks;
                q->toks = dtoks;
                q->ntoks = ndtoks;
                l->sentences = count_sentences(q, tk, te);
                q->toks = keep;
                q->ntoks = kn;
            } else {
                l->sentences = quality_sentences(q, t, dl);
            }
        }
        tk = te;
    }
    uint64_t f1, l1, f2, l2;
    c4_run(ls, lines.n, c->c4_filter_no_terminal_punct, c, &o->v, &f1, &l1);
    c4_run(ls, lines.n, 0, c, &o->no_punct, &f2, &l2);
    /* "\n".join(kept).strip(): kept lines are stripped already, but a line
     * emptied... cannot be kept (it has >= min words); leading/trailing
     * whitespace exposed by citation removal is stripped at the two ends */
    c4_variant *vs[2] = {&o->v, &o->no_punct};
    uint64_t fs[2] = {f1, f2}, lsx[2] = {l1, l2};
    for (int k = 0; k < 2; k++) {
        if (!vs[k]->lines_kept) continue;
        const c4_line *a = &ls[fs[k]], *b = &ls[lsx[k]];
        size_t o1 = a->buf_off, n1 = a->buf_len;
        size_t o2 = b->buf_off, n2 = b->buf_len;
        size_t s1 = o1, m1 = n1, s2 = o2, m2 = n2;
        strip_span(q->buf, &s1, &m1);
        strip_span(q->buf, &s2, &m2);
        if (fs[k] == lsx[k]) {
            vs[k]->chars_kept -= a->kept_cps - cp_count(q->buf + s1, m1);
        } else {
            vs[k]->chars_kept -= cp_count(q->buf + o1, s1 - o1);
            vs[k]->chars_kept -= cp_count(q->buf + s2 + m2, o2 + n2 - (s2 + m2));
        }
    }
    q->spv = lines.v;
    q->spv_cap = lines.cap;
    /* hand the document's tokens back, still valid for later measures */
    free(q->toks);
    q->toks = dtoks;
    q->ntoks = ndtoks;
    q->tok_cap = dcap;
    q->tok_len = len;
    q->tok_hash = xxh3_64(text, len);
    q->tok_valid = 1;
}

/* ---------- FineWeb ---------- */

/* datatrove 0.10: lines are the non-empty lines of text.split("\n"); a line
 * "ends in punctuation" when its last code point is a sentence terminal
 * (datatrove's TERMINAL_PUNCTUATION, Unicode Sentence_Terminal; not quotes). */
void fineweb_measure(quality_ctx *q, const char *text, size_t len, fineweb_stats *o)
{
    const quality_config *c = &q->cfg;
    memset(o, 0, sizeof *o);
    span_list lines = {q->spv, 0, q->spv_cap};
    size_t st = 0;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n') continue;
        if (i < len) o->newlines++;
        size_t so = st, sn = i - st;
        strip_span(text, &so, &sn);
        if (sn) span_push(&lines, st, i - st);
        st = i + 1;
    }
    o->lines = lines.n;
    for (size_t i = 0; i < lines.n; i++) {
        size_t off = lines.v[i].off, n = lines.v[i].len;
        size_t k = 1;
        while (k < 4 && k < n && (s[off + n - k] & 0xC0) == 0x80) k++;
        int32_t last;
        if (utf8_decode_at(s, off + n, off + n - k, &last) != k) last = 0xFFFD;
        if (is_sent_punct(last)) o->punct_lines++;
        if ((double)cp_count(text + off, n) <= c->short_line_length) o->short_lines++;
    }
    uint64_t d;
    find_duplicates(q, text, lines.v, lines.n, &d, &o->dup_chars);
    o->chars_no_newline = cp_count(text, len) - o->newlines;
    q->spv = lines.v;
    q->spv_cap = lines.cap;
    tokenize(q, text, len);
    o->words = q->ntoks;
    o->line_punct_ratio = ratio((double)o->punct_lines, (double)o->lines);
    o->short_line_ratio = ratio((double)o->short_lines, (double)o->lines);
    o->char_dup_ratio = ratio((double)o->dup_chars, (double)o->chars_no_newline);
    o->list_ratio = (double)o->newlines / (double)(o->words ? o->words : 1);
    const char *r = NULL;
    if (!o->lines) r = "empty";
    else if (o->line_punct_ratio < c->line_punct_thr &&
             !(o->line_punct_ratio == 0 && c->line_punct_exclude_zero))
        r = "line_punct_ratio";
    else if (o->short_line_ratio > c->short_line_thr) r = "short_line_ratio";
    else if (o->char_dup_ratio > c->char_duplicates_ratio) r = "char_dup_ratio";
    else if (o->list_ratio > c->new_line_ratio) r = "list_ratio";
    o->reason = r;
}

/* ---------- JSON ---------- */

static void key_num(sbuf *b, int *first, const char *k, double v)
{
    sb_json_key(b, k, first);
    sb_json_num(b, isfinite(v) ? v : 0.0);
}
static void key_uint(sbuf *b, int *first, const char *k, uint64_t v)
{
    sb_json_key(b, k, first);
    sb_json_uint(b, v);
}
static void key_verdict(sbuf *b, int *first, const char *pass_key, const char *reason_key,
                        const char *reason)
{
    sb_json_key(b, pass_key, first);
    sb_json_bool(b, reason == NULL);
    sb_json_key(b, reason_key, first);
    if (reason) sb_json_str(b, reason, strlen(reason));
    else sb_adds(b, "null");
}

void gopher_quality_json(const gopher_quality_stats *s, sbuf *b)
{
    int f = 1;
    sb_addc(b, '{');
    key_verdict(b, &f, "pass", "reason", s->reason);
    key_uint(b, &f, "n_words", s->n_words);
    key_uint(b, &f, "n_non_symbol_words", s->n_non_symbol_words);
    key_num(b, &f, "avg_word_length", s->avg_word_length);
    key_num(b, &f, "hash_word_ratio", s->hash_word_ratio);
    key_num(b, &f, "ellipsis_word_ratio", s->ellipsis_word_ratio);
    key_num(b, &f, "bullet_lines_ratio", s->bullet_lines_ratio);
    key_num(b, &f, "ellipsis_lines_ratio", s->ellipsis_lines_ratio);
    key_num(b, &f, "alpha_words_ratio", s->alpha_words_ratio);
    key_uint(b, &f, "stop_words", s->stop_words);
    key_uint(b, &f, "lines", s->lines);
    sb_addc(b, '}');
}

void gopher_repetition_json(const gopher_repetition_stats *s, sbuf *b)
{
    int f = 1;
    char k[48];
    sb_addc(b, '{');
    key_verdict(b, &f, "pass", "reason", s->reason);
    key_num(b, &f, "dup_para_frac", s->dup_para_frac);
    key_num(b, &f, "dup_para_char_frac", s->dup_para_char_frac);
    key_num(b, &f, "dup_line_frac", s->dup_line_frac);
    key_num(b, &f, "dup_line_char_frac", s->dup_line_char_frac);
    for (int i = 0; i < 3; i++) {
        snprintf(k, sizeof k, "top_%d_gram_char_frac", i + 2);
        key_num(b, &f, k, s->top_n_gram_char_frac[i]);
    }
    for (int i = 0; i < 6; i++) {
        snprintf(k, sizeof k, "dup_%d_gram_char_frac", i + 5);
        key_num(b, &f, k, s->dup_n_gram_char_frac[i]);
    }
    key_uint(b, &f, "paragraphs", s->paragraphs);
    key_uint(b, &f, "lines", s->lines);
    key_uint(b, &f, "words", s->words);
    key_uint(b, &f, "chars", s->chars);
    sb_addc(b, '}');
}

static void c4_variant_json(sbuf *b, int *f, const c4_variant *v, const c4_stats *s,
                            const char *suffix)
{
    char k[96];
#define K(name) (snprintf(k, sizeof k, "%s%s", name, suffix), k)
    key_num(b, f, K("lines_kept_frac"), ratio((double)v->lines_kept, (double)s->lines));
    key_num(b, f, K("chars_kept_frac"), ratio((double)v->chars_kept, (double)s->chars));
    key_uint(b, f, K("sentences"), v->sentences);
    key_uint(b, f, K("lines_kept"), v->lines_kept);
    key_uint(b, f, K("chars_kept"), v->chars_kept);
#undef K
}

void c4_json(const c4_stats *s, sbuf *b)
{
    int f = 1;
    sb_addc(b, '{');
    key_verdict(b, &f, "pass", "reason", s->v.reason);
    key_verdict(b, &f, "pass_no_terminal_punct_rule", "reason_no_terminal_punct_rule",
                s->no_punct.reason);
    c4_variant_json(b, &f, &s->v, s, "");
    c4_variant_json(b, &f, &s->no_punct, s, "_no_terminal_punct_rule");
    key_uint(b, &f, "lines", s->lines);
    key_uint(b, &f, "chars", s->chars);
    key_uint(b, &f, "lines_too_long_word", s->v.lines_too_long_word);
    key_uint(b, &f, "lines_no_terminal_punct", s->v.lines_no_terminal_punct);
    key_uint(b, &f, "lines_too_few_words", s->v.lines_too_few_words);
    key_uint(b, &f, "lines_javascript", s->v.lines_javascript);
    key_uint(b, &f, "lines_policy", s->v.lines_policy);
    key_uint(b, &f, "citations_removed", s->v.citations_removed);
    sb_json_key(b, "lorem_ipsum", &f);
    sb_json_bool(b, s->v.lorem_ipsum);
    sb_json_key(b, "curly_bracket", &f);
    sb_json_bool(b, s->v.curly_bracket);
    sb_addc(b, '}');
}

void fineweb_json(const fineweb_stats *s, sbuf *b)
{
    int f = 1;
    sb_addc(b, '{');
    key_verdict(b, &f, "pass", "reason", s->reason);
    key_num(b, &f, "line_punct_ratio", s->line_punct_ratio);
    key_num(b, &f, "short_line_ratio", s->short_line_ratio);
    key_num(b, &f, "char_dup_ratio", s->char_dup_ratio);
    key_num(b, &f, "list_ratio", s->list_ratio);
    key_uint(b, &f, "lines", s->lines);
    key_uint(b, &f, "words", s->words);
    sb_addc(b, '}');
}
