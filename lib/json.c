#include "json.h"

#include <stdint.h>
#include <string.h>

size_t json_ws(const char *s, size_t n, size_t pos)
{
    while (pos < n && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
        pos++;
    return pos;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_u4(const char *s, size_t n, size_t p, unsigned *out)
{
    if (p + 4 > n) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)s[p + i]);
        if (h < 0) return -1;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 0;
}

static void put_utf8(sbuf *out, unsigned cp)
{
    char b[4];
    size_t k;
    if (cp < 0x80) { b[0] = (char)cp; k = 1; }
    else if (cp < 0x800) { b[0] = (char)(0xC0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3F)); k = 2; }
    else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12); b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)); k = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18); b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F)); k = 4;
    }
    if (out) sb_add(out, b, k);
}

/* Validates one UTF-8 sequence at s[p]; returns its length or 0. */
static size_t seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0xC2) return 0;
    if (c < 0xE0) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)) return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)) return 0;
        return 4;
    }
    return 0;
}

/* Scans (and, if out != NULL, decodes) a string; *pos at the opening quote. */
static int scan_string(const char *s, size_t n, size_t *pos, sbuf *out, const char **what)
{
    size_t p = *pos;
    if (p >= n || s[p] != '"') {
        *what = "'\"'";
        return -1;
    }
    p++;
    size_t run = p;
    for (;;) {
        /* fast path over plain ASCII, eight bytes at a time: stop at a word
         * holding '"', '\\', a control character or a non-ASCII byte */
        while (p + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + p, 8);
            const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
            uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
            uint64_t stop = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
            if (stop & highs) break;
            p += 8;
        }
        while (p < n) {
            unsigned char c = (unsigned char)s[p];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
            p++;
        }
        if (p >= n) {
            *pos = p;
            *what = "a closing '\"' (the string is unterminated)";
            return -1;
        }
        unsigned char c = (unsigned char)s[p];
        if (c == '"') {
            if (out) sb_add(out, s + run, p - run);
            *pos = p + 1;
            return 0;
        }
        if (c < 0x20) {
            *pos = p;
            *what = "an escaped control character (such as \\n or \\u001f), found a raw one in a string";
            return -1;
        }
        if (c >= 0x80) {
            size_t k = seq_len((const unsigned char *)s + p, n - p);
            if (!k) {
                *pos = p;
                *what = "valid UTF-8 in string";
                return -1;
            }
            p += k;
            continue;
        }
        /* backslash */
        if (out) sb_add(out, s + run, p - run);
        if (p + 1 >= n) {
            *pos = p;
            *what = "an escape sequence after '\\'";
            return -1;
        }
        char e = s[p + 1];
        char lit = 0;
        switch (e) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': {
            unsigned u;
            if (read_u4(s, n, p + 2, &u) < 0) {
                *pos = p;
                *what = "4 hex digits after \\u";
                return -1;
            }
            size_t q = p + 6;
            if (u >= 0xD800 && u <= 0xDBFF) {
                unsigned lo;
                if (q + 1 < n && s[q] == '\\' && s[q + 1] == 'u' && read_u4(s, n, q + 2, &lo) == 0 &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    q += 6;
                } else {
                    *pos = p;
                    *what = "a low surrogate \\uDC00-\\uDFFF after a high surrogate";
                    return -1;
                }
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                *pos = p;
                *what = "a high surrogate \\uD800-\\uDBFF before a low surrogate";
                return -1;
            }
            put_utf8(out, u);
            p = run = q;
            continue;
        }
        default:
            *pos = p;
            *what = "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)";
            return -1;
        }
        if (out) sb_addc(out, lit);
        p = run = p + 2;
    }
}

int json_decode_string(const char *s, size_t n, size_t *pos, sbuf *out, const char **what)
{
    return scan_string(s, n, pos, out, what);
}

static int skip_number(const char *s, size_t n, size_t *pos, const char **what)
{
    size_t p = *pos;
    if (p < n && s[p] == '-') p++;
    if (p < n && s[p] == '0') p++;
    else if (p < n && s[p] >= '1' && s[p] <= '9') while (p < n && s[p] >= '0' && s[p] <= '9') p++;
    else { *pos = p; *what = "a digit"; return -1; }
    if (p < n && s[p] == '.') {
        p++;
        if (p >= n || s[p] < '0' || s[p] > '9') { *pos = p; *what = "a digit after '.'"; return -1; }
        while (p < n && s[p] >= '0' && s[p] <= '9') p++;
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < n && (s[p] == '+' || s[p] == '-')) p++;
        if (p >= n || s[p] < '0' || s[p] > '9') { *pos = p; *what = "a digit in the exponent"; return -1; }
        while (p < n && s[p] >= '0' && s[p] <= '9') p++;
    }
    *pos = p;
    return 0;
}

static int skip_value_depth(const char *s, size_t n, size_t *pos, const char **what, int depth)
{
    size_t p = json_ws(s, n, *pos);
    if (depth > 512) { *pos = p; *what = "nesting no deeper than 512"; return -1; }
    if (p >= n) { *pos = p; *what = "a value"; return -1; }
    char c = s[p];
    if (c == '"') {
        *pos = p;
        return scan_string(s, n, pos, NULL, what);
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        p = json_ws(s, n, p + 1);
        if (p < n && s[p] == close) { *pos = p + 1; return 0; }
        for (;;) {
            if (c == '{') {
                p = json_ws(s, n, p);
                if (scan_string(s, n, &p, NULL, what) < 0) {
                    if (p < n && s[p] != '"') *what = "a string key";
                    *pos = p;
                    return -1;
                }
                p = json_ws(s, n, p);
                if (p >= n || s[p] != ':') { *pos = p; *what = "':'"; return -1; }
                p++;
            }
            if (skip_value_depth(s, n, &p, what, depth + 1) < 0) { *pos = p; return -1; }
            p = json_ws(s, n, p);
            if (p < n && s[p] == ',') { p++; continue; }
            if (p < n && s[p] == close) { *pos = p + 1; return 0; }
            *pos = p;
            *what = c == '{' ? "',' or '}'" : "',' or ']'";
            return -1;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        *pos = p;
        return skip_number(s, n, pos, what);
    }
    static const char *const lits[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t k = strlen(lits[i]);
        if (p + k <= n && !memcmp(s + p, lits[i], k)) { *pos = p + k; return 0; }
    }
    *pos = p;
    *what = "a JSON value";
    return -1;
}

int json_skip_value(const char *s, size_t n, size_t *pos, const char **what)
{
    return skip_value_depth(s, n, pos, what, 0);
}

int json_skip_nested(const char *s, size_t n, size_t *pos, const char **what, int depth)
{
    return skip_value_depth(s, n, pos, what, depth);
}

int json_object_key(const char *s, size_t n, size_t *pos, int *first, sbuf *key, const char **what)
{
    size_t p = json_ws(s, n, *pos);
    if (*first) {
        if (p >= n || s[p] != '{') { *pos = p; *what = "'{'"; return -1; }
        p = json_ws(s, n, p + 1);
        *first = 0;
        if (p < n && s[p] == '}') { *pos = p + 1; return 0; }
    } else {
        if (p < n && s[p] == '}') { *pos = p + 1; return 0; }
        if (p >= n || s[p] != ',') { *pos = p; *what = "',' or '}'"; return -1; }
        p = json_ws(s, n, p + 1);
    }
    sb_reset(key);
    if (p >= n || s[p] != '"') { *pos = p; *what = "a string key"; return -1; }
    if (scan_string(s, n, &p, key, what) < 0) { *pos = p; return -1; }
    p = json_ws(s, n, p);
    if (p >= n || s[p] != ':') { *pos = p; *what = "':'"; return -1; }
    *pos = json_ws(s, n, p + 1);
    return 1;
}

int json_object_next(const char *s, size_t n, size_t *pos, int *first, sbuf *key, size_t *v0, size_t *v1,
                     const char **what)
{
    int k = json_object_key(s, n, pos, first, key, what);
    if (k != 1) return k;
    size_t p = *pos;
    *v0 = p;
    if (skip_value_depth(s, n, &p, what, 1) < 0) { *pos = p; return -1; }
    *v1 = p;
    *pos = p;
    return 1;
}

int json_member_string(const char *s, size_t n, const char *key, sbuf *out)
{
    sbuf k;
    sb_init(&k);
    size_t pos = 0, v0, v1, klen = strlen(key);
    int first = 1, r;
    const char *what;
    while ((r = json_object_next(s, n, &pos, &first, &k, &v0, &v1, &what)) == 1) {
        if (k.len != klen || memcmp(k.data, key, klen) != 0) continue;
        r = 0;
        if (s[v0] == '"') {
            sb_reset(out);
            size_t p = v0;
            r = json_decode_string(s, n, &p, out, &what) < 0 ? -1 : 1;
        }
        break;
    }
    sb_free(&k);
    return r;
}

int json_compact(sbuf *out, const char *s, size_t n, const char **what)
{
    sbuf str;
    sb_init(&str);
    size_t p = 0;
    int rc = 0;
    while (p < n) {
        char c = s[p];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') { p++; continue; }
        if (c != '"') {
            size_t q = p;   /* a run of structure, number or literal bytes */
            while (q < n && s[q] != '"' && s[q] != ' ' && s[q] != '\t' && s[q] != '\n' && s[q] != '\r') q++;
            sb_add(out, s + p, q - p);
            p = q;
            continue;
        }
        sb_reset(&str);
        if (scan_string(s, n, &p, &str, what) < 0) { rc = -1; break; }
        sb_json_str(out, str.data ? str.data : "", str.len);
    }
    sb_free(&str);
    return rc;
}
