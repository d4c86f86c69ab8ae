/* parquet_meta.c - Thrift compact protocol and parquet footer metadata.
 *
 * Only the fields the reader and `fetch --max-words` use are kept; every
 * other field is skipped by type, so newer writers' additions are harmless.
 * Every read is bounds-checked; an error is sticky in thrift_in and carries
 * the byte offset where it happened. */
#include "parquet_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIN_MAX_DEPTH 64

void tin_init(thrift_in *t, const uint8_t *p, size_t n, uint64_t base_off)
{
    t->p = t->base = p;
    t->end = p + n;
    t->base_off = base_off;
    t->err = 0;
    t->err_off = 0;
    t->err_what = NULL;
}

int tin_fail(thrift_in *t, const char *what)
{
    if (!t->err) {
        t->err = 1;
        t->err_off = t->base_off + (uint64_t)(t->p - t->base);
        t->err_what = what;
    }
    t->p = t->end;
    return 0;
}

/* File offset of the next byte to read. */
static uint64_t tin_pos(const thrift_in *t) { return t->base_off + (uint64_t)(t->p - t->base); }

int64_t zigzag_decode(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

uint64_t tin_varint(thrift_in *t)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (t->p >= t->end) { tin_fail(t, "truncated varint"); return 0; }
        uint8_t b = *t->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    tin_fail(t, "varint longer than 10 bytes");
    return 0;
}

int64_t tin_zigzag(thrift_in *t) { return zigzag_decode(tin_varint(t)); }

int tin_field(thrift_in *t, int16_t *last_id, int *type, int16_t *id)
{
    if (t->err) return 0;
    if (t->p >= t->end) return tin_fail(t, "truncated struct (no stop field)");
    uint8_t b = *t->p++;
    if (b == 0) return 0;
    *type = b & 0x0f;
    int delta = b >> 4;
    if (delta) *id = (int16_t)(*last_id + delta);
    else *id = (int16_t)tin_zigzag(t);
    *last_id = *id;
    if (*type > TT_STRUCT) return tin_fail(t, "unknown thrift field type");
    return !t->err;
}

int64_t tin_list(thrift_in *t, int *elem_type)
{
    if (t->err) return 0;
    if (t->p >= t->end) return tin_fail(t, "truncated list header");
    uint8_t b = *t->p++;
    *elem_type = b & 0x0f;
    int64_t n = b >> 4;
    if (n == 15) {
        uint64_t v = tin_varint(t);
        if (v > (uint64_t)(t->end - t->p)) return tin_fail(t, "list longer than the bytes left");
        n = (int64_t)v;
    }
    /* every element takes at least one byte, except booleans of a struct (never in lists) */
    if (n > t->end - t->p && *elem_type != TT_TRUE && *elem_type != TT_FALSE)
        return tin_fail(t, "list longer than the bytes left");
    return t->err ? 0 : n;
}

const uint8_t *tin_binary(thrift_in *t, size_t *n)
{
    *n = 0;
    uint64_t len = tin_varint(t);
    if (t->err) return NULL;
    if (len > (uint64_t)(t->end - t->p)) { tin_fail(t, "string longer than the bytes left"); return NULL; }
    const uint8_t *s = t->p;
    t->p += len;
    *n = (size_t)len;
    return s;
}

double tin_double(thrift_in *t)
{
    if (t->end - t->p < 8) { tin_fail(t, "truncated double"); return 0; }
    double d;
    memcpy(&d, t->p, 8);
    t->p += 8;
    return d;
}

static void tin_skip_depth(thrift_in *t, int type, int depth)
{
    if (t->err) return;
    if (depth > TIN_MAX_DEPTH) { tin_fail(t, "thrift nesting too deep"); return; }
    size_t n;
    switch (type) {
    case TT_TRUE: case TT_FALSE: break;   /* value lives in the field header */
    case TT_BYTE:
        if (t->p >= t->end) tin_fail(t, "truncated byte");
        else t->p++;
        break;
    case TT_I16: case TT_I32: case TT_I64: tin_varint(t); break;
    case TT_DOUBLE: tin_double(t); break;
    case TT_BINARY: tin_binary(t, &n); break;
    case TT_LIST: case TT_SET: {
        int et;
        int64_t cnt = tin_list(t, &et);
        for (int64_t i = 0; i < cnt && !t->err; i++) {
            if (et == TT_TRUE || et == TT_FALSE) tin_skip_depth(t, TT_BYTE, depth + 1);
            else tin_skip_depth(t, et, depth + 1);
        }
        break;
    }
    case TT_MAP: {
        uint64_t cnt = tin_varint(t);
        if (!cnt || t->err) break;
        if (t->p >= t->end) { tin_fail(t, "truncated map header"); break; }
        if (cnt > (uint64_t)(t->end - t->p)) { tin_fail(t, "map longer than the bytes left"); break; }
        uint8_t kv = *t->p++;
        int kt = kv >> 4, vt = kv & 15;
        if (kt == TT_TRUE || kt == TT_FALSE) kt = TT_BYTE;
        if (vt == TT_TRUE || vt == TT_FALSE) vt = TT_BYTE;
        for (uint64_t i = 0; i < cnt && !t->err; i++) {
            tin_skip_depth(t, kt, depth + 1);
            tin_skip_depth(t, vt, depth + 1);
        }
        break;
    }
    case TT_STRUCT: {
        int16_t last = 0, id;
        int ft;
        while (tin_field(t, &last, &ft, &id)) tin_skip_depth(t, ft, depth + 1);
        break;
    }
    default: tin_fail(t, "unknown thrift type");
    }
}

void tin_skip(thrift_in *t, int type) { tin_skip_depth(t, type, 0); }

static int64_t tin_int(thrift_in *t, int type)
{
    if (type != TT_I16 && type != TT_I32 && type != TT_I64 && type != TT_BYTE) {
        tin_skip(t, type);
        tin_fail(t, "expected an integer field");
        return 0;
    }
    if (type == TT_BYTE) {
        if (t->p >= t->end) return tin_fail(t, "truncated byte");
        return (int8_t)*t->p++;
    }
    return tin_zigzag(t);
}

static char *tin_strdup(thrift_in *t, int type)
{
    if (type != TT_BINARY) { tin_skip(t, type); tin_fail(t, "expected a string field"); return NULL; }
    size_t n;
    const uint8_t *s = tin_binary(t, &n);
    if (!s) return NULL;
    char *r = malloc(n + 1);
    if (!r) { tin_fail(t, "out of memory"); return NULL; }
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

/* ---- FileMetaData ------------------------------------------------------- */

/* TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS (each an empty struct). */
static int parse_time_unit(thrift_in *t)
{
    int16_t last = 0, id;
    int ft, unit = 0;
    while (tin_field(t, &last, &ft, &id)) {
        if (id >= 1 && id <= 3 && ft == TT_STRUCT) unit = id;
        tin_skip(t, ft);
    }
    return unit;
}

/* LogicalType union members blalm does not render, by field id (parquet.thrift). */
static const char *logical_name(int id)
{
    switch (id) {
    case 2: return "MAP";
    case 3: return "LIST";
    case 9: return "INTERVAL";
    case 11: return "UNKNOWN (always null)";
    case 13: return "BSON";
    case 16: return "VARIANT";
    case 17: return "GEOMETRY";
    case 18: return "GEOGRAPHY";
    default: return NULL;
    }
}

static void parse_logical(thrift_in *t, pq_schema_el *s)
{
    int16_t last = 0, id;
    int ft;
    while (tin_field(t, &last, &ft, &id)) {
        if (ft != TT_STRUCT) { tin_skip(t, ft); continue; }
        int16_t l2 = 0, id2;
        int ft2;
        switch (id) {
        case 1: case 4: case 12: s->kind = LK_STRING; tin_skip(t, ft); break; /* STRING ENUM JSON */
        case 5:                                                                /* DECIMAL */
            s->kind = LK_DECIMAL;
            while (tin_field(t, &l2, &ft2, &id2)) {
                if (id2 == 1) s->scale = (int)tin_int(t, ft2);
                else if (id2 == 2) s->precision = (int)tin_int(t, ft2);
                else tin_skip(t, ft2);
            }
            break;
        case 6: s->kind = LK_DATE; tin_skip(t, ft); break;
        case 7: case 8:                                                        /* TIME TIMESTAMP */
            s->kind = id == 7 ? LK_TIME : LK_TIMESTAMP;
            while (tin_field(t, &l2, &ft2, &id2)) {
                if (id2 == 2 && ft2 == TT_STRUCT) s->ts_unit = parse_time_unit(t);
                else tin_skip(t, ft2);
            }
            break;
        case 10:                                                               /* INTEGER */
            s->kind = LK_INT;
            while (tin_field(t, &l2, &ft2, &id2)) {
                if (id2 == 1) s->int_bits = (int)tin_int(t, ft2);
                else if (id2 == 2) s->int_signed = ft2 == TT_TRUE;
                else tin_skip(t, ft2);
            }
            break;
        case 14: s->kind = LK_UUID; tin_skip(t, ft); break;
        case 15: s->kind = LK_FLOAT16; tin_skip(t, ft); break;
        default:
            /* a type we do not render: binary columns carrying one are
             * refused (check_schema), never shown as their raw bytes */
            if (logical_name(id)) snprintf(s->unknown_type, sizeof s->unknown_type, "%s", logical_name(id));
            else snprintf(s->unknown_type, sizeof s->unknown_type, "logical type %d", (int)id);
            tin_skip(t, ft);
        }
    }
}

/* Converted types (legacy) fill in what a logical type did not say. */
static void apply_converted(pq_schema_el *s)
{
    if (s->kind != LK_NONE || s->converted < 0) return;
    switch (s->converted) {
    case 0: case 4: case 19: s->kind = LK_STRING; break;
    case 5: s->kind = LK_DECIMAL; break;
    case 6: s->kind = LK_DATE; break;
    case 7: s->kind = LK_TIME; s->ts_unit = 1; break;
    case 8: s->kind = LK_TIME; s->ts_unit = 2; break;
    case 9: s->kind = LK_TIMESTAMP; s->ts_unit = 1; break;
    case 10: s->kind = LK_TIMESTAMP; s->ts_unit = 2; break;
    case 11: case 12: case 13: case 14:
        s->kind = LK_INT; s->int_signed = 0; s->int_bits = 8 << (s->converted - 11); break;
    case 15: case 16: case 17: case 18:
        s->kind = LK_INT; s->int_signed = 1; s->int_bits = 8 << (s->converted - 15); break;
    case 21: s->kind = LK_INTERVAL; break;
    case 1: case 2: case 3: case 20: {
        static const char *const names[] = {"", "MAP", "MAP_KEY_VALUE", "LIST"};
        if (!s->unknown_type[0])
            snprintf(s->unknown_type, sizeof s->unknown_type, "%s", s->converted == 20 ? "BSON" : names[s->converted]);
        return;
    }
    default:
        if (!s->unknown_type[0]) snprintf(s->unknown_type, sizeof s->unknown_type, "converted type %d", s->converted);
        return;
    }
    /* a legacy annotation we know stands in for a logical type we do not */
    s->unknown_type[0] = 0;
}

static void parse_schema_el(thrift_in *t, pq_schema_el *s)
{
    memset(s, 0, sizeof *s);
    s->off = tin_pos(t);
    s->type = -1;
    s->repetition = -1;
    s->converted = -1;
    int16_t last = 0, id;
    int ft;
    while (tin_field(t, &last, &ft, &id)) {
        switch (id) {
        case 1: s->type = (int)tin_int(t, ft); break;
        case 2: s->type_length = (int)tin_int(t, ft); break;
        case 3: s->repetition = (int)tin_int(t, ft); break;
        case 4: free(s->name); s->name = tin_strdup(t, ft); break;
        case 5: s->num_children = (int)tin_int(t, ft); break;
        case 6: s->converted = (int)tin_int(t, ft); break;
        case 7: s->scale = (int)tin_int(t, ft); break;
        case 8: s->precision = (int)tin_int(t, ft); break;
        case 10:
            if (ft == TT_STRUCT) parse_logical(t, s);
            else tin_skip(t, ft);
            break;
        default: tin_skip(t, ft);
        }
    }
    if (!s->name && !t->err) s->name = calloc(1, 1);
    apply_converted(s);
}

static void parse_col_meta(thrift_in *t, pq_chunk *c)
{
    int16_t last = 0, id;
    int ft;
    unsigned seen = 0;
    c->has_meta = 1;
    c->meta_off = tin_pos(t);
    while (tin_field(t, &last, &ft, &id)) {
        if (id > 0 && id < 16) seen |= 1u << id;
        switch (id) {
        case 1: c->type = (int)tin_int(t, ft); break;
        case 4: c->codec = (int)tin_int(t, ft); break;
        case 5: c->num_values = tin_int(t, ft); break;
        case 6: c->total_uncompressed = tin_int(t, ft); break;
        case 7: c->total_compressed = tin_int(t, ft); break;
        case 9: c->data_page_offset = tin_int(t, ft); break;
        case 11: c->dict_page_offset = tin_int(t, ft); break;
        default: tin_skip(t, ft);
        }
    }
    /* required by parquet.thrift: a corrupt footer that lost one would
     * otherwise read as zero values or offset 0 */
    static const int required[] = {1, 4, 5, 7, 9};
    for (size_t i = 0; i < sizeof required / sizeof required[0] && !c->missing; i++)
        if (!(seen & 1u << required[i])) c->missing = required[i];
}

static void parse_chunk(thrift_in *t, pq_chunk *c)
{
    memset(c, 0, sizeof *c);
    c->off = tin_pos(t);
    c->dict_page_offset = -1;
    int16_t last = 0, id;
    int ft;
    while (tin_field(t, &last, &ft, &id)) {
        switch (id) {
        case 1: free(c->file_path); c->file_path = tin_strdup(t, ft); break;
        case 3:
            if (ft == TT_STRUCT) parse_col_meta(t, c);
            else tin_skip(t, ft);
            break;
        case 8: case 9: c->encrypted = 1; tin_skip(t, ft); break;
        default: tin_skip(t, ft);
        }
    }
}

static void parse_rowgroup(thrift_in *t, pq_rowgroup *g)
{
    int16_t last = 0, id;
    int ft, have_rows = 0;
    g->off = tin_pos(t);
    while (tin_field(t, &last, &ft, &id)) {
        if (id == 1 && ft == TT_LIST && !g->chunks) {
            int et;
            int64_t n = tin_list(t, &et);
            if (n > 0 && et != TT_STRUCT) { tin_fail(t, "column chunk list of non-structs"); break; }
            if (n > 0) {
                g->chunks = calloc((size_t)n, sizeof *g->chunks);
                if (!g->chunks) { tin_fail(t, "out of memory"); break; }
                for (int64_t i = 0; i < n && !t->err; i++) {
                    parse_chunk(t, &g->chunks[i]);
                    g->nchunks = (int)i + 1;
                }
            }
        } else if (id == 3) {
            g->num_rows = tin_int(t, ft);
            have_rows = 1;
        } else {
            tin_skip(t, ft);
        }
    }
    if (!g->chunks && !g->missing) g->missing = 1;
    if (!have_rows && !g->missing) g->missing = 3;
}

void pq_meta_free(pq_meta *m)
{
    if (!m) return;
    for (int i = 0; i < m->nschema; i++) free(m->schema[i].name);
    free(m->schema);
    for (int i = 0; i < m->nrg; i++) {
        for (int j = 0; j < m->rgs[i].nchunks; j++) free(m->rgs[i].chunks[j].file_path);
        free(m->rgs[i].chunks);
    }
    free(m->rgs);
    free(m->created_by);
    free(m);
}

pq_meta *pq_meta_parse(const uint8_t *buf, size_t len, uint64_t base_off, blalm_err *e)
{
    pq_meta *m = calloc(1, sizeof *m);
    if (!m) { err_set(e, "out of memory"); return NULL; }
    m->off = base_off;
    thrift_in t;
    tin_init(&t, buf, len, base_off);
    int16_t last = 0, id;
    int ft;
    unsigned seen = 0;
    while (tin_field(&t, &last, &ft, &id)) {
        int et;
        int64_t n;
        if (id > 0 && id < 16) seen |= 1u << id;
        switch (id) {
        case 1: m->version = (int)tin_int(&t, ft); break;
        case 2:
            if (ft != TT_LIST || m->schema) { tin_skip(&t, ft); break; }
            n = tin_list(&t, &et);
            if (n > 0 && et != TT_STRUCT) { tin_fail(&t, "schema list of non-structs"); break; }
            if (n > 0) {
                m->schema = calloc((size_t)n, sizeof *m->schema);
                if (!m->schema) { tin_fail(&t, "out of memory"); break; }
                for (int64_t i = 0; i < n && !t.err; i++) {
                    parse_schema_el(&t, &m->schema[i]);
                    m->nschema = (int)i + 1;
                }
            }
            break;
        case 3: m->rows_off = tin_pos(&t); m->num_rows = tin_int(&t, ft); break;
        case 4:
            if (ft != TT_LIST || m->rgs) { tin_skip(&t, ft); break; }
            n = tin_list(&t, &et);
            if (n > 0 && et != TT_STRUCT) { tin_fail(&t, "row group list of non-structs"); break; }
            if (n > 0) {
                m->rgs = calloc((size_t)n, sizeof *m->rgs);
                if (!m->rgs) { tin_fail(&t, "out of memory"); break; }
                for (int64_t i = 0; i < n && !t.err; i++) {
                    m->nrg = (int)i + 1;
                    parse_rowgroup(&t, &m->rgs[i]);
                }
            }
            break;
        case 6: free(m->created_by); m->created_by = tin_strdup(&t, ft); break;
        case 8: m->encrypted = 1; tin_skip(&t, ft); break;
        default: tin_skip(&t, ft);
        }
    }
    /* Every error names the file offset of the struct (or byte) concerned:
     * the footer has no checksum, so this is what a user can look at. */
    if (t.err) {
        err_set(e, "byte %llu (footer, which starts at byte %llu): %s", (unsigned long long)t.err_off,
                (unsigned long long)base_off, t.err_what);
        pq_meta_free(m);
        return NULL;
    }
    uint64_t end = tin_pos(&t), footer_end = base_off + len;
    if (m->nschema < 1) {
        /* most likely not a footer at all (a truncated file whose last 8
         * bytes were kept, or an overwritten one): say where the struct
         * parsed as FileMetaData stopped */
        if (end < footer_end)
            err_set(e, "byte %llu (footer): no schema (required field 2 of FileMetaData) in the footer; what parses as "
                       "its FileMetaData ends at byte %llu, %llu bytes before the footer does (corrupt or truncated file?)",
                    (unsigned long long)base_off, (unsigned long long)end, (unsigned long long)(footer_end - end));
        else
            err_set(e, "byte %llu (footer): no schema (required field 2 of FileMetaData) in the footer (corrupt or "
                       "truncated file?)", (unsigned long long)base_off);
        pq_meta_free(m);
        return NULL;
    }
    /* The footer has no checksum, so a flipped byte is caught by what must
     * agree: the required fields are there, the row groups' rows add up to
     * the file's, and (when read) each column chunk's values and pages match
     * its row group (parquet_read.c). */
    static const struct { int id; const char *name; } req[] = {
        {1, "version"}, {2, "schema"}, {3, "num_rows"}, {4, "row_groups"}};
    for (int i = 0; i < 4; i++)
        if (!(seen & 1u << req[i].id)) {
            err_set(e, "byte %llu (footer): FileMetaData's required field %d (%s) missing (corrupt footer?)",
                    (unsigned long long)base_off, req[i].id, req[i].name);
            pq_meta_free(m);
            return NULL;
        }
    int64_t sum = 0;
    for (int i = 0; i < m->nrg; i++) {
        const pq_rowgroup *g = &m->rgs[i];
        if (g->missing) {
            err_set(e, "byte %llu (footer): row group %d: required field %d (%s) missing (corrupt footer?)",
                    (unsigned long long)g->off, i, g->missing, g->missing == 1 ? "columns" : "num_rows");
            pq_meta_free(m);
            return NULL;
        }
        if (g->num_rows < 0 || g->num_rows > INT64_MAX - sum) {
            err_set(e, "byte %llu (footer): row group %d has %lld rows", (unsigned long long)g->off, i,
                    (long long)g->num_rows);
            pq_meta_free(m);
            return NULL;
        }
        sum += g->num_rows;
        for (int j = 0; j < g->nchunks; j++)
            if (g->chunks[j].has_meta && g->chunks[j].missing) {
                err_set(e, "byte %llu (footer): row group %d, column chunk %d: ColumnMetaData's required field %d missing (corrupt footer?)",
                        (unsigned long long)g->chunks[j].meta_off, i, j, g->chunks[j].missing);
                pq_meta_free(m);
                return NULL;
            }
    }
    if (sum != m->num_rows) {
        err_set(e, "byte %llu (footer): the file says %lld rows but its %d row groups hold %lld (corrupt footer?)",
                (unsigned long long)m->rows_off, (long long)m->num_rows, m->nrg, (long long)sum);
        pq_meta_free(m);
        return NULL;
    }
    return m;
}

int pq_meta_row_groups(const pq_meta *m) { return m ? m->nrg : 0; }

int64_t pq_meta_num_rows(const pq_meta *m) { return m ? m->num_rows : -1; }

int64_t pq_meta_column_bytes(const pq_meta *m, const char *name)
{
    if (!m) return -1;
    int leaf = -1, k = 0;   /* the leaves, in schema order, are the chunks' order */
    for (int i = 1; i < m->nschema; i++) {
        if (m->schema[i].num_children > 0) continue;
        if (m->schema[i].name && !strcmp(m->schema[i].name, name)) {
            leaf = k;
            break;
        }
        k++;
    }
    if (leaf < 0) return -1;
    int64_t sum = 0;
    for (int g = 0; g < m->nrg; g++)
        if (leaf < m->rgs[g].nchunks && m->rgs[g].chunks[leaf].total_uncompressed > 0 &&
            m->rgs[g].chunks[leaf].total_uncompressed <= INT64_MAX - sum)
            sum += m->rgs[g].chunks[leaf].total_uncompressed;
    return sum;
}

int64_t pq_meta_rows(const pq_meta *m, int rg)
{
    if (!m || rg < 0 || rg >= m->nrg) return -1;
    return m->rgs[rg].num_rows;
}

void pq_chunk_range(const pq_chunk *c, uint64_t *off, uint64_t *len)
{
    int64_t start = c->data_page_offset;
    /* some writers store 0 for "no dictionary"; a real one precedes the data */
    if (c->dict_page_offset > 0 && c->dict_page_offset < start) start = c->dict_page_offset;
    *off = start < 0 ? 0 : (uint64_t)start;
    *len = c->total_compressed < 0 ? 0 : (uint64_t)c->total_compressed;
}

int pq_meta_row_group_range(const pq_meta *m, int rg, uint64_t *offset, uint64_t *len)
{
    *offset = *len = 0;
    if (!m || rg < 0 || rg >= m->nrg || m->rgs[rg].nchunks == 0) return -1;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < m->rgs[rg].nchunks; i++) {
        uint64_t o, l;
        pq_chunk_range(&m->rgs[rg].chunks[i], &o, &l);
        if (o + l < o) return -1;
        if (o < lo) lo = o;
        if (o + l > hi) hi = o + l;
    }
    *offset = lo;
    *len = hi - lo;
    return 0;
}
