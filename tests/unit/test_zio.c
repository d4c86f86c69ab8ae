/* Compressed line streams: round trips, sniffing by content, truncation. */
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_getFrameHeader */
#include <zstd.h>

#include "lib/fsutil.h"
#include "lib/zio.h"
#include "test.h"

static int write_lines(const char *path, const char *const *lines, int n)
{
    blalm_err e;
    zwriter *w = zw_open(path, 3, &e);
    if (!w) return -1;
    for (int i = 0; i < n; i++)
        if (zw_line(w, lines[i], strlen(lines[i]), &e) < 0) return -1;
    return zw_commit(w, &e);
}

static void roundtrip(const char *name, int *ok)
{
    const char *lines[] = {"first", "", "third line with \xc3\xa9", "last"};
    char *p = path_in_tmp(name);
    *ok = 0;
    if (write_lines(p, lines, 4) < 0) return;
    blalm_err e;
    zreader *r = zr_open(p, &e);
    if (!r) return;
    const char *l;
    size_t n;
    for (int i = 0; i < 4; i++) {
        if (zr_line(r, &l, &n, &e) != 1 || n != strlen(lines[i]) || memcmp(l, lines[i], n)) {
            zr_close(r);
            return;
        }
    }
    *ok = zr_line(r, &l, &n, &e) == 0 && zr_lineno(r) == 4;
    zr_close(r);
}

TEST(roundtrips)
{
    int ok;
    roundtrip("a.jsonl", &ok);
    CHECK_MSG(ok, "plain");
    roundtrip("a.jsonl.gz", &ok);
    CHECK_MSG(ok, "gzip");
    roundtrip("a.jsonl.zst", &ok);
    CHECK_MSG(ok, "zstd");
}

TEST(sniff_by_content)
{
    /* a zstd file named .jsonl is still read as zstd */
    const char *lines[] = {"x"};
    char *z = path_in_tmp("b.jsonl.zst"), *lie = path_in_tmp("b.jsonl");
    CHECK(write_lines(z, lines, 1) == 0);
    CHECK(rename(z, lie) == 0);
    blalm_err e;
    CHECK_EQ_STR(file_sniff(lie, &e), "zstd");
    zreader *r = zr_open(lie, &e);
    CHECK(r);
    const char *l;
    size_t n;
    CHECK(zr_line(r, &l, &n, &e) == 1 && n == 1 && l[0] == 'x');
    zr_close(r);
}

static void put_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(p, 1, n, f);
        fclose(f);
    }
}

/* All lines of path joined by '|', or "ERR: <message>". */
static const char *read_joined(const char *path)
{
    static char out[4096];
    blalm_err e;
    zreader *r = zr_open(path, &e);
    if (!r) {
        snprintf(out, sizeof out, "ERR: %s", e.msg);
        return out;
    }
    out[0] = 0;
    const char *l;
    size_t n;
    int rc;
    while ((rc = zr_line(r, &l, &n, &e)) == 1)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%.*s", out[0] ? "|" : "", (int)n, l);
    if (rc < 0) snprintf(out, sizeof out, "ERR: %s", e.msg);
    zr_close(r);
    return out;
}

/* pzstd writes a skippable frame (magic 0x184D2A50..5F, little-endian)
 * before each zstd frame; libzstd skips it. Such files were sniffed as plain
 * text ("expected a JSON object"). */
TEST(skippable_frame_first_is_zstd)
{
    const char text[] = "{\"text\":\"a\"}\n{\"text\":\"b\"}\n";
    uint8_t buf[256];
    for (int magic = 0x50; magic <= 0x5F; magic += 0x0F) {
        /* skippable frame: magic, 4-byte size, payload; then a zstd frame */
        uint8_t *p = buf;
        *p++ = (uint8_t)magic; *p++ = 0x2A; *p++ = 0x4D; *p++ = 0x18;
        *p++ = 4; *p++ = 0; *p++ = 0; *p++ = 0;
        memcpy(p, "\x01\x02\x03\x04", 4);
        p += 4;
        size_t z = ZSTD_compress(p, sizeof buf - (size_t)(p - buf), text, sizeof text - 1, 3);
        CHECK(!ZSTD_isError(z));
        char *path = path_in_tmp("pz.jsonl.zst");
        put_bytes(path, buf, (size_t)(p - buf) + z);
        blalm_err e;
        CHECK_EQ_STR(file_sniff(path, &e), "zstd");
        CHECK_EQ_STR(read_joined(path), "{\"text\":\"a\"}|{\"text\":\"b\"}");
    }
}

/* A frame whose window is over libzstd's default limit (2^27; zstd
 * --long=28..31 writes such frames) is read, as `zstd -d --long=31` reads
 * it: it was "corrupt zstd data ...: Frame requires too much memory". */
/* A frame declaring a 1 GiB window made every reader allocate it (a 64 KB
 * hostile file: 2 GB RSS): refused by default, above libzstd's 128 MiB,
 * with the window it needs and how to read it; read once the limit is
 * raised (BLALM_ZSTD_WINDOW_MAX). */
TEST(long_window_frame_is_read)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    CHECK(c);
    CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 30)));
    const char text[] = "line one\nline two\n";
    uint8_t buf[512];
    ZSTD_outBuffer ob = {buf, sizeof buf, 0};
    ZSTD_inBuffer ib = {text, sizeof text - 1, 0};
    /* continue first, then end: the content size stays unknown, so the
     * frame declares the whole 1 GiB window */
    CHECK(!ZSTD_isError(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue)));
    ZSTD_inBuffer none = {NULL, 0, 0};
    CHECK(ZSTD_compressStream2(c, &ob, &none, ZSTD_e_end) == 0);
    ZSTD_freeCCtx(c);
    ZSTD_frameHeader fh;
    CHECK(ZSTD_getFrameHeader(&fh, buf, ob.pos) == 0);
    CHECK(fh.windowSize == (1ull << 30));
    char *path = path_in_tmp("long.jsonl.zst");
    put_bytes(path, buf, ob.pos);
    blalm_err e;
    zreader *r = zr_open(path, &e);
    CHECK(r);
    const char *l;
    size_t n;
    CHECK(zr_line(r, &l, &n, &e) == -1);
    CHECK_CONTAINS(e.msg, "long.jsonl.zst: zstd frame near decompressed byte 0 needs a window of 1024 MiB, above "
                          "the 128 MiB limit (written with zstd --long?); set BLALM_ZSTD_WINDOW_MAX=1G to read it");
    CHECK(!strstr(e.msg, "corrupt"));
    zr_close(r);
    zr_set_window_log_max(29);
    r = zr_open(path, &e);
    CHECK(zr_line(r, &l, &n, &e) == -1);
    CHECK_CONTAINS(e.msg, "above the 512 MiB limit");
    zr_close(r);
    zr_set_window_log_max(30);
    CHECK_EQ_STR(read_joined(path), "line one|line two");
    zr_set_window_log_max(ZR_WINDOW_LOG_DEFAULT);
}

TEST(window_max_parsed)
{
    static const struct { const char *s; int wlog; } ok[] = {
        {"2G", 31}, {"1024M", 30}, {"1g", 30}, {"128M", 27}, {"1K", 10}, {"1048576", 20}, {"2147483648", 31},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        blalm_err e;
        int w = -1;
        CHECK_MSG(zr_parse_window_max(ok[i].s, &w, &e) == 0 && w == ok[i].wlog, ok[i].s);
    }
    static const struct { const char *s, *why; } bad[] = {
        {"", "empty"}, {"abc", "'abc' is not a size"}, {"1.5G", "not a size"}, {"1T", "not a size"},
        {"3G", "above 2G"}, {"4096G", "above 2G"}, {"99999999999999999999", "too large"},
        {"100M", "not a power of two"}, {"512", "below 1K"}, {"0", "below 1K"}, {"-1G", "not a size"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        blalm_err e;
        int w = -1;
        CHECK_MSG(zr_parse_window_max(bad[i].s, &w, &e) == -1 && w == -1, bad[i].s);
        CHECK_CONTAINS(e.msg, bad[i].why);
        CHECK_CONTAINS(e.msg, "expected a power of two from 1K to 2G");
    }
}

/* xz, bzip2 and lz4 data were read as text ("expected a JSON object"):
 * refused by name, both by file_sniff and zr_open. */
TEST(unsupported_compression_named)
{
    static const struct { const char *bytes; size_t n; const char *name; } cases[] = {
        {"\xFD" "7zXZ\0\0\4", 8, "xz-compressed data is not supported"},
        {"BZh91AY&SY", 10, "bzip2-compressed data is not supported"},
        {"\x04\x22\x4D\x18\x64\x40\xA7", 7, "lz4-compressed data is not supported"},
        {"\x02\x21\x4C\x18\0\0\0\0", 8, "lz4-compressed data is not supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = path_in_tmp("c.jsonl");
        put_bytes(path, cases[i].bytes, cases[i].n);
        blalm_err e;
        CHECK(file_sniff(path, &e) == NULL);
        CHECK_CONTAINS(e.msg, cases[i].name);
        CHECK_CONTAINS(e.msg, "c.jsonl: byte 0:");
        CHECK_CONTAINS(e.msg, "recompress it with zstd");
        const char *got = read_joined(path);
        CHECK_CONTAINS(got, cases[i].name);
    }
    /* text starting with "BZh" but not a bzip2 header stays text */
    char *path = path_in_tmp("t.jsonl");
    put_bytes(path, "BZh!\n", 5);
    blalm_err e;
    CHECK_EQ_STR(file_sniff(path, &e), "plain");
    CHECK_EQ_STR(read_joined(path), "BZh!");
}

TEST(atomic_until_commit)
{
    char *p = path_in_tmp("c.jsonl.zst");
    blalm_err e;
    zwriter *w = zw_open(p, 3, &e);
    CHECK(w);
    CHECK(zw_line(w, "a", 1, &e) == 0);
    CHECK(access(p, F_OK) != 0);   /* nothing under the target name yet */
    zw_abort(w);
    CHECK(access(p, F_OK) != 0);
    w = zw_open(p, 3, &e);
    CHECK(zw_line(w, "a", 1, &e) == 0);
    CHECK(zw_commit(w, &e) == 0);
    CHECK(access(p, F_OK) == 0);
}

/* One parser of the temporary names that killed runs leave, for the three
 * cleaners (files, shard staging folders, assemble's corpus folders). */
TEST(temp_names_parse)
{
    CHECK_EQ_INT(temp_name_pid(".a.jsonl.zst.tmp.123", "a.jsonl.zst", NULL), 123);
    CHECK_EQ_INT(temp_name_pid(".a.jsonl.zst.tmp.123", "a.jsonl", NULL), 0);
    CHECK_EQ_INT(temp_name_pid(".a.jsonl.zst.tmp.123", "b.jsonl.zst", NULL), 0);
    CHECK_EQ_INT(temp_name_pid("a.jsonl.zst.tmp.123", "a.jsonl.zst", NULL), 0);
    CHECK_EQ_INT(temp_name_pid(".a.tmp.", "a", NULL), 0);
    CHECK_EQ_INT(temp_name_pid(".a.tmp.0", "a", NULL), 0);
    CHECK_EQ_INT(temp_name_pid(".a.tmp.-5", "a", NULL), 0);
    CHECK_EQ_INT(temp_name_pid(".a.tmp.12x", "a", NULL), 0);
    CHECK_EQ_INT(temp_name_pid(".a.tmp.99999999999", "a", NULL), 0);
    CHECK_EQ_INT(temp_name_pid(".a.tmp.12.old.12", "a", NULL), 0);
    CHECK_EQ_INT(temp_name_pid(".a.tmp.12.old.12", "a", ".old."), 12);
    CHECK_EQ_INT(temp_name_pid(".data-shards.tmp.77", "data-shards", NULL), 77);
    /* any name: ".tmp." may occur inside NAME itself */
    CHECK_EQ_INT(temp_name_pid(".x.tmp.y.tmp.42", NULL, NULL), 42);
    CHECK_EQ_INT(temp_name_pid(".strict.tmp.9.old.9", NULL, ".old."), 9);
    CHECK_EQ_INT(temp_name_pid(".strict", NULL, NULL), 0);
    CHECK_EQ_INT(temp_name_pid("strict.tmp.9", NULL, NULL), 0);
    /* the writer's own names read back */
    char t[1024];
    temp_name_for("dir/name.bin", t, sizeof t);
    CHECK_EQ_INT(temp_name_pid(strrchr(t, '/') + 1, "name.bin", NULL), (long)getpid());
}

/* "..NAME.tmp.P.tmp.P", the temporary of a temporary that file sets of
 * earlier versions left when killed, goes with the other stale temporaries:
 * a dead process's only, of this NAME only. */
TEST(stale_double_temps_removed)
{
    long dead = 0;
    for (long p = 4000000; p > 3000000 && !dead; p--)
        if (pid_is_dead(p)) dead = p;
    CHECK(dead > 0);
    long me = (long)getpid();
    char names[5][200];
    snprintf(names[0], sizeof names[0], "..n.bin.tmp.%ld.tmp.%ld", dead, dead);   /* goes */
    snprintf(names[1], sizeof names[1], ".n.bin.tmp.%ld", dead);                  /* goes */
    snprintf(names[2], sizeof names[2], "..n.bin.tmp.%ld.tmp.%ld", me, me);       /* this process's */
    snprintf(names[3], sizeof names[3], "..other.bin.tmp.%ld.tmp.%ld", dead, dead); /* another file's */
    snprintf(names[4], sizeof names[4], "..n.bin.tmp.%ld.tmp.%ldx", dead, dead);  /* not the form */
    for (int i = 0; i < 5; i++) {
        FILE *f = fopen(path_in_tmp(names[i]), "w");
        CHECK(f != NULL);
        if (f) fclose(f);
    }
    remove_stale_temps_forget();   /* earlier tests' writers read this folder before these were planted */
    remove_stale_temps(path_in_tmp("n.bin"));
    for (int i = 0; i < 5; i++) {
        CHECK_MSG(file_exists(path_in_tmp(names[i])) == (i >= 2), "%s", names[i]);
        unlink(path_in_tmp(names[i]));
    }
}

/* A folder is read once per process: the stale temporaries of every file in
 * it are found from that one reading, each removed when its file is written
 * (the reading per file was quadratic in the folder's files). A temporary
 * planted after the reading stays until the folder is read again. */
TEST(stale_temps_folder_read_once)
{
    long dead = 0;
    for (long p = 4000000; p > 3000000 && !dead; p--)
        if (pid_is_dead(p)) dead = p;
    CHECK(dead > 0);
    char dir[4096], a[4200], b[4200], late[4200];
    snprintf(dir, sizeof dir, "%s", path_in_tmp("once"));
    blalm_err e;
    CHECK(mkdir_p(dir, &e) == 0);
    snprintf(a, sizeof a, "%s/.a.bin.tmp.%ld", dir, dead);
    snprintf(b, sizeof b, "%s/.b.bin.tmp.%ld", dir, dead);
    snprintf(late, sizeof late, "%s/.c.bin.tmp.%ld", dir, dead);
    remove_stale_temps_forget();
    FILE *f = fopen(a, "w");
    if (f) fclose(f);
    f = fopen(b, "w");
    if (f) fclose(f);
    char pa[4200], pb[4200], pc[4200];
    snprintf(pa, sizeof pa, "%s/a.bin", dir);
    snprintf(pb, sizeof pb, "%s/b.bin", dir);
    snprintf(pc, sizeof pc, "%s/c.bin", dir);
    remove_stale_temps(pa);   /* reads the folder */
    CHECK(!file_exists(a));
    CHECK(file_exists(b));    /* another file's: stays until b.bin is written */
    f = fopen(late, "w");
    if (f) fclose(f);
    remove_stale_temps(pb);
    CHECK(!file_exists(b));   /* found in the one reading */
    remove_stale_temps(pc);
    CHECK(file_exists(late)); /* planted after the reading */
    remove_stale_temps_forget();
    remove_stale_temps(pc);
    CHECK(!file_exists(late));
    rmdir(dir);
}

static void truncate_and_read(const char *name, const char *expect, int *ok)
{
    *ok = 0;
    char *p = path_in_tmp(name);
    blalm_err e;
    zwriter *w = zw_open(p, 3, &e);
    char line[200];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(line, sizeof line, "{\"id\":\"%d\",\"text\":\"line %d of some text %d\"}", i, i, i * 7919);
        zw_line(w, line, (size_t)n, &e);
    }
    zw_commit(w, &e);
    FILE *f = fopen(p, "r+");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    if (truncate(p, size / 2) != 0) return;
    zreader *r = zr_open(p, &e);
    const char *l;
    size_t n;
    int rc;
    while ((rc = zr_line(r, &l, &n, &e)) == 1) {}
    zr_close(r);
    *ok = rc < 0 && strstr(e.msg, expect) && strstr(e.msg, name);
    if (!*ok) fprintf(stderr, "got rc %d: %s\n", rc, e.msg);
}

TEST(truncated_streams_are_errors)
{
    int ok;
    truncate_and_read("t.jsonl.zst", "truncated zstd", &ok);
    CHECK_MSG(ok, "zstd truncation not reported");
    truncate_and_read("t.jsonl.gz", "truncated gzip", &ok);
    CHECK_MSG(ok, "gzip truncation not reported");
}

/* a .zst or .gz file shorter than its magic number, the first bytes the
 * magic's (0 bytes too): a failed download read as an empty source, exit 0 */
TEST(short_compressed_files_are_errors)
{
    static const struct { const char *name, *bytes; size_t n; const char *want; } cs[] = {
        {"e.jsonl.zst", "", 0, "e.jsonl.zst: truncated zstd stream: the file holds 0 bytes"},
        {"e2.jsonl.zst", "\x28\xB5", 2, "e2.jsonl.zst: truncated zstd stream: the file holds 2 bytes"},
        {"e.jsonl.gz", "", 0, "e.jsonl.gz: truncated gzip stream: the file holds 0 bytes"},
        {"e1.jsonl.gz", "\x1F", 1, "e1.jsonl.gz: truncated gzip stream: the file holds 1 byte,"},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        char *p = path_in_tmp(cs[i].name);
        FILE *f = fopen(p, "wb");
        CHECK(f != NULL);
        if (cs[i].n) CHECK(fwrite(cs[i].bytes, 1, cs[i].n, f) == cs[i].n);
        fclose(f);
        blalm_err e = {0};
        zreader *r = zr_open(p, &e);
        CHECK_MSG(!r, "%s opened", cs[i].name);
        zr_close(r);
        CHECK_CONTAINS(e.msg, cs[i].want);
        e.msg[0] = 0;
        CHECK(file_sniff(p, &e) == NULL);
        CHECK_CONTAINS(e.msg, cs[i].want);
    }
    /* by content otherwise: an empty plain file is no documents, and a short
     * .zst that does not start as zstd is plain text */
    char *p = path_in_tmp("e.jsonl");
    FILE *f = fopen(p, "wb");
    fclose(f);
    blalm_err e;
    zreader *r = zr_open(p, &e);
    CHECK_MSG(r != NULL, "%s", e.msg);
    const char *l;
    size_t n;
    CHECK(zr_line(r, &l, &n, &e) == 0);
    zr_close(r);
    p = path_in_tmp("x.zst");
    f = fopen(p, "wb");
    fputs("{}\n", f);
    fclose(f);
    r = zr_open(p, &e);
    CHECK_MSG(r != NULL, "%s", e.msg);
    CHECK(zr_line(r, &l, &n, &e) == 1 && n == 2);
    zr_close(r);
}

TEST(long_line)
{
    /* one 5 MiB line crosses many buffer refills */
    size_t big = 5u << 20;
    char *s = malloc(big);
    for (size_t i = 0; i < big; i++) s[i] = (char)('a' + i % 26);
    char *p = path_in_tmp("long.jsonl.zst");
    blalm_err e;
    zwriter *w = zw_open(p, 1, &e);
    CHECK(zw_line(w, "short", 5, &e) == 0);
    CHECK(zw_line(w, s, big, &e) == 0);
    CHECK(zw_write(w, "tail-without-newline", 20, &e) == 0);
    CHECK(zw_commit(w, &e) == 0);
    zreader *r = zr_open(p, &e);
    const char *l;
    size_t n;
    CHECK(zr_line(r, &l, &n, &e) == 1 && n == 5);
    CHECK(zr_line(r, &l, &n, &e) == 1 && n == big && !memcmp(l, s, big));
    CHECK_EQ_INT(zr_offset(r), 6);
    CHECK(zr_line(r, &l, &n, &e) == 1 && n == 20);
    CHECK(zr_line(r, &l, &n, &e) == 0);
    zr_close(r);
    free(s);
}

/* A zstd file: "short\n", then a line of n bytes of 'a' (written 1 MiB at
 * a time: a small file, like a decompression bomb) and '\n', then "end". */
static const char *bomb(const char *name, size_t n)
{
    static char chunk[1 << 20];
    memset(chunk, 'a', sizeof chunk);
    char *p = path_in_tmp(name);
    blalm_err e;
    zwriter *w = zw_open(p, 1, &e);
    if (!w || zw_line(w, "short", 5, &e) < 0) return NULL;
    for (size_t left = n; left;) {
        size_t k = left < sizeof chunk ? left : sizeof chunk;
        if (zw_write(w, chunk, k, &e) < 0) return NULL;
        left -= k;
    }
    if (zw_write(w, "\nend", 4, &e) < 0 || zw_commit(w, &e) < 0) return NULL;
    return p;
}

/* A line of the longest length or more is an error naming the file, the
 * line and its offset, not an abort() once memory runs out (a 100 KB zstd
 * file can hold a 3 GB line); one byte shorter is read. The limit is
 * lowered here (ZR_MAX_LINE is 1 GiB). */
TEST(too_long_line_is_an_error)
{
    size_t max = 4u << 20;
    const char *l;
    size_t n;
    blalm_err e;
    const size_t sizes[] = {max - 1, max, 3 * max};
    for (int k = 0; k < 3; k++) {
        const char *p = bomb("bomb.jsonl.zst", sizes[k]);
        CHECK(p != NULL);
        if (!p) return;
        zreader *r = zr_open(p, &e);
        CHECK(r != NULL);
        if (!r) return;
        zr_set_max_line(r, max);
        CHECK(zr_line(r, &l, &n, &e) == 1 && n == 5);
        int rc = zr_line(r, &l, &n, &e);
        if (sizes[k] < max) {
            CHECK(rc == 1 && n == sizes[k]);
            CHECK(zr_line(r, &l, &n, &e) == 1 && n == 3 && !memcmp(l, "end", 3));
        } else {
            CHECK_EQ_INT(rc, -1);
            CHECK_MSG(strstr(e.msg, "bomb.jsonl.zst:2: a line of 4194304 bytes or more (from "
                                    "decompressed byte 6)") != NULL, "%s", e.msg);
        }
        zr_close(r);
    }
    /* plain text too */
    char *p = path_in_tmp("long.txt");
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (!f) return;
    for (size_t i = 0; i < 2 * max; i++) fputc('b', f);
    fclose(f);
    zreader *r = zr_open(p, &e);
    CHECK(r != NULL);
    if (!r) return;
    zr_set_max_line(r, max);
    CHECK_EQ_INT(zr_line(r, &l, &n, &e), -1);
    CHECK_MSG(strstr(e.msg, "long.txt:1: a line of 4194304 bytes or more") != NULL, "%s", e.msg);
    zr_close(r);
}

/* Out of memory growing a line's buffer is an error too, not abort(): a
 * child with its address space capped reads a 512 MiB line. (Not under
 * ASan, which reserves terabytes of address space.) */
TEST(line_without_memory_is_an_error)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    SKIPF("address space limits do not work under the sanitizers");
#else
    const char *p = bomb("oom.jsonl.zst", (size_t)512 << 20);
    CHECK(p != NULL);
    if (!p) return;
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        long pages = 0;
        FILE *st = fopen("/proc/self/statm", "r");
        if (!st || fscanf(st, "%ld", &pages) != 1) _exit(3);
        fclose(st);
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)160 << 20);
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(4);
        blalm_err e;
        zreader *r = zr_open(p, &e);
        const char *l;
        size_t n;
        if (!r || zr_line(r, &l, &n, &e) != 1) _exit(5);
        int rc = zr_line(r, &l, &n, &e);
        if (write(fds[1], e.msg, strlen(e.msg)) < 0) _exit(6);
        zr_close(r);
        _exit(rc == -1 ? 0 : 7);
    }
    close(fds[1]);
    char msg[1024] = "";
    size_t got = 0;
    ssize_t k;
    while (got < sizeof msg - 1 && (k = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
        got += (size_t)k;
    msg[got] = 0;
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d: %s", status, msg);
    CHECK_MSG(strstr(msg, "oom.jsonl.zst:2: out of memory for a line of more than") != NULL, "%s",
              msg);
#endif
}

int main(void)
{
    RUN(roundtrips);
    RUN(sniff_by_content);
    RUN(atomic_until_commit);
    RUN(temp_names_parse);
    RUN(stale_double_temps_removed);
    RUN(stale_temps_folder_read_once);
    RUN(truncated_streams_are_errors);
    RUN(short_compressed_files_are_errors);
    RUN(long_line);
    RUN(too_long_line_is_an_error);
    RUN(line_without_memory_is_an_error);
    RUN(skippable_frame_first_is_zstd);
    RUN(long_window_frame_is_read);
    RUN(window_max_parsed);
    RUN(unsupported_compression_named);
    return test_summary();
}
