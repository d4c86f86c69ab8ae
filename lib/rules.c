#include "rules.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { N_OR, N_AND, N_NOT, N_CMP, N_TRUTH } node_kind;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } cmp_op;
typedef enum { V_NUM, V_STR, V_BOOL, V_NULL } val_kind;

/* && and || are n-ary (a chain of 10,000 terms is one node with 10,000
 * children), so that evaluating, checking and freeing recurse only as deep as
 * the nesting of '(' and '!', which the parser bounds. */
typedef struct node {
    node_kind kind;
    struct node **kids;       /* OR/AND: nkids children; NOT: kids[0] */
    int nkids, capkids;
    char *set, *key;          /* CMP / TRUTH */
    int col;                  /* column of the reference, 1-based */
    cmp_op op;
    val_kind vk;
    double num;
    char *str;
    int boolean;
} node;

struct rule {
    char *src;
    node *root;
};

typedef struct parser {
    const char *s;
    size_t p, n;
    blalm_err *e;
    int failed;
    int depth;                /* '(' and '!' currently open */
} parser;

static node *new_node(node_kind k)
{
    node *x = calloc(1, sizeof *x);
    if (x) x->kind = k;
    return x;
}

static int add_kid(node *x, node *k)
{
    if (x->nkids == x->capkids) {
        int c = x->capkids ? x->capkids * 2 : 4;
        node **v = realloc(x->kids, (size_t)c * sizeof *v);
        if (!v) return -1;
        x->kids = v;
        x->capkids = c;
    }
    x->kids[x->nkids++] = k;
    return 0;
}

static void free_node(node *x)
{
    if (!x) return;
    for (int i = 0; i < x->nkids; i++) free_node(x->kids[i]);
    free(x->kids);
    free(x->set);
    free(x->key);
    free(x->str);
    free(x);
}

/* The rule as quoted in an error: whole when short, else the part around
 * byte `at` (0-based), so the place of the problem is always shown. */
static void quote_rule(const char *src, size_t at, char *out, size_t cap)
{
    size_t n = strlen(src);
    if (n <= 120) {
        snprintf(out, cap, "\"%s\"", src);
        return;
    }
    size_t a = at > 60 ? at - 60 : 0, b = at + 40 < n ? at + 40 : n;
    while (a > 0 && ((unsigned char)src[a] & 0xC0) == 0x80) a--;   /* whole code points */
    while (b < n && ((unsigned char)src[b] & 0xC0) == 0x80) b++;
    snprintf(out, cap, "of %zu bytes, near \"%s%.*s%s\"", n, a ? "..." : "", (int)(b - a), src + a,
             b < n ? "..." : "");
}

static void ws(parser *ps)
{
    while (ps->p < ps->n && isspace((unsigned char)ps->s[ps->p])) ps->p++;
}

static node *fail_at(parser *ps, size_t at, const char *what)
{
    if (!ps->failed) {
        ps->failed = 1;
        char q[256];
        quote_rule(ps->s, at, q, sizeof q);
        if (at >= ps->n) {
            err_set(ps->e, "rule %s: column %zu: expected %s, found end of rule", q, at + 1, what);
        } else {
            unsigned char c = (unsigned char)ps->s[at];
            char found[16];
            if (c >= 0x20 && c < 0x7f) snprintf(found, sizeof found, "'%c'", c);
            else snprintf(found, sizeof found, "byte 0x%02X", c);
            err_set(ps->e, "rule %s: column %zu: expected %s, found %s", q, at + 1, what, found);
        }
    }
    return NULL;
}

static node *fail(parser *ps, const char *what) { return fail_at(ps, ps->p, what); }

static node *oom(parser *ps)
{
    if (!ps->failed) {
        ps->failed = 1;
        err_set(ps->e, "rule: out of memory");
    }
    return NULL;
}

static int is_ident_start(int c) { return isalpha(c) || c == '_'; }
static int is_ident(int c) { return isalnum(c) || c == '_' || c == '-'; }

static char *ident(parser *ps)
{
    size_t a = ps->p;
    if (ps->p >= ps->n || !is_ident_start((unsigned char)ps->s[ps->p])) return NULL;
    while (ps->p < ps->n && is_ident((unsigned char)ps->s[ps->p])) ps->p++;
    return strndup(ps->s + a, ps->p - a);
}

static node *parse_or(parser *ps);

static size_t digits(const char *s, size_t p, size_t n)
{
    size_t a = p;
    while (p < n && isdigit((unsigned char)s[p])) p++;
    return p - a;
}

/* A finite decimal number: [+-] (D+ [. D+] | . D+) [(e|E) [+-] D+], not
 * followed by a letter, digit, '_' or '.' (so 0x10, 1_000, nan, inf and 1.
 * are refused), whose value is finite (1e999 is refused; 1e-400 is 0). */
static int parse_number(parser *ps, node *x)
{
    const char *s = ps->s;
    size_t a = ps->p, p = a, n = ps->n;
    if (p < n && (s[p] == '+' || s[p] == '-')) p++;
    size_t ip = digits(s, p, n);
    p += ip;
    if (p < n && s[p] == '.') {
        size_t fp = digits(s, p + 1, n);
        if (!fp) return -1;
        p += 1 + fp;
    } else if (!ip) {
        return -1;
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        size_t q = p + 1;
        if (q < n && (s[q] == '+' || s[q] == '-')) q++;
        size_t ep = digits(s, q, n);
        if (!ep) return -1;
        p = q + ep;
    }
    if (p < n && (is_ident((unsigned char)s[p]) || s[p] == '.')) return -1;
    char buf[512];
    if (p - a >= sizeof buf) return -1;
    memcpy(buf, s + a, p - a);
    buf[p - a] = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v)) return -1;
    x->vk = V_NUM;
    x->num = v;
    ps->p = p;
    return 0;
}

static int parse_value(parser *ps, node *x)
{
    ws(ps);
    const char *s = ps->s;
    if (ps->p < ps->n && s[ps->p] == '"') {
        size_t a = ++ps->p;
        while (ps->p < ps->n && s[ps->p] != '"') ps->p++;
        if (ps->p >= ps->n) { fail(ps, "a closing '\"'"); return -1; }
        x->vk = V_STR;
        x->str = strndup(s + a, ps->p - a);
        ps->p++;
        return 0;
    }
    static const struct { const char *w; val_kind k; int b; } words[] = {
        {"true", V_BOOL, 1}, {"false", V_BOOL, 0}, {"null", V_NULL, 0}};
    for (int i = 0; i < 3; i++) {
        size_t k = strlen(words[i].w);
        if (ps->p + k <= ps->n && !strncmp(s + ps->p, words[i].w, k) &&
            (ps->p + k == ps->n || !is_ident((unsigned char)s[ps->p + k]))) {
            x->vk = words[i].k;
            x->boolean = words[i].b;
            ps->p += k;
            return 0;
        }
    }
    if (parse_number(ps, x) < 0) {
        fail(ps, "a value (a finite decimal number such as 3, -0.5 or 1e3, a \"string\", true, false or null)");
        return -1;
    }
    return 0;
}

static node *parse_compare(parser *ps)
{
    int col = (int)ps->p + 1;
    char *set = ident(ps);
    if (!set) return fail(ps, "an attribute (set.key), '!' or '('");
    if (ps->p >= ps->n || ps->s[ps->p] != '.') {
        free(set);
        return fail(ps, "'.' and a key after the attribute set name (set.key)");
    }
    ps->p++;
    char *key = ident(ps);
    if (!key) {
        free(set);
        return fail(ps, "a key name after '.'");
    }
    node *x = new_node(N_TRUTH);
    if (!x) { free(set); free(key); return oom(ps); }
    x->set = set;
    x->key = key;
    x->col = col;
    ws(ps);
    static const struct { const char *t; cmp_op op; } ops[] = {
        {"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"<", OP_LT}, {">", OP_GT}};
    for (int i = 0; i < 6; i++) {
        size_t k = strlen(ops[i].t);
        if (ps->p + k <= ps->n && !strncmp(ps->s + ps->p, ops[i].t, k)) {
            ps->p += k;
            x->kind = N_CMP;
            x->op = ops[i].op;
            if (parse_value(ps, x) < 0) {
                free_node(x);
                return NULL;
            }
            return x;
        }
    }
    if (ps->p < ps->n && (ps->s[ps->p] == '=' || ps->s[ps->p] == '~')) {
        free_node(x);
        return fail(ps, "an operator (== != < <= > >=)");
    }
    return x;
}

static node *parse_primary(parser *ps)
{
    ws(ps);
    int is_not = ps->p < ps->n && ps->s[ps->p] == '!' && !(ps->p + 1 < ps->n && ps->s[ps->p + 1] == '=');
    int is_paren = ps->p < ps->n && ps->s[ps->p] == '(';
    if (!is_not && !is_paren) return parse_compare(ps);
    if (ps->depth >= RULE_MAX_DEPTH) {
        char what[96];
        snprintf(what, sizeof what, "no nesting deeper than %d levels of '(' and '!'", RULE_MAX_DEPTH);
        return fail(ps, what);
    }
    ps->depth++;
    ps->p++;
    node *x;
    if (is_not) {
        node *inner = parse_primary(ps);
        x = NULL;
        if (inner) {
            x = new_node(N_NOT);
            if (!x || add_kid(x, inner) < 0) {
                free(x);
                free_node(inner);
                x = oom(ps);
            }
        }
    } else {
        x = parse_or(ps);
        if (x) {
            ws(ps);
            if (ps->p >= ps->n || ps->s[ps->p] != ')') {
                free_node(x);
                x = fail(ps, "')'");
            } else {
                ps->p++;
            }
        }
    }
    ps->depth--;
    return x;
}

/* One level of a binary-operator chain: term (op term)*, as one n-ary node. */
static node *parse_chain(parser *ps, char opc, node_kind kind, node *(*term)(parser *))
{
    node *x = term(ps), *chain = NULL;
    if (!x) return NULL;
    for (;;) {
        ws(ps);
        if (!(ps->p + 1 < ps->n && ps->s[ps->p] == opc && ps->s[ps->p + 1] == opc)) break;
        ps->p += 2;
        if (!chain) {
            chain = new_node(kind);
            if (!chain || add_kid(chain, x) < 0) {
                free(chain);
                free_node(x);
                return oom(ps);
            }
        }
        node *y = term(ps);
        if (!y) { free_node(chain); return NULL; }
        if (add_kid(chain, y) < 0) { free_node(y); free_node(chain); return oom(ps); }
    }
    return chain ? chain : x;
}

static node *parse_and(parser *ps) { return parse_chain(ps, '&', N_AND, parse_primary); }
static node *parse_or(parser *ps) { return parse_chain(ps, '|', N_OR, parse_and); }

rule *rule_parse(const char *src, blalm_err *e)
{
    parser ps = {src, 0, strlen(src), e, 0, 0};
    if (ps.n > RULE_MAX_BYTES) {
        char q[256];
        quote_rule(src, 0, q, sizeof q);
        err_set(e, "rule %s: longer than %d bytes (%zu); split it, or select in stages", q, RULE_MAX_BYTES,
                ps.n);
        return NULL;
    }
    node *root = parse_or(&ps);
    if (root) {
        ws(&ps);
        if (ps.p < ps.n) {
            free_node(root);
            root = fail(&ps, "'&&', '||', ')' or the end of the rule");
        }
    }
    if (!root) {
        if (!ps.failed) fail_at(&ps, ps.p, "a rule");
        return NULL;
    }
    rule *r = malloc(sizeof *r);
    if (!r || !(r->src = strdup(src))) {
        free(r);
        free_node(root);
        err_set(e, "rule: out of memory");
        return NULL;
    }
    r->root = root;
    return r;
}

void rule_free(rule *r)
{
    if (!r) return;
    free_node(r->root);
    free(r->src);
    free(r);
}

const char *rule_source(const rule *r) { return r->src; }

static int check_node(const rule *r, const node *x, rule_known_fn known, void *ctx, blalm_err *e)
{
    if (!x) return 0;
    if (x->kind == N_CMP || x->kind == N_TRUTH) {
        int k = known(ctx, x->set, x->key);
        if (k > 0) return 0;
        char q[256];
        quote_rule(r->src, (size_t)x->col - 1, q, sizeof q);
        if (k < 0) return err_set(e, "rule %s: column %d: unknown attribute set '%s'", q, x->col, x->set);
        return err_set(e, "rule %s: column %d: unknown key '%s' in attribute set '%s'", q, x->col, x->key,
                       x->set);
    }
    for (int i = 0; i < x->nkids; i++)
        if (check_node(r, x->kids[i], known, ctx, e) < 0) return -1;
    return 0;
}

int rule_check(const rule *r, rule_known_fn known, void *ctx, blalm_err *e)
{
    return check_node(r, r->root, known, ctx, e);
}

static void refs_node(const node *x, void (*fn)(void *, const char *, const char *), void *ctx)
{
    if (!x) return;
    if (x->kind == N_CMP || x->kind == N_TRUTH) fn(ctx, x->set, x->key);
    for (int i = 0; i < x->nkids; i++) refs_node(x->kids[i], fn, ctx);
}

int rule_refs(const rule *r, void (*fn)(void *ctx, const char *set, const char *key), void *ctx)
{
    refs_node(r->root, fn, ctx);
    return 0;
}

static const char *op_name(cmp_op op)
{
    static const char *const names[] = {"==", "!=", "<", "<=", ">", ">="};
    return names[op];
}

static int cmp_result(cmp_op op, int c)
{
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* An evaluation error: the rule quoted around the reference, its column, what. */
static int eval_fail(const rule *r, const node *x, blalm_err *e, const char *fmt, ...) BLALM_PRINTF(4, 5);
static int eval_fail(const rule *r, const node *x, blalm_err *e, const char *fmt, ...)
{
    char q[256], what[512];
    quote_rule(r->src, (size_t)x->col - 1, q, sizeof q);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return err_set(e, "rule %s: column %d: %s", q, x->col, what);
}

static int eval_node(const rule *r, const node *x, const cJSON *attrs, blalm_err *e)
{
    int a;
    switch (x->kind) {
    case N_OR:
        for (int i = 0; i < x->nkids; i++)
            if ((a = eval_node(r, x->kids[i], attrs, e)) != 0) return a;
        return 0;
    case N_AND:
        for (int i = 0; i < x->nkids; i++)
            if ((a = eval_node(r, x->kids[i], attrs, e)) <= 0) return a;
        return 1;
    case N_NOT:
        if ((a = eval_node(r, x->kids[0], attrs, e)) < 0) return a;
        return !a;
    default: break;
    }
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(attrs, x->set);
    const cJSON *v = set ? cJSON_GetObjectItemCaseSensitive(set, x->key) : NULL;
    if (x->kind == N_TRUTH) {
        if (!v) return 0;
        if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
        if (cJSON_IsNumber(v)) return v->valuedouble != 0;
        if (cJSON_IsNull(v)) return 0;
        return eval_fail(r, x, e, "%s.%s is not a boolean or number", x->set, x->key);
    }
    if (!v) return 0;   /* missing: every comparison is false */
    if (x->vk == V_NULL) {
        if (x->op != OP_EQ && x->op != OP_NE)
            return eval_fail(r, x, e, "null can only be compared with == or !=");
        return cmp_result(x->op, cJSON_IsNull(v) ? 0 : 1);
    }
    if (cJSON_IsNull(v)) return 0;   /* null compared with a value: false */
    switch (x->vk) {
    case V_NUM:
        if (!cJSON_IsNumber(v))
            return eval_fail(r, x, e, "%s.%s is not a number", x->set, x->key);
        return cmp_result(x->op, v->valuedouble < x->num ? -1 : v->valuedouble > x->num ? 1 : 0);
    case V_STR:
        if (!cJSON_IsString(v))
            return eval_fail(r, x, e, "%s.%s is not a string", x->set, x->key);
        if (x->op != OP_EQ && x->op != OP_NE)
            return eval_fail(r, x, e, "strings can only be compared with == or != (not %s)", op_name(x->op));
        return cmp_result(x->op, strcmp(v->valuestring, x->str));
    case V_BOOL:
        if (!cJSON_IsBool(v))
            return eval_fail(r, x, e, "%s.%s is not a boolean", x->set, x->key);
        if (x->op != OP_EQ && x->op != OP_NE)
            return eval_fail(r, x, e, "booleans can only be compared with == or !=");
        return cmp_result(x->op, (cJSON_IsTrue(v) ? 1 : 0) - x->boolean);
    default:
        return 0;
    }
}

int rule_eval(const rule *r, const cJSON *attrs, blalm_err *e) { return eval_node(r, r->root, attrs, e); }
