#include "rules.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef enum { N_OR, N_AND, N_NOT, N_CMP, N_TRUTH } node_kind;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } cmp_op;
typedef enum { V_NUM, V_STR, V_BOOL, V_NULL } val_kind;

typedef struct node {
    node_kind kind;
    struct node *a, *b;       /* children (OR/AND: a, b; NOT: a) */
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
} parser;

static node *new_node(node_kind k)
{
    node *x = calloc(1, sizeof *x);
    x->kind = k;
    return x;
}

static void free_node(node *x)
{
    if (!x) return;
    free_node(x->a);
    free_node(x->b);
    free(x->set);
    free(x->key);
    free(x->str);
    free(x);
}

static void ws(parser *ps)
{
    while (ps->p < ps->n && isspace((unsigned char)ps->s[ps->p])) ps->p++;
}

static node *fail(parser *ps, const char *what)
{
    if (!ps->failed) {
        ps->failed = 1;
        if (ps->p >= ps->n)
            err_set(ps->e, "rule \"%s\": column %zu: expected %s, found end of rule", ps->s, ps->p + 1, what);
        else
            err_set(ps->e, "rule \"%s\": column %zu: expected %s, found '%c'", ps->s, ps->p + 1, what, ps->s[ps->p]);
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
    char *end;
    double v = strtod(s + ps->p, &end);
    if (end == s + ps->p || (size_t)(end - s) > ps->n || !(s[ps->p] == '-' || s[ps->p] == '+' || s[ps->p] == '.' || isdigit((unsigned char)s[ps->p]))) {
        fail(ps, "a value (a number, a \"string\", true, false or null)");
        return -1;
    }
    x->vk = V_NUM;
    x->num = v;
    ps->p = (size_t)(end - s);
    return 0;
}

static node *parse_primary(parser *ps)
{
    ws(ps);
    if (ps->p < ps->n && ps->s[ps->p] == '!' && !(ps->p + 1 < ps->n && ps->s[ps->p + 1] == '=')) {
        ps->p++;
        node *inner = parse_primary(ps);
        if (!inner) return NULL;
        node *x = new_node(N_NOT);
        x->a = inner;
        return x;
    }
    if (ps->p < ps->n && ps->s[ps->p] == '(') {
        ps->p++;
        node *x = parse_or(ps);
        if (!x) return NULL;
        ws(ps);
        if (ps->p >= ps->n || ps->s[ps->p] != ')') {
            free_node(x);
            return fail(ps, "')'");
        }
        ps->p++;
        return x;
    }
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

static node *parse_and(parser *ps)
{
    node *x = parse_primary(ps);
    for (;;) {
        if (!x) return NULL;
        ws(ps);
        if (ps->p + 1 < ps->n && ps->s[ps->p] == '&' && ps->s[ps->p + 1] == '&') {
            ps->p += 2;
            node *y = parse_primary(ps);
            if (!y) { free_node(x); return NULL; }
            node *z = new_node(N_AND);
            z->a = x; z->b = y;
            x = z;
        } else
            return x;
    }
}

static node *parse_or(parser *ps)
{
    node *x = parse_and(ps);
    for (;;) {
        if (!x) return NULL;
        ws(ps);
        if (ps->p + 1 < ps->n && ps->s[ps->p] == '|' && ps->s[ps->p + 1] == '|') {
            ps->p += 2;
            node *y = parse_and(ps);
            if (!y) { free_node(x); return NULL; }
            node *z = new_node(N_OR);
            z->a = x; z->b = y;
            x = z;
        } else
            return x;
    }
}

rule *rule_parse(const char *src, blalm_err *e)
{
    parser ps = {src, 0, strlen(src), e, 0};
    node *root = parse_or(&ps);
    if (root) {
        ws(&ps);
        if (ps.p < ps.n) {
            free_node(root);
            root = fail(&ps, "'&&', '||', ')' or the end of the rule");
        }
    }
    if (!root) {
        if (!ps.failed) err_set(e, "rule \"%s\": invalid", src);
        return NULL;
    }
    rule *r = malloc(sizeof *r);
    r->src = strdup(src);
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
        if (k < 0) return err_set(e, "rule \"%s\": column %d: unknown attribute set '%s'", r->src, x->col, x->set);
        if (k == 0)
            return err_set(e, "rule \"%s\": column %d: unknown key '%s' in attribute set '%s'", r->src, x->col,
                           x->key, x->set);
        return 0;
    }
    if (check_node(r, x->a, known, ctx, e) < 0) return -1;
    return check_node(r, x->b, known, ctx, e);
}

int rule_check(const rule *r, rule_known_fn known, void *ctx, blalm_err *e)
{
    return check_node(r, r->root, known, ctx, e);
}

static void refs_node(const node *x, void (*fn)(void *, const char *, const char *), void *ctx)
{
    if (!x) return;
    if (x->kind == N_CMP || x->kind == N_TRUTH) fn(ctx, x->set, x->key);
    refs_node(x->a, fn, ctx);
    refs_node(x->b, fn, ctx);
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

static int eval_node(const rule *r, const node *x, const cJSON *attrs, blalm_err *e)
{
    int a;
    switch (x->kind) {
    case N_OR:
        if ((a = eval_node(r, x->a, attrs, e)) != 0) return a;
        return eval_node(r, x->b, attrs, e);
    case N_AND:
        if ((a = eval_node(r, x->a, attrs, e)) <= 0) return a;
        return eval_node(r, x->b, attrs, e);
    case N_NOT:
        if ((a = eval_node(r, x->a, attrs, e)) < 0) return a;
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
        return err_set(e, "rule \"%s\": column %d: %s.%s is not a boolean or number", r->src, x->col, x->set, x->key);
    }
    if (!v) return 0;   /* missing: every comparison is false */
    if (x->vk == V_NULL) {
        if (x->op != OP_EQ && x->op != OP_NE)
            return err_set(e, "rule \"%s\": column %d: null can only be compared with == or !=", r->src, x->col);
        return cmp_result(x->op, cJSON_IsNull(v) ? 0 : 1);
    }
    if (cJSON_IsNull(v)) return 0;   /* null compared with a value: false */
    switch (x->vk) {
    case V_NUM:
        if (!cJSON_IsNumber(v))
            return err_set(e, "rule \"%s\": column %d: %s.%s is not a number", r->src, x->col, x->set, x->key);
        return cmp_result(x->op, v->valuedouble < x->num ? -1 : v->valuedouble > x->num ? 1 : 0);
    case V_STR:
        if (!cJSON_IsString(v))
            return err_set(e, "rule \"%s\": column %d: %s.%s is not a string", r->src, x->col, x->set, x->key);
        if (x->op != OP_EQ && x->op != OP_NE)
            return err_set(e, "rule \"%s\": column %d: strings can only be compared with == or != (not %s)", r->src,
                           x->col, op_name(x->op));
        return cmp_result(x->op, strcmp(v->valuestring, x->str));
    case V_BOOL:
        if (!cJSON_IsBool(v))
            return err_set(e, "rule \"%s\": column %d: %s.%s is not a boolean", r->src, x->col, x->set, x->key);
        if (x->op != OP_EQ && x->op != OP_NE)
            return err_set(e, "rule \"%s\": column %d: booleans can only be compared with == or !=", r->src, x->col);
        return cmp_result(x->op, (cJSON_IsTrue(v) ? 1 : 0) - x->boolean);
    default:
        return 0;
    }
}

int rule_eval(const rule *r, const cJSON *attrs, blalm_err *e) { return eval_node(r, r->root, attrs, e); }
