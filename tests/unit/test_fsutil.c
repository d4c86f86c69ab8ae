/* Files and folders: write_file_atomic and file sets refuse to replace what
 * is not a regular file, and their errors name the file asked for. */
#include <limits.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "test.h"

static int slurp_eq(const char *path, const char *want)
{
    char *d = NULL;
    size_t n = 0;
    blalm_err e;
    if (read_file(path, &d, &n, &e) < 0) return 0;
    int ok = n == strlen(want) && !memcmp(d, want, n);
    free(d);
    return ok;
}

TEST(atomic_write_replaces_regular_file)
{
    blalm_err e = {{0}};
    char *p = path_in_tmp("reg/a.txt");
    CHECK(write_file_atomic(p, "one", 3, &e) == 0);   /* the folder made as needed */
    CHECK(write_file_atomic(p, "two", 3, &e) == 0);
    CHECK(slurp_eq(p, "two"));
}

TEST(atomic_write_refuses_symlink)
{
    blalm_err e = {{0}};
    char *target = path_in_tmp("target.txt"), *link = path_in_tmp("link.txt");
    CHECK(write_file_atomic(target, "keep", 4, &e) == 0);
    CHECK(symlink(target, link) == 0);
    CHECK(write_file_atomic(link, "new", 3, &e) < 0);
    CHECK_CONTAINS(e.msg, "link.txt exists and is not a regular file (a symbolic link to ");
    CHECK_CONTAINS(e.msg, "target.txt); refusing to replace it");
    struct stat st;
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));   /* the link stays a link */
    CHECK(slurp_eq(target, "keep"));
    /* a dangling link too: it would have become a file */
    char *dangling = path_in_tmp("dangling.txt");
    CHECK(symlink(path_in_tmp("nowhere/x"), dangling) == 0);
    CHECK(write_file_atomic(dangling, "new", 3, &e) < 0);
    CHECK_CONTAINS(e.msg, "a symbolic link to ");
    CHECK(lstat(dangling, &st) == 0 && S_ISLNK(st.st_mode));
}

TEST(atomic_write_refuses_fifo_and_device)
{
    blalm_err e = {{0}};
    char *fifo = path_in_tmp("fifo");
    CHECK(mkfifo(fifo, 0644) == 0);
    CHECK(write_file_atomic(fifo, "x", 1, &e) < 0);
    CHECK_CONTAINS(e.msg, "fifo exists and is not a regular file (a FIFO); refusing to replace it");
    struct stat st;
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    /* a device node: /dev/null is read, never written to here (lstat only:
     * the refusal comes before anything is made) */
    CHECK(check_replaceable("/dev/null", &e) < 0);
    CHECK_CONTAINS(e.msg, "/dev/null exists and is not a regular file (a character device)");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    char *sp = path_in_tmp("sock");
    if (s >= 0 && strlen(sp) < sizeof a.sun_path) {
        snprintf(a.sun_path, sizeof a.sun_path, "%s", sp);
        if (bind(s, (struct sockaddr *)&a, sizeof a) == 0) {
            CHECK(write_file_atomic(sp, "x", 1, &e) < 0);
            CHECK_CONTAINS(e.msg, "(a socket); refusing to replace it");
        }
    }
    if (s >= 0) close(s);
    CHECK(check_replaceable(path_in_tmp("absent"), &e) == 0);
    CHECK(write_file_atomic(path_in_tmp("reg"), "x", 1, &e) < 0);
    CHECK_CONTAINS(e.msg, "reg: a folder, expected a file to write");
}

TEST(file_set_refuses_symlink_before_writing)
{
    blalm_err e = {{0}};
    char *dir = path_in_tmp("set");
    char *target = path_in_tmp("set-target.json");
    CHECK(write_file_atomic(target, "keep", 4, &e) == 0);
    CHECK(mkdir(dir, 0755) == 0);
    char link[1100];
    snprintf(link, sizeof link, "%s/b.json", dir);
    CHECK(symlink(target, link) == 0);
    const char *names[] = {"a.json", "b.json"};
    file_set fs;
    CHECK(file_set_begin(&fs, dir, names, 2, &e) < 0);
    CHECK_CONTAINS(e.msg, "b.json exists and is not a regular file (a symbolic link to ");
    CHECK(slurp_eq(target, "keep"));
    char a[1100];
    snprintf(a, sizeof a, "%s/a.json", dir);
    CHECK(!file_exists(a));
}

TEST(atomic_write_error_names_the_path)
{
    blalm_err e = {{0}};
    /* a folder that cannot be written: /proc takes no new files (as root too) */
    CHECK(write_file_atomic("/proc/blalm-test.html", "x", 1, &e) < 0);
    CHECK_CONTAINS(e.msg, "/proc/blalm-test.html: cannot write it");
}

/* mkdir_p_made records the folders it made, by the path it made them
 * under, and made_dirs_undo removes exactly those: "new/../old/sub" made
 * "new" alone; old and old/sub were there and stay (a cut-the-string undo
 * removed them and kept "new"). A failure undoes what it made itself. */
TEST(mkdir_p_made_undoes_only_its_own)
{
    blalm_err e = {{0}};
    char p[4096], q[4096];
    snprintf(p, sizeof p, "%s", path_in_tmp("md/old/sub"));
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(q, sizeof q, "%s", path_in_tmp("md/new/../old/sub"));
    made_dirs m;
    CHECK(mkdir_p_made(q, &m, &e) == 0);
    CHECK(m.n == 1);
    made_dirs_undo(&m);
    CHECK(m.n == 0);
    CHECK(is_dir(p));
    CHECK(!file_exists(path_in_tmp("md/new")));
    snprintf(q, sizeof q, "%s", path_in_tmp("md/a/b/c"));
    CHECK(mkdir_p_made(q, &m, &e) == 0 && m.n == 3);
    made_dirs_undo(&m);
    CHECK(!file_exists(path_in_tmp("md/a")));
    CHECK(write_file_atomic(path_in_tmp("md/f"), "x", 1, &e) == 0);
    snprintf(q, sizeof q, "%s", path_in_tmp("md/x/y/../../f/z"));
    CHECK(mkdir_p_made(q, &m, &e) < 0);
    CHECK_CONTAINS(e.msg, "f exists and is not a directory");
    CHECK(m.n == 0);
    CHECK(!file_exists(path_in_tmp("md/x")));
}

/* path_resolve_lenient: links resolved where the path exists, "." and ".."
 * applied as mkdir -p then open would apply them where it does not yet. */
TEST(path_resolve_lenient_applies_dotdot_in_missing_part)
{
    char *root = path_in_tmp("res"), *docs = path_in_tmp("res/docs/s"), *link = path_in_tmp("res/ln");
    blalm_err e = {{0}};
    CHECK(mkdir_p(docs, &e) == 0);
    CHECK(symlink(docs, link) == 0);
    char rroot[PATH_MAX], rdocs[PATH_MAX], got[PATH_MAX], p[PATH_MAX + 64];
    CHECK(realpath(root, rroot) != NULL);
    snprintf(rdocs, sizeof rdocs, "%s/docs", rroot);
    /* a folder still to be made, then back out of it: lands in docs */
    snprintf(p, sizeof p, "%s/nodir/../docs/s/x.jsonl", root);
    CHECK(path_resolve_lenient(p, got, sizeof got) == 0);
    CHECK_EQ_STR(got, strcat(strcpy(p, rdocs), "/s/x.jsonl"));
    CHECK(path_is_within(got, rdocs));
    /* the reverse: passes through docs by name, ends beside it */
    snprintf(p, sizeof p, "%s/docs/s/nodir/../../../m.bin", root);
    CHECK(path_resolve_lenient(p, got, sizeof got) == 0);
    CHECK_EQ_STR(got, strcat(strcpy(p, rroot), "/m.bin"));
    CHECK(!path_is_within(got, rdocs));
    /* a link met after a missing folder is left is still resolved */
    snprintf(p, sizeof p, "%s/a/b/../../ln/new/x", root);
    CHECK(path_resolve_lenient(p, got, sizeof got) == 0);
    CHECK_EQ_STR(got, strcat(strcpy(p, rdocs), "/s/new/x"));
    /* ".." of a resolved link is the target's parent, as the kernel takes it */
    snprintf(p, sizeof p, "%s/ln/../y", root);
    CHECK(path_resolve_lenient(p, got, sizeof got) == 0);
    CHECK_EQ_STR(got, strcat(strcpy(p, rdocs), "/y"));
    /* "." and repeated slashes; nothing made on the way */
    snprintf(p, sizeof p, "%s/./nodir//./q", root);
    CHECK(path_resolve_lenient(p, got, sizeof got) == 0);
    CHECK_EQ_STR(got, strcat(strcpy(p, rroot), "/nodir/q"));
    snprintf(p, sizeof p, "%s/nodir", root);
    CHECK(!file_exists(p));
    /* "/" and above it */
    CHECK(path_resolve_lenient("/..", got, sizeof got) == 0);
    CHECK_EQ_STR(got, "/");
    CHECK(path_is_within("/x", "/"));
    CHECK(!path_is_within("/a/bc", "/a/b"));
    CHECK(path_is_within("/a/b", "/a/b") && path_is_within("/a/b/c", "/a/b"));
    /* too small an output */
    CHECK(path_resolve_lenient(root, got, 4) < 0);
}

TEST(check_no_pass_through_and_trailing_slash)
{
    char *root = path_in_tmp("pt"), *docs = path_in_tmp("pt/docs/s");
    blalm_err e = {{0}};
    CHECK(mkdir_p(docs, &e) == 0);
    char p[PATH_MAX + 64], made[PATH_MAX + 64];
    /* a folder not there, then out of it: refused, nothing made */
    snprintf(p, sizeof p, "%s/docs/s/nodir/../../../m.bin", root);
    CHECK(check_no_pass_through(p, &e) < 0);
    CHECK(strstr(e.msg, "nodir does not exist, and the '..' after it") != NULL);
    /* the folder named is the one the '..' leaves, not the first missing */
    snprintf(p, sizeof p, "%s/new/a//../b/r.html", root);
    CHECK(check_no_pass_through(p, &e) < 0);
    CHECK(strstr(e.msg, "/new/a does not exist, and the '..' after it") != NULL);
    /* '..' over folders that are there, or missing folders never left: fine */
    snprintf(p, sizeof p, "%s/docs/s/../s/m.bin", root);
    CHECK(check_no_pass_through(p, &e) == 0);
    snprintf(p, sizeof p, "%s/new/a/m.bin", root);
    CHECK(check_no_pass_through(p, &e) == 0);
    CHECK(check_no_pass_through("m.bin", &e) == 0);
    /* a name ending in '/' is a folder, never a file to write */
    snprintf(p, sizeof p, "%s/r.html/", root);
    CHECK(write_file_atomic(p, "x", 1, &e) < 0);
    CHECK(strstr(e.msg, "ends in '/'") != NULL);
    snprintf(made, sizeof made, "%s/r.html", root);
    CHECK(access(made, F_OK) != 0);
}

int main(void)
{
    RUN(atomic_write_replaces_regular_file);
    RUN(atomic_write_refuses_symlink);
    RUN(atomic_write_refuses_fifo_and_device);
    RUN(file_set_refuses_symlink_before_writing);
    RUN(atomic_write_error_names_the_path);
    RUN(mkdir_p_made_undoes_only_its_own);
    RUN(path_resolve_lenient_applies_dotdot_in_missing_part);
    RUN(check_no_pass_through_and_trailing_slash);
    return test_summary();
}
