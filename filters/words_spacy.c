/* words_spacy.c - English words as spaCy's tokenizer splits them
 * (spacy.blank("en"), which datatrove's word_tokenize uses): whitespace
 * chunks, then prefixes, suffixes, infixes, URLs and the tokenizer
 * exceptions (abbreviations, contractions), with spaCy's sentencizer over the
 * tokens. Approximated from spaCy 3's English punctuation rules and tokenizer
 * exceptions (read, not copied); test_quality.c and the datatrove comparison
 * measure the agreement. The interface is in quality_internal.h. */
#include "filters/quality_internal.h"

#include "lib/hash.h"
#include "lib/mem.h"
#include "lib/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Chunks (whitespace-separated runs) longer than this many code points are
 * one token: affix rules on megabytes of non-space text are meaningless and
 * would cost quadratic time. */
#define MAX_CHUNK 65536

/* ---------- characters ---------- */

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
/* spaCy 3's LIST_ICONS (prefixes, suffixes, infixes): the code points of
 * spacy/lang/char_classes.py's _other_symbols, as ranges (adjacent ones
 * merged). Not the whole So category: a fixed list (so symbols Unicode added
 * later are not icons), and it holds the degree sign U+00B0, so "70°F" is
 * 70 ° F. (spaCy 2's [\p{So}--[°]] left it out; datatrove's recorded
 * verdicts come from spaCy 3.8.) */
static const int32_t spacy_icons[][2] = {
    {0xA6, 0xA6}, {0xA9, 0xA9}, {0xAE, 0xAE}, {0xB0, 0xB0}, {0x482, 0x482}, {0x58D, 0x58E},
    {0x60E, 0x60F}, {0x6DE, 0x6DE}, {0x6E9, 0x6E9}, {0x6FD, 0x6FE}, {0x7F6, 0x7F6},
    {0x9FA, 0x9FA}, {0xB70, 0xB70}, {0xBF3, 0xBF8}, {0xBFA, 0xBFA}, {0xC7F, 0xC7F},
    {0xD4F, 0xD4F}, {0xD79, 0xD79}, {0xF01, 0xF03}, {0xF13, 0xF13}, {0xF15, 0xF17},
    {0xF1A, 0xF1F}, {0xF34, 0xF34}, {0xF36, 0xF36}, {0xF38, 0xF38}, {0xFBE, 0xFC5},
    {0xFC7, 0xFCC}, {0xFCE, 0xFCF}, {0xFD5, 0xFD8}, {0x109E, 0x109F}, {0x1390, 0x1399},
    {0x1940, 0x1940}, {0x19DE, 0x19FF}, {0x1B61, 0x1B6A}, {0x1B74, 0x1B7C}, {0x2100, 0x2101},
    {0x2103, 0x2106}, {0x2108, 0x2109}, {0x2114, 0x2114}, {0x2116, 0x2117}, {0x211E, 0x2123},
    {0x2125, 0x2125}, {0x2127, 0x2127}, {0x2129, 0x2129}, {0x212E, 0x212E}, {0x213A, 0x213B},
    {0x214A, 0x214A}, {0x214C, 0x214D}, {0x214F, 0x214F}, {0x218A, 0x218B}, {0x2195, 0x2199},
    {0x219C, 0x219F}, {0x21A1, 0x21A2}, {0x21A4, 0x21A5}, {0x21A7, 0x21AD}, {0x21AF, 0x21CD},
    {0x21D0, 0x21D1}, {0x21D3, 0x21D3}, {0x21D5, 0x21F3}, {0x2300, 0x2307}, {0x230C, 0x231F},
    {0x2322, 0x2328}, {0x232B, 0x237B}, {0x237D, 0x239A}, {0x23B4, 0x23DB}, {0x23E2, 0x2426},
    {0x2440, 0x244A}, {0x249C, 0x24E9}, {0x2500, 0x25B6}, {0x25B8, 0x25C0}, {0x25C2, 0x25F7},
    {0x2600, 0x266E}, {0x2670, 0x2767}, {0x2794, 0x27BF}, {0x2800, 0x28FF}, {0x2B00, 0x2B2F},
    {0x2B45, 0x2B46}, {0x2B4D, 0x2B73}, {0x2B76, 0x2B95}, {0x2B98, 0x2BC8}, {0x2BCA, 0x2BFE},
    {0x2CE5, 0x2CEA}, {0x2E80, 0x2E99}, {0x2E9B, 0x2EF3}, {0x2F00, 0x2FD5}, {0x2FF0, 0x2FFB},
    {0x3004, 0x3004}, {0x3012, 0x3013}, {0x3020, 0x3020}, {0x3036, 0x3037}, {0x303E, 0x303F},
    {0x3190, 0x3191}, {0x3196, 0x319F}, {0x31C0, 0x31E3}, {0x3200, 0x321E}, {0x322A, 0x3247},
    {0x3250, 0x3250}, {0x3260, 0x327F}, {0x328A, 0x32B0}, {0x32C0, 0x32FE}, {0x3300, 0x33FF},
    {0x4DC0, 0x4DFF}, {0xA490, 0xA4C6}, {0xA828, 0xA82B}, {0xA836, 0xA837}, {0xA839, 0xA839},
    {0xAA77, 0xAA79}, {0xFDFD, 0xFDFD}, {0xFFE4, 0xFFE4}, {0xFFE8, 0xFFE8}, {0xFFED, 0xFFEE},
    {0xFFFC, 0xFFFD}, {0x10137, 0x1013F}, {0x10179, 0x10189}, {0x1018C, 0x1018E},
    {0x10190, 0x1019B}, {0x101A0, 0x101A0}, {0x101D0, 0x101FC}, {0x10877, 0x10878},
    {0x10AC8, 0x10AC8}, {0x1173F, 0x1173F}, {0x16B3C, 0x16B3F}, {0x16B45, 0x16B45},
    {0x1BC9C, 0x1BC9C}, {0x1D000, 0x1D0F5}, {0x1D100, 0x1D126}, {0x1D129, 0x1D164},
    {0x1D16A, 0x1D16C}, {0x1D183, 0x1D184}, {0x1D18C, 0x1D1A9}, {0x1D1AE, 0x1D1E8},
    {0x1D200, 0x1D241}, {0x1D245, 0x1D245}, {0x1D300, 0x1D356}, {0x1D800, 0x1D9FF},
    {0x1DA37, 0x1DA3A}, {0x1DA6D, 0x1DA74}, {0x1DA76, 0x1DA83}, {0x1DA85, 0x1DA86},
    {0x1ECAC, 0x1ECAC}, {0x1F000, 0x1F02B}, {0x1F030, 0x1F093}, {0x1F0A0, 0x1F0AE},
    {0x1F0B1, 0x1F0BF}, {0x1F0C1, 0x1F0CF}, {0x1F0D1, 0x1F0F5}, {0x1F110, 0x1F16B},
    {0x1F170, 0x1F1AC}, {0x1F1E6, 0x1F202}, {0x1F210, 0x1F23B}, {0x1F240, 0x1F248},
    {0x1F250, 0x1F251}, {0x1F260, 0x1F265}, {0x1F300, 0x1F3FA}, {0x1F400, 0x1F6D4},
    {0x1F6E0, 0x1F6EC}, {0x1F6F0, 0x1F6F9}, {0x1F700, 0x1F773}, {0x1F780, 0x1F7D8},
    {0x1F800, 0x1F80B}, {0x1F810, 0x1F847}, {0x1F850, 0x1F859}, {0x1F860, 0x1F887},
    {0x1F890, 0x1F8AD}, {0x1F900, 0x1F90B}, {0x1F910, 0x1F93E}, {0x1F940, 0x1F970},
    {0x1F973, 0x1F976}, {0x1F97A, 0x1F97A}, {0x1F97C, 0x1F9A2}, {0x1F9B0, 0x1F9B9},
    {0x1F9C0, 0x1F9C2}, {0x1F9D0, 0x1F9FF}, {0x1FA60, 0x1FA6D}
};

static int is_icon(int32_t c)
{
    if (c < 0xA6 || c > 0x1FA6D) return 0;
    size_t lo = 0, hi = sizeof spacy_icons / sizeof *spacy_icons;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < spacy_icons[mid][0]) hi = mid;
        else if (c > spacy_icons[mid][1]) lo = mid + 1;
        else return 1;
    }
    return 0;
}

/* datatrove's PUNCTUATION_SET: all ASCII punctuation, these, and C0/C1
 * controls other than \t and \n (declared in quality.h). */
int in_datatrove_punct(int32_t c)
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
/* spaCy's Sentencizer.default_punct_chars (spacy/pipeline/sentencizer.pyx),
 * all 128, sorted for the binary search. These end sentences (C4's sentence
 * count); FineWeb's line ends use datatrove's own, larger TERMINAL_PUNCTUATION
 * (fineweb.c). */
static const uint32_t spacy_punct_chars[] = {
    0x21, 0x2E, 0x3F, 0x589, 0x61F, 0x6D4, 0x700, 0x701,
    0x702, 0x7F9, 0x964, 0x965, 0x104A, 0x104B, 0x1362, 0x1367,
    0x1368, 0x166E, 0x1735, 0x1736, 0x1803, 0x1809, 0x1944, 0x1945,
    0x1AA8, 0x1AA9, 0x1AAA, 0x1AAB, 0x1B5A, 0x1B5B, 0x1B5E, 0x1B5F,
    0x1C3B, 0x1C3C, 0x1C7E, 0x1C7F, 0x203C, 0x203D, 0x2047, 0x2048,
    0x2049, 0x2E2E, 0x2E3C, 0x3002, 0xA4FF, 0xA60E, 0xA60F, 0xA6F3,
    0xA6F7, 0xA876, 0xA877, 0xA8CE, 0xA8CF, 0xA92F, 0xA9C8, 0xA9C9,
    0xAA5D, 0xAA5E, 0xAA5F, 0xAAF0, 0xAAF1, 0xABEB, 0xFE52, 0xFE56,
    0xFE57, 0xFF01, 0xFF0E, 0xFF1F, 0xFF61, 0x10A56, 0x10A57, 0x11047,
    0x11048, 0x110BE, 0x110BF, 0x110C0, 0x110C1, 0x11141, 0x11142, 0x11143,
    0x111C5, 0x111C6, 0x111CD, 0x111DE, 0x111DF, 0x11238, 0x11239, 0x1123B,
    0x1123C, 0x112A9, 0x1144B, 0x1144C, 0x115C2, 0x115C3, 0x115C9, 0x115CA,
    0x115CB, 0x115CC, 0x115CD, 0x115CE, 0x115CF, 0x115D0, 0x115D1, 0x115D2,
    0x115D3, 0x115D4, 0x115D5, 0x115D6, 0x115D7, 0x11641, 0x11642, 0x1173C,
    0x1173D, 0x1173E, 0x11A42, 0x11A43, 0x11A9B, 0x11A9C, 0x11C41, 0x11C42,
    0x16A6E, 0x16A6F, 0x16AF5, 0x16B37, 0x16B38, 0x16B44, 0x1BC9F, 0x1DA88,
};

int words_is_sent_punct(int32_t c)
{
    if (c < 0x80) return c == '!' || c == '.' || c == '?';
    return quality_in_sorted((uint32_t)c, spacy_punct_chars,
                             sizeof spacy_punct_chars / sizeof *spacy_punct_chars);
}

/* The ASCII code points of Unicode category P* ("!\"#%&'()*,-./:;?@[\\]_{}"),
 * as a bit set. */
static const uint64_t ascii_punct_mask[2] = {0x8C00F7EE00000000ULL, 0x28000000B8000001ULL};

int words_stop_index(const char *t, size_t len)
{
    switch (len) {
    case 2: return !memcmp(t, "be", 2) ? 1 : !memcmp(t, "to", 2) ? 2 : !memcmp(t, "of", 2) ? 3 : -1;
    case 3: return !memcmp(t, "the", 3) ? 0 : !memcmp(t, "and", 3) ? 4 : -1;
    case 4: return !memcmp(t, "that", 4) ? 5 : !memcmp(t, "have", 4) ? 6 : !memcmp(t, "with", 4) ? 7 : -1;
    }
    return -1;
}

static int is_stop_word(const unsigned char *s, size_t len) { return words_stop_index((const char *)s, len) >= 0; }

/* Room for one more token and its hash. */
static void grow_toks(words_ctx *w)
{
    if (w->ntoks == w->tok_cap) {
        w->tok_cap = w->tok_cap ? w->tok_cap * 2 : 4096;
        w->toks = quality_xrealloc(w->toks, w->tok_cap * sizeof *w->toks);
    }
    if (w->thash_ok && w->thash_cap < w->tok_cap) {
        w->thash = quality_xrealloc(w->thash, w->tok_cap * sizeof *w->thash);
        w->thash_cap = w->tok_cap;
    }
}

static void push_token(words_ctx *w, const char *text, size_t off, size_t len, size_t ncp)
{
    grow_toks(w);
    token *t = &w->toks[w->ntoks++];
    t->off = off;
    t->len = (uint32_t)len;
    t->ncp = (uint32_t)ncp;
    /* flags */
    const unsigned char *s = (const unsigned char *)text + off;
    uint32_t f = TF_PUNCT;
    int32_t first = 0;
    size_t a = 0;
    uint32_t any = 0, all = TF_PUNCT;
    /* ASCII bytes by the table of words_init (the reference path: each code
     * point by the rules below) */
    while (!w->no_cache && a < len && s[a] < 0x80) {
        any |= w->ascii_flags[s[a]];
        all &= w->ascii_flags[s[a]];
        a++;
    }
    if (a == len && len && !w->no_cache) {
        f = (any & (TF_ALPHA | TF_NONSYM)) | (all & TF_PUNCT);
        if (ncp == 1 && words_is_sent_punct(s[0])) f |= TF_SENT;
        if (len >= 2 && len <= 4 && is_stop_word(s, len)) f |= TF_STOP;
        t->flags = f;
        return;
    }
    for (size_t i = 0; i < len;) {
        int32_t c;
        i += utf8_decode_at(s, len, i, &c);
        if (i == len || first == 0) first = first ? first : c;
        if (is_alpha(c)) f |= TF_ALPHA;
        if (!in_datatrove_punct(c)) f |= TF_NONSYM;
        if (c < 0x80 ? !((ascii_punct_mask[c >> 6] >> (c & 63)) & 1) : !is_punct_cat(c))
            f &= ~(uint32_t)TF_PUNCT;
    }
    if (ncp == 1 && words_is_sent_punct(first)) f |= TF_SENT;
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
static void abbrev_init(words_ctx *w)
{
    for (const char *const *a = abbreviations; *a; a++) {
        int32_t c[16];
        size_t n = 0, len = strlen(*a);
        for (size_t k = 0; k < len && n < 16;) k += utf8_decode_at((const unsigned char *)*a, len, k, &c[n++]);
        uint64_t h = cps_hash(c, n);
        size_t j = h & 511;
        while (w->abbrev_hash[j]) j = (j + 1) & 511;
        w->abbrev_hash[j] = h;
        w->abbrev_len[j] = (uint8_t)n;
    }
}

static int is_abbrev(const words_ctx *w, const int32_t *c, size_t n)
{
    if (n > 8) return 0;
    uint64_t h = cps_hash(c, n);
    for (size_t j = h & 511; w->abbrev_hash[j]; j = (j + 1) & 511)
        if (w->abbrev_hash[j] == h && w->abbrev_len[j] == n) return 1;
    return 0;
}

/* If cps[0..n) is a spaCy special case, writes its parts' lengths and returns
 * how many (>= 1); otherwise 0. */
static int special_case(const words_ctx *w, const int32_t *c, size_t n, size_t parts[3])
{
    if (n == 0 || n > 12) return 0;
    if (is_abbrev(w, c, n)) {
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
_Static_assert(sizeof units / sizeof units[0] == N_UNITS + 1, "N_UNITS counts the units");

/* The units as code points (words_init), so that a suffix is compared
 * without decoding the list again for every digit it follows. */
static void units_init(words_ctx *w)
{
    size_t u = 0;
    for (const char *const *p = units; *p; p++, u++) {
        const unsigned char *s = (const unsigned char *)*p;
        size_t len = strlen(*p), n = 0;
        for (size_t k = 0; k < len && n < UNIT_MAX_CPS;) k += utf8_decode_at(s, len, k, &w->unit_cps[u][n++]);
        w->unit_len[u] = (uint8_t)n;
    }
}

static int is_unit(const words_ctx *w, const int32_t *c, size_t n)
{
    for (size_t u = 0; u < N_UNITS; u++) {
        if (w->unit_len[u] != n || w->unit_cps[u][0] != c[0]) continue;
        size_t i = 1;
        while (i < n && w->unit_cps[u][i] == c[i]) i++;
        if (i == n) return 1;
    }
    return 0;
}

static int suffix_at(const words_ctx *w, const int32_t *c, size_t n, size_t p)
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
            /* (?<=°[FfCcKk])\. : "70°F." keeps "°F" apart from its full stop */
            if (p >= 2 && c[p - 2] == 0xB0 && before > 0 && before < 0x80 && strchr("FfCcKk", before))
                return 1;
        }
    }
    if (k == 2) {
        if (is_apos(x) && (c[p + 1] == 's' || c[p + 1] == 'S')) return 1;
        if (x == 0x2026 && c[p + 1] == 0x2026) return 1;
    }
    if (is_digit(before)) {
        if (k == 1 && is_currency(x)) return 1;
        if (k <= UNIT_MAX_CPS && is_unit(w, c + p, k)) return 1;
    }
    return 0;
}

static size_t find_suffix(const words_ctx *w, const int32_t *c, size_t n)
{
    if (!n) return 0;
    size_t d = n;
    while (d > 0 && c[d - 1] == '.') d--;
    if (n - d >= 2) return n - d;
    for (size_t p = n > 6 ? n - 6 : 0; p < n; p++)
        if (suffix_at(w, c, n, p)) return n - p;
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

static void emit_cp_range(words_ctx *w, const char *text, size_t a, size_t b)
{
    if (b > a) push_token(w, text, w->offs[a], w->offs[b] - w->offs[a], b - a);
}

static void emit_parts(words_ctx *w, const char *text, size_t a, const size_t *parts, int np)
{
    for (int i = 0; i < np; i++) {
        emit_cp_range(w, text, a, a + parts[i]);
        a += parts[i];
    }
}

/* The middle cps[a..b) (a < b); np, parts: its special_case. */
static void attach_middle(words_ctx *w, const char *text, size_t a, size_t b, int np,
                          const size_t *parts)
{
    const int32_t *c = w->cps;
    if (np) {
        emit_parts(w, text, a, parts, np);
        return;
    }
    if (url_match(c + a, b - a)) {
        emit_cp_range(w, text, a, b);
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
        emit_cp_range(w, text, start, i);
        emit_cp_range(w, text, i, i + m);
        start = i + m;
        i += m;
    }
    emit_cp_range(w, text, start, b);
}

/* special_case for cps[a..b), remembered: the affix loop and attach_middle
 * ask about the same range several times. */
typedef struct sc_memo {
    size_t a, b;
    int np;
    size_t parts[3];
} sc_memo;

static int sc_at(const words_ctx *w, sc_memo *m, size_t a, size_t b)
{
    if (m->a != a || m->b != b) {
        m->a = a;
        m->b = b;
        m->np = special_case(w, w->cps + a, b - a, m->parts);
    }
    return m->np;
}

static void tokenize_chunk(words_ctx *w, const char *text, size_t n)
{
    if (n > MAX_CHUNK) {
        emit_cp_range(w, text, 0, n);
        return;
    }
    const int32_t *c = w->cps;
    if (!w->no_cache) {
        /* ASCII letters only (most words): no prefix, suffix, infix or URL
         * rule can match, so the chunk is one token unless it is a special
         * case (a contraction such as "cannot"); the reference path (tests)
         * runs the full rules */
        size_t k = 0;
        while (k < n && (uint32_t)((c[k] | 32) - 'a') < 26) k++;
        size_t parts[3];
        if (k == n) {
            int np = special_case(w, c, n, parts);
            if (np) emit_parts(w, text, 0, parts, np);
            else emit_cp_range(w, text, 0, n);
            return;
        }
        /* ASCII letters and one closing mark (',' ';' ':' '!' '?' ')' ']' '}'
         * '"', or '.' after a lowercase letter): the mark is a suffix and the
         * letters a word, unless the whole chunk is a special case; one
         * opening mark ('(' '[' '{' '"') and letters: a prefix and a word */
        if (n >= 2 && k == n - 1 && c[k] > 0 && c[k] < 0x80 &&
            (strchr(",;:!?)]}\"", (int)c[k]) || (c[k] == '.' && c[k - 1] >= 'a'))) {
            if (!special_case(w, c, n, parts)) {
                int np = special_case(w, c, k, parts);
                if (np) emit_parts(w, text, 0, parts, np);
                else emit_cp_range(w, text, 0, k);
                emit_cp_range(w, text, k, n);
                return;
            }
        } else if (n >= 2 && k == 0 && (c[0] == '(' || c[0] == '[' || c[0] == '{' || c[0] == '"')) {
            size_t j = 1;
            while (j < n && (uint32_t)((c[j] | 32) - 'a') < 26) j++;
            if (j == n && !special_case(w, c, n, parts)) {
                emit_cp_range(w, text, 0, 1);
                int np = special_case(w, c + 1, n - 1, parts);
                if (np) emit_parts(w, text, 1, parts, np);
                else emit_cp_range(w, text, 1, n);
                return;
            }
        }
    }
    sc_memo m = {(size_t)-1, (size_t)-1, 0, {0, 0, 0}};
    size_t a = 0, b = n;
    size_t pre_stack[64], suf_stack[64];  /* lengths */
    int npre = 0, nsuf = 0;
    size_t last = (size_t)-1;
    while (a < b && b - a != last) {
        if (sc_at(w, &m, a, b)) break;
        last = b - a;
        size_t pl = find_prefix(c + a, b - a);
        if (pl && a + pl < b && sc_at(w, &m, a + pl, b)) {
            if (npre < 64) pre_stack[npre++] = pl;
            else emit_cp_range(w, text, a, a + pl);
            a += pl;
            break;
        }
        size_t sl = find_suffix(w, c + a + pl, b - a - pl);
        if (sl && b - sl > a && sc_at(w, &m, a, b - sl)) {
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
        if (a < b && sc_at(w, &m, a, b)) break;
        if (npre >= 64 || nsuf >= 64) break;
    }
    /* prefixes in order */
    size_t p = 0;
    for (int i = 0; i < npre; i++) {
        emit_cp_range(w, text, p, p + pre_stack[i]);
        p += pre_stack[i];
    }
    if (a < b) attach_middle(w, text, a, b, sc_at(w, &m, a, b), m.parts);
    size_t e = b;
    for (int i = nsuf - 1; i >= 0; i--) {
        emit_cp_range(w, text, e, e + suf_stack[i]);
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

static chunk_entry *chunk_find(words_ctx *w, const char *k, size_t n, uint64_t h, int *hit)
{
    size_t mask = CC_SLOTS - 1;
    for (size_t j = h & mask, probes = 0; probes < 8; j = (j + 1) & mask, probes++) {
        chunk_entry *e = &w->chunks[j];
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
    return &w->chunks[h & mask];  /* evict */
}

/* The hashes of the tokens first..ntoks, the tokens of one chunk of blen
 * bytes whose utf8_piece_hash is ch: a chunk that is one token (most) has
 * the chunk's hash, the parts of others are hashed here. */
static inline void chunk_hashes(words_ctx *w, const char *text, size_t first, size_t blen,
                                uint64_t ch)
{
    if (!w->thash_ok) return;
    if (w->ntoks == first + 1 && w->toks[first].len == blen) {
        w->thash[first] = ch;
        return;
    }
    for (size_t k = first; k < w->ntoks; k++)
        w->thash[k] = utf8_piece_hash(text + w->toks[k].off, w->toks[k].len);
}

/* Tokens of the chunks cv[0..nc) of text, whose offsets are relative to
 * text + base. */
static void split_chunks(words_ctx *w, const char *text, const ws_span *cv, size_t nc,
                         size_t base)
{
    const unsigned char *s = (const unsigned char *)text;
    int use_cache = w->chunks && !w->no_cache;
    size_t i;
    /* chunks are looked up in the cache with the slot of the chunk 24 ahead
     * prefetched, since a probe of the multi-megabyte table is otherwise a
     * wait on memory */
    for (size_t c = 0; c < nc; c++) {
        if (use_cache && c + 24 < nc) {
            const char *pf = (const char *)&w->chunks[cv[c + 24].hash & (CC_SLOTS - 1)];
            __builtin_prefetch(pf);
        }
        int32_t cp;
        i = base + cv[c].off;
        size_t j = base + cv[c].end;
        size_t blen = j - i;
        chunk_entry *ce = NULL;
        uint64_t h = 0;
        int hit = 0;
        if (use_cache && blen <= CC_MAX_KEY) {
            h = cv[c].hash;
            ce = chunk_find(w, text + i, blen, h, &hit);
        }
        size_t first = w->ntoks;
        if (hit) {
            size_t off = i;
            for (int p = 0; p < ce->nparts; p++) {
                if (w->ntoks == w->tok_cap) grow_toks(w);
                token *t = &w->toks[w->ntoks++];
                t->off = off;
                t->len = ce->bytes[p];
                t->ncp = ce->cps[p];
                t->flags = ce->flags[p];
                off += ce->bytes[p];
            }
            chunk_hashes(w, text, first, blen, h);
            i = j;
            continue;
        }
        /* decode the chunk */
        size_t n = 0;
        for (size_t k2 = i; k2 < j;) {
            size_t k = utf8_decode_at(s, j, k2, &cp);
            if (n < MAX_CHUNK + 1) {
                if (n + 2 > w->cp_cap) {
                    w->cp_cap = w->cp_cap ? w->cp_cap * 2 : 4096;
                    w->cps = quality_xrealloc(w->cps, w->cp_cap * sizeof *w->cps);
                    w->offs = quality_xrealloc(w->offs, w->cp_cap * sizeof *w->offs);
                }
                w->cps[n] = cp;
                w->offs[n] = k2;
            }
            n++;
            k2 += k;
        }
        if (n > MAX_CHUNK) {
            push_token(w, text, i, j - i, n);
        } else {
            w->offs[n] = j;
            tokenize_chunk(w, text, n);
        }
        size_t made = w->ntoks - first;
        if (ce && made >= 1 && made <= CC_PARTS) {
            ce->hash = h;
            ce->key_len = (uint8_t)blen;
            memcpy(ce->key, text + i, blen);
            ce->nparts = (uint8_t)made;
            for (size_t p = 0; p < made; p++) {
                const token *t = &w->toks[first + p];
                ce->bytes[p] = (uint8_t)t->len;
                ce->cps[p] = (uint8_t)t->ncp;
                ce->flags[p] = (uint8_t)t->flags;
            }
        }
        chunk_hashes(w, text, first, blen, cv[c].hash);
        i = j;
    }
}

#define THASH_MAX_TEXT ((size_t)1 << 20)

/* Without the caller's split, a text is split in windows of this many bytes
 * (extended to the next space or newline), so a huge text costs no
 * whitespace split of its own. */
#define SPLIT_WINDOW ((size_t)1 << 20)

void words_split(words_ctx *w, const char *text, size_t len)
{
    /* the measures of one document share one tokenization: that of the
     * caller's split (valid until quality_use_split is called again), or of
     * a text with the same xxh3 */
    const ws_spans *sp = w->ext;
    int from_ext = sp && sp->text == text && sp->len == len;
    if (from_ext) {
        if (w->tok_valid && w->tok_ext && w->tok_len == len) return;
        w->tok_ext = 1;
    } else {
        uint64_t th = xxh3_64(text, len);
        if (w->tok_valid && !w->tok_ext && w->tok_len == len && w->tok_hash == th) return;
        w->tok_ext = 0;
        w->tok_hash = th;
    }
    w->tok_valid = 1;
    w->tok_len = len;
    w->ntoks = 0;
    if (!w->chunks) w->chunks = mem_big_calloc(CC_SLOTS * sizeof *w->chunks);   /* 2 MiB-aligned */
    /* Room for a quarter token per byte (English web text has about 0.2)
     * before the first token: growing by copying would hold the old and the
     * new array at once. Pages are touched only as tokens fill them. */
    size_t want = len / 4 + 4096;
    if (w->tok_cap < want) {
        free(w->toks);
        w->toks = mem_big_alloc(want * sizeof *w->toks);
        if (!w->toks) abort();   /* out of memory, as quality_xrealloc */
        w->tok_cap = want;
    }
    /* token hashes (8 bytes a token) only up to 1 MiB of text: a huge text's
     * tables are what bounds the measures' memory */
    w->thash_ok = len <= THASH_MAX_TEXT;
    if (w->thash_ok && w->thash_cap < w->tok_cap) {
        free(w->thash);
        w->thash = mem_big_alloc(w->tok_cap * sizeof *w->thash);
        if (!w->thash) abort();   /* out of memory, as quality_xrealloc */
        w->thash_cap = w->tok_cap;
    }
    /* the chunks (whitespace pieces) with their hashes: the caller's split
     * of this text when it gave one (quality_use_split), else our own, a
     * window at a time */
    if (from_ext) {
        split_chunks(w, text, sp->v, sp->n, 0);
        return;
    }
    for (size_t a = 0; a < len;) {
        size_t b = len - a > SPLIT_WINDOW ? a + SPLIT_WINDOW : len;
        while (b < len && text[b] != ' ' && text[b] != '\n') b++;   /* never inside a chunk */
        if (ws_split(&w->own, text + a, b - a) < 0) abort();   /* out of memory */
        split_chunks(w, text, w->own.v, w->own.n, a);
        a = b;
    }
}

/* spaCy's Sentencizer over t[0..n): 1 + the number of tokens that are
 * neither punctuation nor sentence punct and follow a sentence punct. */
size_t words_sentences(const token *t, size_t n)
{
    if (!n) return 0;
    size_t k = 1;
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t f = t[i].flags;
        if (seen && !(f & TF_PUNCT) && !(f & TF_SENT)) {
            k++;
            seen = 0;
        } else if (f & TF_SENT) {
            seen = 1;
        }
    }
    return k;
}

void words_init(words_ctx *w)
{
    memset(w, 0, sizeof *w);
    abbrev_init(w);
    units_init(w);
    /* push_token's flags of an ASCII code point: TF_ALPHA, TF_NONSYM, and
     * TF_PUNCT when it is Unicode punctuation */
    for (int32_t c = 0; c < 128; c++)
        w->ascii_flags[c] = (uint8_t)((is_alpha(c) ? TF_ALPHA : 0) |
                                      (in_datatrove_punct(c) ? 0 : TF_NONSYM) |
                                      ((ascii_punct_mask[c >> 6] >> (c & 63)) & 1 ? TF_PUNCT : 0));
}

void words_free(words_ctx *w)
{
    free(w->toks);
    free(w->thash);
    free(w->cps);
    free(w->offs);
    free(w->chunks);
    ws_free(&w->own);
    memset(w, 0, sizeof *w);
}
