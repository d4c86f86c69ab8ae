/* rules.h - the selection-rule language (DESIGN.md §3).
 *
 *   expr    := or
 *   or      := and ( "||" and )*
 *   and     := unary ( "&&" unary )*
 *   unary   := "!" unary | "(" expr ")" | compare
 *   compare := ref ( OP value )?        OP: == != < <= > >=
 *   ref     := IDENT "." IDENT          e.g. edu_llm.score, gopher_quality.pass
 *   value   := number | "string" | true | false | null
 *   number  := [+-] ( D+ [ "." D+ ] | "." D+ ) [ (e|E) [+-] D+ ]   finite decimal only
 *              (nan, inf, 0x10, 1e999 and 1. are errors)
 *
 * A bare ref is true when the attribute is boolean true (or a non-zero
 * number). Parse errors give the 1-based column, and quote the rule around
 * it. Comparing a missing attribute is false (an audit reports it as
 * missing). A rule is at most RULE_MAX_BYTES long and nests '(' and '!' at
 * most RULE_MAX_DEPTH deep; && and || chains of any length within that are
 * evaluated without deep recursion. */
#ifndef BLALM_RULES_H
#define BLALM_RULES_H

#include <cjson/cJSON.h>
#include "err.h"

#define RULE_MAX_BYTES 65536
#define RULE_MAX_DEPTH 100

typedef struct rule rule;

rule *rule_parse(const char *src, blalm_err *e);
void rule_free(rule *r);
const char *rule_source(const rule *r);

/* Checks every set.key against a schema callback: known(ctx, set, key) returns
 * 1 if known, 0 for an unknown key, -1 for an unknown set. The error names
 * the first unknown set or key (and its column). */
typedef int (*rule_known_fn)(void *ctx, const char *set, const char *key);
int rule_check(const rule *r, rule_known_fn known, void *ctx, blalm_err *e);

/* Evaluates against attributes given as one object {"set": {"key": value}}.
 * Returns 1 (true), 0 (false); -1 with e set on a type error (e.g. comparing
 * a string with <). */
int rule_eval(const rule *r, const cJSON *attrs, blalm_err *e);

/* Each (set, key) the rule references, for callers that must load sets. */
int rule_refs(const rule *r, void (*fn)(void *ctx, const char *set, const char *key), void *ctx);

#endif
