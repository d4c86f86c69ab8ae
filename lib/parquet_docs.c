/* parquet_docs.c - parquet rows as documents (docs.h's backend): the file
 * is read with pread (its footer, then one row group's projected column
 * chunks at a time), its schema is checked for a text column (and an id),
 * and each row becomes {"id", "text", "source", "metadata"} with the other
 * columns' values rendered as JSON (timestamps as ISO-8601 strings,
 * decimals exactly, scalars keeping their type). Only projected columns are
 * ever decompressed (parquet_read.c decodes them). */
#include "parquet_int.h"
#include "sbuf.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

/* ---- rendering metadata values ------------------------------------------ */

static void days_to_civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* frac: fraction of a second in units of 10^-digits, trailing zeros trimmed. */
static int fmt_frac(char *out, int64_t frac, int digits)
{
    if (!frac) { out[0] = 0; return 0; }
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%0*lld", digits, (long long)frac);
    int n = digits;
    while (n > 0 && tmp[n - 1] == '0') n--;
    out[0] = '.';
    memcpy(out + 1, tmp, (size_t)n);
    out[n + 1] = 0;
    return n + 1;
}

/* v = q * d + r with 0 <= r < d, without overflow for any v (d > 0). */
static void floor_divmod(int64_t v, int64_t d, int64_t *q, int64_t *r)
{
    *q = v / d;
    *r = v % d;
    if (*r < 0) { *r += d; *q -= 1; }
}

/* "%04lld" for a year, but a negative one keeps four digits after its sign
 * (ISO 8601: 44 BC is "-0043", not "-043") */
static void year_str(char *out, size_t cap, int64_t y)
{
    if (y < 0) snprintf(out, cap, "-%04lld", -(long long)y);
    else snprintf(out, cap, "%04lld", (long long)y);
}

static void json_timestamp(sbuf *b, int64_t v, int unit)
{
    int64_t per = unit == 1 ? 1000 : unit == 3 ? 1000000000 : 1000000;
    int digits = unit == 1 ? 3 : unit == 3 ? 9 : 6;
    int64_t secs, frac, days, sod;
    floor_divmod(v, per, &secs, &frac);
    floor_divmod(secs, 86400, &days, &sod);
    int64_t y;
    unsigned mo, d;
    days_to_civil(days, &y, &mo, &d);
    char fr[16];
    fmt_frac(fr, frac, digits);
    char ys[32];
    year_str(ys, sizeof ys, y);
    sb_printf(b, "\"%s-%02u-%02uT%02d:%02d:%02d%sZ\"", ys, mo, d, (int)(sod / 3600),
              (int)(sod / 60 % 60), (int)(sod % 60), fr);
}

static void json_time(sbuf *b, int64_t v, int unit)
{
    int64_t per = unit == 1 ? 1000 : unit == 3 ? 1000000000 : 1000000;
    int digits = unit == 1 ? 3 : unit == 3 ? 9 : 6;
    int64_t secs, frac;
    floor_divmod(v, per, &secs, &frac);
    char fr[16];
    fmt_frac(fr, frac, digits);
    sb_printf(b, "\"%02lld:%02d:%02d%s\"", (long long)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), fr);
}

static void json_date(sbuf *b, int64_t days)
{
    int64_t y;
    unsigned mo, d;
    days_to_civil(days, &y, &mo, &d);
    char ys[32];
    year_str(ys, sizeof ys, y);
    sb_printf(b, "\"%s-%02u-%02u\"", ys, mo, d);
}

/* The JSON number digits[0..n) * 10^-scale (digits most significant first,
 * "0" for zero), exactly; check_schema keeps scale within 0..precision. */
static void json_decimal_digits(sbuf *b, int neg, const char *digits, int n, int scale)
{
    if (neg) sb_addc(b, '-');
    if (scale <= 0) {
        sb_add(b, digits, (size_t)n);
    } else if (n <= scale) {
        sb_adds(b, "0.");
        for (int i = 0; i < scale - n; i++) sb_addc(b, '0');
        sb_add(b, digits, (size_t)n);
    } else {
        sb_add(b, digits, (size_t)(n - scale));
        sb_addc(b, '.');
        sb_add(b, digits + n - scale, (size_t)scale);
    }
}

/* Exact decimal text of unscaled * 10^-scale (two's complement, 128 bits), as a JSON number. */
static void json_decimal128(sbuf *b, unsigned __int128 x, int scale)
{
    int neg = (x >> 127) != 0;
    unsigned __int128 u = neg ? ~x + 1 : x;
    char rev[48], digits[48];
    int n = 0;
    do { rev[n++] = (char)('0' + (int)(u % 10)); u /= 10; } while (u);
    for (int i = 0; i < n; i++) digits[i] = rev[n - 1 - i];
    json_decimal_digits(b, neg, digits, n, scale);
}

static void json_decimal(sbuf *b, int64_t unscaled, int scale)
{
    json_decimal128(b, (unsigned __int128)(__int128)unscaled, scale);
}

/* A DECIMAL stored as big-endian two's complement bytes (FIXED_LEN_BYTE_ARRAY
 * or BYTE_ARRAY; none for zero, as hyparquet writes it), of any width up to
 * PQ_MAX_DECIMAL_BYTES (check_schema and check_values refuse wider ones):
 * exactly, by long division of the magnitude by 10^9. */
static void json_decimal_bytes(sbuf *b, const uint8_t *u, uint32_t n, int scale)
{
    if (n <= 16) {
        unsigned __int128 x = n && (u[0] & 0x80) ? ~(unsigned __int128)0 : 0;
        for (uint32_t i = 0; i < n; i++) x = (x << 8) | u[i];
        json_decimal128(b, x, scale);
        return;
    }
    if (n > PQ_MAX_DECIMAL_BYTES) n = PQ_MAX_DECIMAL_BYTES;   /* never: refused before */
    uint32_t limb[PQ_MAX_DECIMAL_BYTES / 4];                 /* little-endian, base 2^32 */
    size_t nl = (n + 3) / 4;
    memset(limb, 0, sizeof limb);
    for (uint32_t i = 0; i < n; i++) {
        size_t bit = (size_t)(n - 1 - i) * 8;
        limb[bit / 32] |= (uint32_t)u[i] << (bit % 32);
    }
    int neg = (u[0] & 0x80) != 0;
    if (neg) {
        /* sign-extend to whole limbs, then negate: the magnitude of the most
         * negative value, 2^(8n-1), still fits in nl limbs */
        for (size_t bit = (size_t)n * 8; bit < nl * 32; bit += 8) limb[bit / 32] |= 0xffu << (bit % 32);
        uint64_t carry = 1;
        for (size_t i = 0; i < nl; i++) {
            uint64_t v = (uint64_t)(uint32_t)~limb[i] + carry;
            limb[i] = (uint32_t)v;
            carry = v >> 32;
        }
    }
    uint32_t chunk[PQ_MAX_DECIMAL_DIGITS / 9 + 2];           /* base 10^9, least significant first */
    int nc = 0;
    while (nl > 0 && !limb[nl - 1]) nl--;
    while (nl > 0) {
        uint64_t rem = 0;
        for (size_t i = nl; i-- > 0;) {
            uint64_t cur = rem << 32 | limb[i];
            limb[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        chunk[nc++] = (uint32_t)rem;
        while (nl > 0 && !limb[nl - 1]) nl--;
    }
    char digits[PQ_MAX_DECIMAL_DIGITS + 32];
    int nd = 0;
    if (!nc) digits[nd++] = '0';
    else nd = snprintf(digits, sizeof digits, "%u", chunk[nc - 1]);
    for (int i = nc - 2; i >= 0; i--) nd += snprintf(digits + nd, sizeof digits - (size_t)nd, "%09u", chunk[i]);
    json_decimal_digits(b, neg, digits, nd, scale);
}

/* IEEE 754 half precision (FLOAT16: 2 bytes, little-endian), exactly as a
 * float: subnormals, infinities and NaN included. */
static float half_to_float(const uint8_t *u)
{
    unsigned h = (unsigned)u[0] | (unsigned)u[1] << 8;
    unsigned exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float f;
    if (exp == 0) f = ldexpf((float)mant, -24);                  /* zero and subnormals */
    else if (exp == 31) f = mant ? NAN : INFINITY;
    else f = ldexpf((float)(mant | 0x400), (int)exp - 25);
    return (h & 0x8000) ? -f : f;
}

/* INTERVAL (FIXED_LEN_BYTE_ARRAY(12): months, days, milliseconds, each 4
 * bytes little-endian) as DuckDB shows it: "1 year 2 months 3 days
 * 04:05:06.007", "00:00:00" when zero. DuckDB reads months and days as signed
 * and the milliseconds as unsigned, and so does this. */
static void json_interval(sbuf *b, const uint8_t *u)
{
    int32_t months = (int32_t)rd32(u), days = (int32_t)rd32(u + 4);
    uint64_t ms = rd32(u + 8);
    char out[160];
    int n = 0;
    const struct { int32_t v; const char *unit; } part[] = {{months / 12, "year"}, {months % 12, "month"}, {days, "day"}};
    for (int i = 0; i < 3; i++) {
        if (!part[i].v) continue;
        n += snprintf(out + n, sizeof out - (size_t)n, "%s%d %s%s", n ? " " : "", (int)part[i].v, part[i].unit,
                      part[i].v == 1 || part[i].v == -1 ? "" : "s");
    }
    if (ms || !n) {
        char fr[16];
        fmt_frac(fr, (int64_t)(ms % 1000), 3);
        n += snprintf(out + n, sizeof out - (size_t)n, "%s%02llu:%02u:%02u%s", n ? " " : "",
                      (unsigned long long)(ms / 3600000), (unsigned)(ms / 60000 % 60), (unsigned)(ms / 1000 % 60), fr);
    }
    sb_json_str(b, out, (size_t)n);
}

static void json_float(sbuf *b, float f)
{
    if (!isfinite(f)) { sb_adds(b, "null"); return; }
    char tmp[48];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, (double)f);
        if ((float)strtod(tmp, NULL) == f) break;
    }
    sb_adds(b, tmp);
}

static void json_value(sbuf *b, const pq_col *c, int32_t k)
{
    const pq_schema_el *s = c->se;
    switch (c->ptype) {
    case PT_BOOLEAN: sb_json_bool(b, (int)c->vals.i[k]); return;
    case PT_INT32: case PT_INT64: {
        int64_t v = c->vals.i[k];
        if (s->kind == LK_TIMESTAMP && c->ptype == PT_INT64) json_timestamp(b, v, s->ts_unit);
        else if (s->kind == LK_DATE) json_date(b, v);
        else if (s->kind == LK_TIME) json_time(b, v, s->ts_unit ? s->ts_unit : 1);
        else if (s->kind == LK_DECIMAL) json_decimal(b, v, s->scale);
        else if (s->kind == LK_INT && !s->int_signed)
            sb_json_uint(b, c->ptype == PT_INT32 ? (uint64_t)(uint32_t)v : (uint64_t)v);
        else sb_json_int(b, v);
        return;
    }
    case PT_INT96: json_timestamp(b, c->vals.i[k], 3); return;
    case PT_FLOAT: json_float(b, (float)c->vals.d[k]); return;
    case PT_DOUBLE: sb_json_num(b, c->vals.d[k]); return;
    case PT_FLBA: case PT_BYTE_ARRAY: {
        /* check_schema lets binary through only with these annotations (and
         * widths: UUID 16, FLOAT16 2, INTERVAL 12 bytes; DECIMAL at most
         * PQ_MAX_DECIMAL_BYTES), or with none or a string one, whose values
         * parquet_read.c checked to be UTF-8: raw bytes never reach JSON */
        pq_str v = c->vals.s[k];
        const uint8_t *u = (const uint8_t *)v.p;
        switch (s->kind) {
        case LK_UUID:
            sb_printf(b, "\"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\"",
                      u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
                      u[13], u[14], u[15]);
            return;
        case LK_DECIMAL: json_decimal_bytes(b, u, v.n, s->scale); return;
        case LK_FLOAT16: json_float(b, half_to_float(u)); return;
        case LK_INTERVAL: json_interval(b, u); return;
        default: sb_json_str(b, v.p, v.n); return;
        }
    }
    }
    sb_adds(b, "null");
}

/* A non-string id as text: the value metadata would show (json_value) without
 * its JSON quotes, so an unsigned 64-bit id stays positive, a DECIMAL keeps its
 * scale and a DATE or TIMESTAMP is a date, as DuckDB or pyarrow read them. None
 * of these renderings needs a JSON escape, so unquoting is dropping two bytes.
 * The id points into r->id_json (a wide DECIMAL has up to 619 characters). */
static void render_id(pq_reader *r, const pq_col *c, int32_t k, blalm_doc *d)
{
    sbuf *b = &r->id_json;
    sb_reset(b);
    json_value(b, c, k);
    sb_cstr(b);
    char *p = b->data;
    size_t n = b->len;
    if (n >= 2 && p[0] == '"') {
        p++;
        n -= 2;
        p[n] = 0;
    }
    d->id = p;
    d->id_len = n;
}

/* ---- reader ------------------------------------------------------------- */

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Reads the file's bytes [off, off + n) into dst. A short read means the
 * file shrank after it was opened (truncated, or rewritten in place). */
static int pread_full(int fd, uint8_t *dst, uint64_t off, size_t n, size_t file_len, const char *name,
                      blalm_err *e)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, dst + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return err_errno(e, "%s: byte %llu: reading", name, (unsigned long long)(off + got));
        if (k == 0) {
            struct stat st;
            long long now = fstat(fd, &st) == 0 ? (long long)st.st_size : -1;
            return err_set(e, "%s: byte %llu: the file shrank while it was read (%zu bytes when opened, now %lld)",
                           name, (unsigned long long)(off + got), file_len, now);
        }
        got += (size_t)k;
    }
    return 0;
}

/* The file must still be the one opened: rows of a row group read after it
 * was rewritten (cp over it, rsync --inplace, a new download to the same
 * path) would mix two versions of it. */
static int check_unchanged(pq_reader *r, blalm_err *e)
{
    struct stat st;
    if (fstat(r->fd, &st) < 0) return err_errno(e, "%s", r->name);
    if ((uint64_t)st.st_size < r->len)
        return err_set(e, "%s: the file shrank while it was read (%zu bytes when opened, now %lld)", r->name,
                       r->len, (long long)st.st_size);
    if ((uint64_t)st.st_size != r->len || mtime_ns(&st) != r->mtime_ns)
        return err_set(e, "%s: the file changed while it was read (%zu bytes when opened, now %lld, and "
                          "modified since); read it again once it is written", r->name, r->len,
                       (long long)st.st_size);
    return 0;
}

static int setup_row_group(pq_reader *r, blalm_err *e)
{
    const pq_rowgroup *g = &r->meta->rgs[r->rg];
    /* errors about the footer name the file offset of the RowGroup,
     * ColumnChunk or ColumnMetaData struct concerned */
    if (g->nchunks != r->nleaves) {
        return err_set(e, "%s: byte %llu (footer): row group %d has %d column chunks, the schema %d columns (corrupt footer?)",
                       r->name, (unsigned long long)g->off, r->rg, g->nchunks, r->nleaves);
    }
    /* flat columns hold one value (or null) per row: a count that differs
     * means the footer or the chunk is corrupt, and reading on would drop or
     * invent rows */
    for (int j = 0; j < g->nchunks; j++) {
        const pq_chunk *ch = &g->chunks[j];
        if (ch->has_meta && ch->num_values != g->num_rows)
            return err_set(e, "%s: byte %llu (footer): row group %d says %lld rows but column '%s' holds %lld values (corrupt footer?)",
                           r->name, (unsigned long long)ch->meta_off, r->rg, (long long)g->num_rows,
                           r->meta->schema[j + 1].name, (long long)ch->num_values);
    }
    for (int i = 0; i < r->ncols; i++) {
        pq_col *c = &r->cols[i];
        const pq_chunk *ch = &g->chunks[c->leaf];
        if (ch->encrypted) return err_set(e, "%s: column '%s' is encrypted; parquet encryption is not supported", r->name, c->se->name);
        if (ch->file_path) return err_set(e, "%s: column '%s' is stored in another file (%s); not supported", r->name, c->se->name, ch->file_path);
        if (!ch->has_meta)
            return err_set(e, "%s: byte %llu (footer): row group %d, column '%s': its column chunk has no metadata "
                              "(ColumnMetaData; corrupt footer?)", r->name, (unsigned long long)ch->off, r->rg, c->se->name);
        if (ch->type != c->ptype)
            return err_set(e, "%s: byte %llu (footer): row group %d, column '%s': chunk type %s disagrees with the schema's %s",
                           r->name, (unsigned long long)ch->meta_off, r->rg, c->se->name, pq_type_name(ch->type),
                           pq_type_name(c->ptype));
        if (ch->codec != CODEC_UNCOMPRESSED && ch->codec != CODEC_SNAPPY && ch->codec != CODEC_GZIP && ch->codec != CODEC_ZSTD)
            return err_set(e, "%s: column '%s' uses compression codec %s, which is not supported (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD)",
                           r->name, c->se->name, pq_codec_name(ch->codec));
        uint64_t off, len;
        pq_chunk_range(ch, &off, &len);
        if (off < 4 || off >= r->len - 8)
            return err_set(e, "%s: byte %llu: column '%s' of row group %d starts outside the file", r->name,
                           (unsigned long long)off, c->se->name, r->rg);
        if (len > r->len - 8 - off)
            return err_set(e, "%s: byte %llu: column '%s' of row group %d: its %llu bytes run past the data of the file",
                           r->name, (unsigned long long)off, c->se->name, r->rg, (unsigned long long)len);
        if (r->fd >= 0) {
            /* into a buffer the column keeps: its pages are touched once,
             * not once per row group */
            if (pq_buf_grow(&c->cbuf, &c->ccap, (size_t)len + 1) < 0)
                return err_set(e, "%s: out of memory reading %llu bytes of column '%s'", r->name,
                               (unsigned long long)len, c->se->name);
            if (pread_full(r->fd, c->cbuf, off, (size_t)len, r->len, r->name, e) < 0) return -1;
            c->base = c->cbuf;
            c->base_off = off;
            c->data_end = c->cbuf + len;   /* a page header is read up to the chunk's end */
        } else {
            c->base = r->buf;
            c->base_off = 0;
            c->data_end = r->buf + r->len;
        }
        c->pos = c->base + (off - c->base_off);
        c->end = c->pos + len;
        c->values_left = ch->num_values;
        c->codec = ch->codec;
        c->have_dict = 0;
        c->dict.n = 0;
        c->page_n = c->page_row = c->page_val = 0;
    }
    if (r->fd >= 0 && check_unchanged(r, e) < 0) return -1;
    r->rg_rows = g->num_rows;
    r->rg_row = 0;
    r->rg_checked = 0;
    return 0;
}

/* After a row group's last row: every column's pages held exactly the
 * chunk's values (a page header that says fewer or more is corruption). */
static int finish_row_group(pq_reader *r, blalm_err *e)
{
    r->rg_checked = 1;
    for (int i = 0; i < r->ncols; i++) {
        const pq_col *c = &r->cols[i];
        if (c->values_left != 0 || c->page_row != c->page_n) {
            char why[200];
            snprintf(why, sizeof why, "row group %d ends after %lld rows but the column's pages hold %lld more values",
                     r->rg, (long long)r->rg_rows, (long long)(c->values_left + (c->page_n - c->page_row)));
            return pq_fail_at(r, e, pq_off(c, c->pos), c, why);
        }
    }
    return 0;
}

int pq_reader_next(pq_reader *r, blalm_doc *d, blalm_err *e)
{
    while (r->rg_row >= r->rg_rows) {
        if (r->rg >= 0 && !r->rg_checked && finish_row_group(r, e) < 0) return -1;
        if (r->rg + 1 >= r->meta->nrg || (r->max_rg > 0 && r->rg + 1 >= r->max_rg)) return 0;
        r->rg++;
        if (setup_row_group(r, e) < 0) return -1;
    }
    memset(d, 0, sizeof *d);
    sbuf *m = &r->meta_json;
    sb_reset(m);
    sb_addc(m, '{');
    int first = 1;
    d->text = "";
    d->id = NULL;
    for (int i = 0; i < r->ncols; i++) {
        pq_col *c = &r->cols[i];
        int32_t k = 0;
        int has = pq_col_take(r, c, &k, e);
        if (has < 0) return -1;
        if (c->role == ROLE_TEXT) {
            /* a null is no text: as a JSON-lines null text is an error, not
             * an empty document that count counts and cat writes as "" */
            if (!has)
                return err_set(e, "%s: row %llu (row group %d, its row %lld): column '%s' is null; expected a "
                                  "string value for the text field", r->name, (unsigned long long)r->row, r->rg,
                               (long long)r->rg_row, c->se->name);
            d->text = c->vals.s[k].p;
            d->text_len = c->vals.s[k].n;
        } else if (c->role == ROLE_ID) {
            if (has && c->ptype == PT_BYTE_ARRAY && c->se->kind != LK_DECIMAL) {
                d->id = c->vals.s[k].p;
                d->id_len = c->vals.s[k].n;
            } else if (has) {
                render_id(r, c, k, d);
            }
        } else {
            sb_json_key(m, c->se->name, &first);
            if (has) json_value(m, c, k);
            else sb_adds(m, "null");
        }
    }
    sb_addc(m, '}');
    if (!d->id) {
        size_t bad;
        if (!r->names_unused && !utf8_valid(r->stem, strlen(r->stem), &bad)) {
            char where[96];
            snprintf(where, sizeof where, " row %llu", (unsigned long long)r->row);
            return doc_stem_error(r->name, where, r->stem, e);
        }
        int n = snprintf(r->idbuf, sizeof r->idbuf, "%s/%llu", r->stem, (unsigned long long)r->row);
        if (n >= (int)sizeof r->idbuf) n = (int)sizeof r->idbuf - 1;
        d->id = r->idbuf;
        d->id_len = (size_t)n;
    }
    d->source = r->source;
    d->source_len = r->source_len;
    d->metadata = sb_cstr(m);
    d->metadata_len = m->len;
    d->row = r->row++;
    d->line = 0;
    d->offset = 0;
    r->rg_row++;
    return 1;
}


void pq_reader_close(pq_reader *r)
{
    if (!r) return;
    for (int i = 0; i < r->ncols; i++) pq_col_free(&r->cols[i]);
    free(r->cols);
    pq_meta_free(r->meta);
    sb_free(&r->meta_json);
    sb_free(&r->id_json);
    if (r->zstd) ZSTD_freeDCtx(r->zstd);
    if (r->fd >= 0) close(r->fd);
    free(r->name);
    free(r->stem);
    free(r->source);
    free(r);
}

/* File name without folders and the .parquet extension: ids "<stem>/<row>"
 * unless the caller names another stem (doc_opts.id_stem). */
static char *file_stem(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    const char *dot = strstr(b, ".parquet");
    if (dot) n = (size_t)(dot - b);
    else if ((dot = strchr(b, '.')) && dot != b) n = (size_t)(dot - b);
    return strndup(b, n);
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case LK_STRING: return "STRING";
    case LK_TIMESTAMP: return "TIMESTAMP";
    case LK_DATE: return "DATE";
    case LK_TIME: return "TIME";
    case LK_DECIMAL: return "DECIMAL";
    case LK_INT: return "INTEGER";
    case LK_UUID: return "UUID";
    case LK_FLOAT16: return "FLOAT16";
    case LK_INTERVAL: return "INTERVAL";
    default: return "no annotation";
    }
}

/* A projected column's values must become JSON blalm can vouch for. Binary
 * (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY) is shown as a string only without an
 * annotation or with a string one (its values are then checked to be UTF-8);
 * DECIMAL, UUID, FLOAT16 and INTERVAL are rendered from their bytes, at the
 * widths the format gives them; any other annotation on binary (BSON,
 * GEOMETRY, a DATE on bytes, one blalm does not know) is refused, naming it,
 * rather than passed on as raw bytes. */
static int check_column_type(pq_reader *r, const pq_schema_el *s, int role, blalm_err *e)
{
    unsigned long long at = (unsigned long long)s->off;
    if (s->kind == LK_DECIMAL) {
        if (s->scale < 0 || s->scale > s->precision || s->precision > PQ_MAX_DECIMAL_DIGITS)
            return err_set(e, "%s: byte %llu (footer): column '%s': DECIMAL(%d,%d) is invalid (the scale must lie "
                              "between 0 and the precision, which blalm takes up to %d)",
                           r->name, at, s->name, s->precision, s->scale, PQ_MAX_DECIMAL_DIGITS);
        if (s->type == PT_FLBA && s->type_length > PQ_MAX_DECIMAL_BYTES)
            return err_set(e, "%s: column '%s': DECIMAL stored in %d bytes is not supported (blalm formats decimals "
                              "of up to %d bytes exactly)", r->name, s->name, s->type_length, PQ_MAX_DECIMAL_BYTES);
    }
    if (s->type != PT_BYTE_ARRAY && s->type != PT_FLBA) return 0;
    const char *what = s->kind == LK_NONE && s->unknown_type[0] ? s->unknown_type : kind_name(s->kind);
    if (role == ROLE_TEXT && s->kind != LK_NONE && s->kind != LK_STRING)
        return err_set(e, "%s: text field '%s' has type %s, expected a string column", r->name, s->name, what);
    int want = 0;   /* the fixed width the annotation requires */
    switch (s->kind) {
    case LK_NONE:
        if (!s->unknown_type[0]) return 0;
        return err_set(e, "%s: column '%s' has type %s (on %s), which is not supported", r->name, s->name,
                       s->unknown_type, pq_type_name(s->type));
    case LK_STRING: case LK_DECIMAL: return 0;
    case LK_UUID: want = 16; break;
    case LK_FLOAT16: want = 2; break;
    case LK_INTERVAL: want = 12; break;
    default:
        return err_set(e, "%s: column '%s': type %s on a %s column is not supported", r->name, s->name, what,
                       pq_type_name(s->type));
    }
    if (s->type != PT_FLBA || s->type_length != want) {
        char width[24] = "";
        if (s->type == PT_FLBA) snprintf(width, sizeof width, "(%d)", s->type_length);
        return err_set(e, "%s: byte %llu (footer): column '%s': type %s must be a FIXED_LEN_BYTE_ARRAY(%d), not a %s%s",
                       r->name, at, s->name, what, want, pq_type_name(s->type), width);
    }
    return 0;
}

static int wanted(const char *const *names, const char *name)
{
    for (; names && *names; names++)
        if (!strcmp(*names, name)) return 1;
    return 0;
}

static int check_schema(pq_reader *r, const doc_opts *opts, blalm_err *e)
{
    const pq_meta *m = r->meta;
    if (m->encrypted) return err_set(e, "%s: parquet encryption is not supported", r->name);
    const pq_schema_el *root = &m->schema[0];
    r->nleaves = m->nschema - 1;
    if (root->num_children != r->nleaves) {
        for (int i = 1; i < m->nschema; i++)
            if (m->schema[i].num_children > 0)
                return err_set(e, "%s: column '%s' is nested (a group: list, map or struct); nested columns are not "
                                  "supported, only flat schemas", r->name, m->schema[i].name);
        return err_set(e, "%s: nested columns (groups, lists, maps, structs) are not supported; only flat schemas",
                       r->name);
    }
    for (int i = 1; i < m->nschema; i++) {
        const pq_schema_el *s = &m->schema[i];
        if (s->num_children > 0 || s->type < 0)
            return err_set(e, "%s: column '%s' is nested (group); nested columns are not supported", r->name, s->name);
        if (s->repetition == 2)
            return err_set(e, "%s: column '%s' is repeated (a list); repeated columns are not supported", r->name, s->name);
        if (s->type > PT_FLBA)
            return err_set(e, "%s: byte %llu (footer): column '%s' has unknown physical type %d", r->name,
                           (unsigned long long)s->off, s->name, s->type);
        if (s->type == PT_FLBA && (s->type_length <= 0 || s->type_length > (1 << 20)))
            return err_set(e, "%s: byte %llu (footer): column '%s' has invalid fixed length %d", r->name,
                           (unsigned long long)s->off, s->name, s->type_length);
        size_t bad;
        if (!utf8_valid(s->name, strlen(s->name), &bad)) {   /* names become JSON keys */
            char shown[200];
            size_t shown_len;
            utf8_sanitize(s->name, strlen(s->name) < 60 ? strlen(s->name) : 60, shown, &shown_len);
            shown[shown_len] = 0;
            return err_set(e, "%s: column %d's name is not valid UTF-8 ('%s', invalid bytes shown as U+FFFD)",
                           r->name, i, shown);
        }
    }
    const char *tf = opts && opts->text_field ? opts->text_field : "text";
    const char *idf = opts && opts->id_field ? opts->id_field : "id";
    int text_only = opts && opts->text_only;
    r->cols = calloc((size_t)(r->nleaves ? r->nleaves : 1), sizeof *r->cols);
    int *roles = calloc((size_t)(r->nleaves ? r->nleaves : 1), sizeof *roles);
    if (!r->cols || !roles) {
        free(roles);
        return err_set(e, "out of memory");
    }
    int text_at = -1, id_at = -1;
    for (int i = 0; i < r->nleaves; i++) {
        const pq_schema_el *s = &m->schema[i + 1];
        int role = ROLE_META;
        if (text_at < 0 && strcmp(s->name, tf) == 0) role = ROLE_TEXT;
        else if (id_at < 0 && strcmp(s->name, idf) == 0) role = ROLE_ID;
        if (role == ROLE_TEXT && s->type != PT_BYTE_ARRAY) {
            free(roles);
            return err_set(e, "%s: text field '%s' is %s, expected a string (BYTE_ARRAY) column", r->name, tf,
                           pq_type_name(s->type));
        }
        /* an id we cannot print as text (a float, a boolean, raw fixed-length
         * bytes, an INT96 timestamp) stays metadata */
        if (role == ROLE_ID && s->type != PT_BYTE_ARRAY && s->type != PT_INT32 && s->type != PT_INT64 &&
            !(s->type == PT_FLBA && (s->kind == LK_DECIMAL || (s->kind == LK_UUID && s->type_length == 16))))
            role = ROLE_META;
        if (role == ROLE_TEXT) text_at = i;
        if (role == ROLE_ID) id_at = i;
        roles[i] = role;
    }
    if (text_at < 0) {
        free(roles);
        return err_set(e, "%s: no text column '%s' (use --text-field to name another)", r->name, tf);
    }
    /* an --id-field that names no column is a mistake (a typo would give
     * every row a generated id); the default "id" may be absent */
    if (opts && opts->id_field && strcmp(opts->id_field, "id") && id_at < 0) {
        int named = -1;
        for (int i = 0; i < r->nleaves && named < 0; i++)
            if (!strcmp(m->schema[i + 1].name, idf)) named = i;
        sbuf cols;
        sb_init(&cols);
        for (int i = 0; i < r->nleaves && cols.len < 300; i++)
            sb_printf(&cols, "%s'%s'", i ? ", " : "", m->schema[i + 1].name);
        if (cols.len >= 300) sb_adds(&cols, ", ...");
        if (named >= 0 && named == text_at)
            err_set(e, "%s: the id field '%s' is the text column (--text-field); the id field must be another "
                       "column (--id-field)", r->name, idf);
        else if (named >= 0)
            err_set(e, "%s: id field '%s' is %s, which cannot be an id (expected a string, INT32, INT64, "
                       "DECIMAL or UUID column)", r->name, idf, pq_type_name(m->schema[named + 1].type));
        else
            err_set(e, "%s: no id column '%s' (--id-field); its columns: %s", r->name, idf, sb_cstr(&cols));
        sb_free(&cols);
        free(roles);
        return -1;
    }
    r->text_col = r->id_col = -1;
    for (int i = 0; i < r->nleaves; i++) {
        const pq_schema_el *s = &m->schema[i + 1];
        int role = roles[i], later = 0;
        /* a name repeated among the metadata columns: the last one's value
         * is the document's (as a JSON line's repeated name), so the
         * metadata holds each name once */
        for (int j = i + 1; j < r->nleaves && role == ROLE_META && !later; j++)
            later = roles[j] == ROLE_META && !strcmp(m->schema[j + 1].name, s->name);
        if (later) continue;
        if (role == ROLE_META && text_only && !wanted(opts->meta_fields, s->name)) continue;
        if (check_column_type(r, s, role, e) < 0) {
            free(roles);
            return -1;
        }
        pq_col *c = &r->cols[r->ncols];
        if (role == ROLE_TEXT) r->text_col = r->ncols;
        if (role == ROLE_ID) r->id_col = r->ncols;
        c->leaf = i;
        c->se = s;
        c->ptype = s->type;
        c->optional = s->repetition == 1;
        c->role = role;
        r->ncols++;
    }
    free(roles);
    return 0;
}

/* A reader of a file of len bytes, not yet opened: buf (in memory) or fd. */
static pq_reader *reader_new(const uint8_t *buf, size_t len, int fd, const char *name, const doc_opts *opts,
                             blalm_err *e)
{
    pq_reader *r = calloc(1, sizeof *r);
    if (!r) { err_set(e, "out of memory"); return NULL; }
    r->buf = buf;
    r->len = len;
    r->fd = fd;
    r->name = strdup(name ? name : "(memory)");
    r->stem = opts && opts->id_stem ? strdup(opts->id_stem) : (r->name ? file_stem(r->name) : NULL);
    r->names_unused = opts && opts->names_unused;
    sb_init(&r->meta_json);
    sb_init(&r->id_json);
    r->rg = -1;
    if (!r->name || !r->stem) {
        err_set(e, "out of memory");
        r->fd = -1;   /* the caller's */
        pq_reader_close(r);
        return NULL;
    }
    return r;
}

/* The magic bytes: head the file's first 4, tail its last 8 (the footer's
 * length, then PAR1). Sets *flen. */
static int check_magic(pq_reader *r, const uint8_t *head, const uint8_t *tail, uint32_t *flen, blalm_err *e)
{
    size_t len = r->len;
    if (memcmp(head, "PAR1", 4) != 0)
        return err_set(e, "%s: byte 0: not a parquet file (no PAR1 magic at the start, or shorter than 12 bytes)",
                       r->name);
    if (memcmp(tail + 4, "PARE", 4) == 0)
        return err_set(e, "%s: encrypted footer (PARE); parquet encryption is not supported", r->name);
    if (memcmp(tail + 4, "PAR1", 4) != 0)
        return err_set(e, "%s: byte %zu: no PAR1 magic at the end (truncated file?)", r->name, len - 4);
    *flen = rd32(tail);
    if ((uint64_t)*flen > len - 12)
        return err_set(e, "%s: byte %zu: footer length %u larger than the file", r->name, len - 8, *flen);
    return 0;
}

/* Parses the footer (its flen bytes, from file offset len - 8 - flen) and
 * checks the schema. */
static int open_footer(pq_reader *r, const uint8_t *footer, uint32_t flen, const doc_opts *opts, blalm_err *e)
{
    size_t foff = r->len - 8 - flen;
    r->meta = pq_meta_parse(footer, flen, foff, e);
    if (!r->meta) {
        err_prefix(e, "%s", r->name);
        return -1;
    }
    if (check_schema(r, opts, e) < 0) return -1;
    r->max_rg = opts ? opts->max_row_groups : 0;
    {
        /* start at a later row group (fetch --max-words decodes each new
         * group once, not every earlier one again); rows keep the file's
         * numbering, so generated ids are the same as from a whole read */
        int first = opts ? opts->first_row_group : 0;
        if (first < 0 || first > r->meta->nrg)
            return err_set(e, "%s: row group %d asked for, the file has %d", r->name, first, r->meta->nrg);
        for (int g = 0; g < first; g++) r->row += (uint64_t)r->meta->rgs[g].num_rows;
        r->rg = first - 1;
        r->rg_checked = 1;     /* nothing before it was read, so nothing to check */
    }
    r->source = opts && opts->default_source ? strdup(opts->default_source) : file_stem(r->name);
    if (!r->source) return err_set(e, "out of memory");
    r->source_len = strlen(r->source);
    return 0;
}

pq_reader *pq_reader_open_mem(const uint8_t *buf, size_t len, const char *name,
                              const doc_opts *opts, blalm_err *e)
{
    pq_reader *r = reader_new(buf, len, -1, name, opts, e);
    if (!r) return NULL;
    uint32_t flen;
    if (len < 12) {   /* no tail to look at */
        err_set(e, "%s: byte 0: not a parquet file (no PAR1 magic at the start, or shorter than 12 bytes)", r->name);
        goto fail;
    }
    if (check_magic(r, buf, buf + len - 8, &flen, e) < 0 || open_footer(r, buf + len - 8 - flen, flen, opts, e) < 0)
        goto fail;
    return r;
fail:
    pq_reader_close(r);
    return NULL;
}

/* ---- docs.h backend ----------------------------------------------------- */

int64_t pq_reader_rows(const pq_reader *r) { return pq_meta_num_rows(r->meta); }
int64_t parquet_backend_rows(void *state) { return pq_reader_rows(state); }

static int backend_next(void *state, blalm_doc *d, blalm_err *e) { return pq_reader_next(state, d, e); }
static void backend_close(void *state) { pq_reader_close(state); }

int parquet_backend_open(const char *path, const doc_opts *opts, doc_backend *out, blalm_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_errno(e, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        err_errno(e, "%s", path);
        close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    if (len < 12) {
        close(fd);
        return err_set(e, "%s: byte %zu: file too short to be parquet (truncated?)", path, len);
    }
    pq_reader *r = reader_new(NULL, len, fd, path, opts, e);
    if (!r) {
        close(fd);
        return -1;
    }
    r->mtime_ns = mtime_ns(&st);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    uint8_t head[4], tail[8];
    uint32_t flen;
    uint8_t *footer = NULL;
    if (pread_full(fd, head, 0, 4, len, path, e) < 0 || pread_full(fd, tail, len - 8, 8, len, path, e) < 0 ||
        check_magic(r, head, tail, &flen, e) < 0)
        goto fail;
    if (!(footer = malloc(flen ? flen : 1))) {
        err_set(e, "%s: out of memory reading its footer of %u bytes", path, flen);
        goto fail;
    }
    if (pread_full(fd, footer, len - 8 - flen, flen, len, path, e) < 0 || open_footer(r, footer, flen, opts, e) < 0)
        goto fail;
    free(footer);
    out->state = r;
    out->next = backend_next;
    out->close = backend_close;
    out->format = "parquet";
    return 0;
fail:
    free(footer);
    pq_reader_close(r);   /* closes fd */
    return -1;
}
