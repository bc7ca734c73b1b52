/* sds: every exported function, the inline accessors of sds.h on strings the library returns,
 * and library functions on strings C code built by hand with the header structs. */
#include <hiredis/hiredis.h>

#include <limits.h>
#include <stdint.h>

#include "testlib.h"

/* Exported by hiredis (and us) but declared in no header. */
int sdsll2str(char *s, long long value);
int sdsull2str(char *s, unsigned long long v);
int hex_digit_to_int(char c);

#define SDS_IS(s, lit) ((s) != NULL && sdslen(s) == sizeof(lit) - 1 && \
                        memcmp((s), lit, sizeof(lit)) == 0)

static int sds_type(const sds s) { return s[-1] & SDS_TYPE_MASK; }

static void test_create(void) {
    sds x, y;
    SECTION("create, inline accessors, header types");
    x = sdsnew("foo");
    CHECK(SDS_IS(x, "foo") && sds_type(x) == SDS_TYPE_5 && sdsavail(x) == 0 && sdsalloc(x) == 3,
          "sdsnew short string is type 5");
    sdsfree(x);
    x = sdsnewlen("foo", 2);
    CHECK(SDS_IS(x, "fo"), "sdsnewlen");
    y = sdsdup(x);
    CHECK(y != x && SDS_IS(y, "fo"), "sdsdup");
    sdsfree(y);
    sdsfree(x);
    x = sdsnewlen(NULL, 4);
    CHECK(x && sdslen(x) == 4 && memcmp(x, "\0\0\0\0\0", 5) == 0, "sdsnewlen(NULL) zero-fills");
    sdsfree(x);
    x = sdsempty();
    CHECK(SDS_IS(x, "") && sds_type(x) == SDS_TYPE_8 && sdsalloc(x) == 0, "sdsempty is type 8");
    sdsfree(x);
    x = sdsnew(NULL);
    CHECK(SDS_IS(x, ""), "sdsnew(NULL)");
    sdsfree(x);
    {
        static const struct { size_t n; int type; } types[] = {
            {31, SDS_TYPE_5}, {32, SDS_TYPE_8}, {254, SDS_TYPE_8}, {255, SDS_TYPE_16},
            {65534, SDS_TYPE_16}, {65535, SDS_TYPE_32}};
        size_t i;
        for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
            x = sdsnewlen(NULL, types[i].n);
            CHECK(x && sds_type(x) == types[i].type && sdslen(x) == types[i].n &&
                  sdsAllocSize(x) == (size_t)((char *)x - (char *)sdsAllocPtr(x)) + types[i].n + 1,
                  "size %zu: type %d", types[i].n, x ? sds_type(x) : -1);
            sdsfree(x);
        }
    }
    sdsfree(NULL);
    CHECK(1, "sdsfree(NULL)");
}

static void test_append_copy(void) {
    sds x, y;
    SECTION("cat, cpy, growzero, makeroom, incrlen");
    x = sdsnewlen("foo", 2);
    x = sdscat(x, "bar");
    CHECK(SDS_IS(x, "fobar"), "sdscat");
    x = sdscatlen(x, "\0z", 2);
    CHECK(x && sdslen(x) == 7 && memcmp(x, "fobar\0z", 8) == 0, "sdscatlen binary");
    y = sdsnew("++");
    x = sdscatsds(x, y);
    CHECK(x && sdslen(x) == 9 && memcmp(x + 7, "++", 3) == 0, "sdscatsds");
    sdsfree(y);
    x = sdscpy(x, "a");
    CHECK(SDS_IS(x, "a"), "sdscpy shorter");
    x = sdscpy(x, "xyzxxxxxxxxxxyyyyyyyyyykkkkkkkkkk");
    CHECK(SDS_IS(x, "xyzxxxxxxxxxxyyyyyyyyyykkkkkkkkkk"), "sdscpy longer");
    x = sdscpylen(x, "ab\0c", 4);
    CHECK(x && sdslen(x) == 4 && memcmp(x, "ab\0c", 5) == 0, "sdscpylen");
    x = sdsgrowzero(x, 10);
    CHECK(x && sdslen(x) == 10 && memcmp(x, "ab\0c\0\0\0\0\0\0\0", 11) == 0, "sdsgrowzero");
    x = sdsgrowzero(x, 3);
    CHECK(sdslen(x) == 10, "sdsgrowzero never shrinks");
    sdsclear(x);
    CHECK(SDS_IS(x, "") && sdsavail(x) >= 10, "sdsclear keeps room");
    sdsfree(x);

    /* The read-into-spare-room pattern the library itself uses on buffers. */
    x = sdsempty();
    x = sdsMakeRoomFor(x, 100);
    CHECK(x && sdsavail(x) >= 100 && sdslen(x) == 0, "sdsMakeRoomFor");
    CHECK(sdsalloc(x) == 200, "growth doubles below 1MB: %zu", sdsalloc(x));
    memcpy(x, "hello", 5);
    sdsIncrLen(x, 5);
    CHECK(SDS_IS(x, "hello"), "sdsIncrLen up");
    sdsIncrLen(x, -2);
    CHECK(SDS_IS(x, "hel"), "sdsIncrLen down");
    x = sdsRemoveFreeSpace(x);
    CHECK(SDS_IS(x, "hel") && sdsavail(x) == 0 && sds_type(x) == SDS_TYPE_5 && sdsAllocSize(x) == 1 + 3 + 1,
          "sdsRemoveFreeSpace shrinks to type 5");
    sdsfree(x);
    x = sdsnewlen(NULL, 40);
    x = sdsMakeRoomFor(x, 2000);
    CHECK(x && sds_type(x) == SDS_TYPE_16 && sdslen(x) == 40 && sdsalloc(x) == 2 * 2040,
          "growth changes the header type");
    x = sdsRemoveFreeSpace(x);
    CHECK(x && sds_type(x) == SDS_TYPE_8 && sdsalloc(x) == 40 && sdslen(x) == 40, "and back");
    sdsfree(x);
    x = sdsempty();
    x = sdsMakeRoomFor(x, 2 * 1024 * 1024);
    CHECK(x && sdsalloc(x) == 3 * 1024 * 1024, "growth adds 1MB above 1MB");
    sdsfree(x);

    SECTION("arguments pointing into the target");
    x = sdsnew("abcdefghijklmnopqrstuvwxyz0123456789"); /* type 8, no spare room */
    x = sdscatsds(x, x);
    CHECK(x && sdslen(x) == 72 && memcmp(x, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789", 73) == 0,
          "sdscatsds(s, s) while growing");
    x = sdscpylen(x, x + 2, 5);
    CHECK(SDS_IS(x, "cdefg"), "sdscpylen from its own middle");
    x = sdscatlen(x, x + 1, 3);
    CHECK(SDS_IS(x, "cdefgdef"), "sdscatlen of its own bytes");
    sdsfree(x);
    x = sdsnew("0123456789abcdefghijklmnopqrstuvwxyz"); /* no spare room: printing grows it */
    x = sdscatprintf(x, "|%s|", x);
    CHECK(SDS_IS(x, "0123456789abcdefghijklmnopqrstuvwxyz|0123456789abcdefghijklmnopqrstuvwxyz|"),
          "sdscatprintf with the target as an argument");
    sdsfree(x);
}

static sds vprintf_helper(sds s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    s = sdscatvprintf(s, fmt, ap);
    va_end(ap);
    return s;
}

static void test_printf_fmt(void) {
    sds x;
    char big[3000];
    SECTION("sdscatprintf, sdscatvprintf, sdscatfmt");
    x = sdscatprintf(sdsempty(), "%d", 123);
    CHECK(SDS_IS(x, "123"), "sdscatprintf base case");
    x = sdscatprintf(x, "-%s-%5.2f-%c", "ab", 3.14159, 'z');
    CHECK(SDS_IS(x, "123-ab- 3.14-z"), "sdscatprintf more");
    x = sdscatprintf(x, "[%c]", 0);
    CHECK(SDS_IS(x, "123-ab- 3.14-z["), "output stops at an embedded NUL, like sdscat");
    sdsfree(x);
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    x = vprintf_helper(sdsnew("<"), "%s|%s", big, big);
    CHECK(x && sdslen(x) == 1 + 2 * 2999 + 1 && x[0] == '<' && x[3000] == '|' && x[5999] == 'q' &&
          x[6000] == '\0', "sdscatvprintf long output: %zu", x ? sdslen(x) : 0);
    sdsfree(x);

    x = sdsnew("--");
    x = sdscatfmt(x, "Hello %s World %I,%I--", "Hi!", LLONG_MIN, LLONG_MAX);
    CHECK(SDS_IS(x, "--Hello Hi! World -9223372036854775808,9223372036854775807--"),
          "sdscatfmt base case");
    sdsfree(x);
    x = sdsnew("--");
    x = sdscatfmt(x, "%u,%U--", UINT_MAX, ULLONG_MAX);
    CHECK(SDS_IS(x, "--4294967295,18446744073709551615--"), "sdscatfmt unsigned");
    sdsfree(x);
    {
        sds s = sdsnew("an sds");
        x = sdscatfmt(sdsempty(), "%i|%S|%%|%x|%s", -42, s, "c");
        CHECK(SDS_IS(x, "-42|an sds|%|x|c"), "sdscatfmt %%i %%S and unknown directives");
        sdsfree(x);
        sdsfree(s);
    }
}

static void test_edit(void) {
    sds x, y;
    int r;
    SECTION("trim, range, updatelen, case, mapchars, cmp");
    x = sdsnew(" x ");
    sdstrim(x, " x");
    CHECK(SDS_IS(x, ""), "sdstrim all chars match");
    sdsfree(x);
    x = sdsnew(" x ");
    sdstrim(x, " ");
    CHECK(SDS_IS(x, "x"), "sdstrim single char remains");
    sdsfree(x);
    x = sdsnew("xxciaoyyy");
    sdstrim(x, "xy");
    CHECK(SDS_IS(x, "ciao"), "sdstrim");

    y = sdsdup(x); r = sdsrange(y, 1, 1);
    CHECK(r == 0 && SDS_IS(y, "i"), "sdsrange(1,1)"); sdsfree(y);
    y = sdsdup(x); sdsrange(y, 1, -1);
    CHECK(SDS_IS(y, "iao"), "sdsrange(1,-1)"); sdsfree(y);
    y = sdsdup(x); sdsrange(y, -2, -1);
    CHECK(SDS_IS(y, "ao"), "sdsrange(-2,-1)"); sdsfree(y);
    y = sdsdup(x); sdsrange(y, 2, 1);
    CHECK(SDS_IS(y, ""), "sdsrange(2,1)"); sdsfree(y);
    y = sdsdup(x); sdsrange(y, 1, 100);
    CHECK(SDS_IS(y, "iao"), "sdsrange(1,100)"); sdsfree(y);
    y = sdsdup(x); sdsrange(y, 100, 100);
    CHECK(SDS_IS(y, ""), "sdsrange(100,100)"); sdsfree(y);
    y = sdsdup(x); sdsrange(y, 4, 6);
    CHECK(SDS_IS(y, ""), "sdsrange(4,6)"); sdsfree(y);
    y = sdsdup(x); sdsrange(y, 3, 6);
    CHECK(SDS_IS(y, "o"), "sdsrange(3,6)"); sdsfree(y);
    y = sdsdup(x); sdsrange(y, -100, 100);
    CHECK(SDS_IS(y, "ciao"), "sdsrange(-100,100)"); sdsfree(y);
    sdsfree(x);

    x = sdsnew("foobar");
    x[2] = '\0';
    sdsupdatelen(x);
    CHECK(sdslen(x) == 2, "sdsupdatelen");
    sdsfree(x);

    x = sdsnew("Hello World 123!");
    sdstoupper(x);
    CHECK(SDS_IS(x, "HELLO WORLD 123!"), "sdstoupper");
    sdstolower(x);
    CHECK(SDS_IS(x, "hello world 123!"), "sdstolower");
    x = sdsmapchars(x, "ol", "01", 2);
    CHECK(SDS_IS(x, "he110 w0r1d 123!"), "sdsmapchars");
    sdsfree(x);

    x = sdsnew("foo"); y = sdsnew("foa");
    CHECK(sdscmp(x, y) > 0 && sdscmp(y, x) < 0, "sdscmp ordering");
    sdsfree(y); y = sdsnew("foo");
    CHECK(sdscmp(x, y) == 0, "sdscmp equal");
    sdsfree(y); y = sdsnew("foobar");
    CHECK(sdscmp(x, y) < 0 && sdscmp(y, x) > 0, "sdscmp prefix: %d", sdscmp(x, y));
    sdsfree(x); sdsfree(y);
    x = sdsnew("bar"); y = sdsnew("bar");
    CHECK(sdscmp(x, y) == 0, "sdscmp equal, other strings");
    sdsfree(x); sdsfree(y);
    x = sdsnew("aar"); y = sdsnew("bar");
    CHECK(sdscmp(x, y) < 0, "sdscmp first byte");
    sdsfree(x); sdsfree(y);
}

static void test_split_join(void) {
    sds *t;
    int n = -1;
    sds x;
    SECTION("splitlen, splitargs, join, repr, fromlonglong");
    t = sdssplitlen("a,b,,c", 6, ",", 1, &n);
    CHECK(t && n == 4 && SDS_IS(t[0], "a") && SDS_IS(t[1], "b") && SDS_IS(t[2], "") && SDS_IS(t[3], "c"),
          "sdssplitlen: %d", n);
    x = sdsjoinsds(t, n, "--", 2);
    CHECK(SDS_IS(x, "a--b----c"), "sdsjoinsds");
    sdsfree(x);
    sdsfreesplitres(t, n);
    t = sdssplitlen("foo_-_bar", 9, "_-_", 3, &n);
    CHECK(t && n == 2 && SDS_IS(t[0], "foo") && SDS_IS(t[1], "bar"), "sdssplitlen multi-byte sep");
    sdsfreesplitres(t, n);
    t = sdssplitlen("", 0, ",", 1, &n);
    CHECK(t != NULL && n == 0, "sdssplitlen empty input");
    sdsfreesplitres(t, n);
    n = 7;
    CHECK(sdssplitlen("abc", 3, "", 0, &n) == NULL, "sdssplitlen empty sep");
    CHECK(sdssplitlen("abc", -1, ",", 1, &n) == NULL, "sdssplitlen negative len");
    sdsfreesplitres(NULL, 0);

    t = sdssplitargs("set \"a b\" 'c\\'d' \"\\x41\\n\" plain", &n);
    CHECK(t && n == 5 && SDS_IS(t[0], "set") && SDS_IS(t[1], "a b") && SDS_IS(t[2], "c'd") &&
          SDS_IS(t[3], "A\n") && SDS_IS(t[4], "plain"), "sdssplitargs: %d", n);
    sdsfreesplitres(t, n);
    t = sdssplitargs("   ", &n);
    CHECK(t != NULL && n == 0, "sdssplitargs blank line gives an empty vector");
    sdsfreesplitres(t, n);
    n = 3;
    t = sdssplitargs("\"unbalanced", &n);
    CHECK(t == NULL && n == 0, "sdssplitargs unbalanced quotes");
    t = sdssplitargs("\"a\"b", &n);
    CHECK(t == NULL, "sdssplitargs closing quote must be followed by a space");

    {
        char *argv[3];
        char sep[] = ", ";
        argv[0] = (char *)"one"; argv[1] = (char *)"two"; argv[2] = (char *)"three";
        x = sdsjoin(argv, 3, sep);
        CHECK(SDS_IS(x, "one, two, three"), "sdsjoin");
        sdsfree(x);
        x = sdsjoin(argv, 0, sep);
        CHECK(SDS_IS(x, ""), "sdsjoin nothing");
        sdsfree(x);
    }

    x = sdscatrepr(sdsnew("r="), "a\"\\\n\r\t\a\b\x01\xff ", 11);
    CHECK(SDS_IS(x, "r=\"a\\\"\\\\\\n\\r\\t\\a\\b\\x01\\xff \""), "sdscatrepr: %s", x);
    sdsfree(x);

    x = sdsfromlonglong(LLONG_MIN);
    CHECK(SDS_IS(x, "-9223372036854775808"), "sdsfromlonglong min");
    sdsfree(x);
    x = sdsfromlonglong(0);
    CHECK(SDS_IS(x, "0"), "sdsfromlonglong 0");
    sdsfree(x);
    {
        char buf[21];
        int l = sdsll2str(buf, -12345);
        CHECK(l == 6 && strcmp(buf, "-12345") == 0, "sdsll2str");
        l = sdsull2str(buf, ULLONG_MAX);
        CHECK(l == 20 && strcmp(buf, "18446744073709551615") == 0, "sdsull2str");
        CHECK(hex_digit_to_int('7') == 7 && hex_digit_to_int('b') == 11 && hex_digit_to_int('F') == 15 &&
              hex_digit_to_int('g') == 0, "hex_digit_to_int");
    }
}

static void test_c_built(void) {
    /* An sds laid out by C code with the header structs, in hi_malloc memory. */
    struct sdshdr16 *sh;
    sds x;
    void *p;
    SECTION("library functions on sds built by C");
    sh = hi_malloc(sizeof(struct sdshdr16) + 300 + 1);
    sh->flags = SDS_TYPE_16;
    x = sh->buf;
    sdssetalloc(x, 300);
    memcpy(x, "built in C", 11);
    sdssetlen(x, 10);
    CHECK(sdslen(x) == 10 && sdsavail(x) == 290 && sdsalloc(x) == 300, "inline accessors");
    x = sdscat(x, "!");
    CHECK(SDS_IS(x, "built in C!") && (void *)(x - sizeof(struct sdshdr16)) == (void *)sh,
          "sdscat appends in place");
    CHECK(sdsAllocPtr(x) == (void *)sh && sdsAllocSize(x) == sizeof(struct sdshdr16) + 301,
          "sdsAllocPtr/Size");
    sdsinclen(x, 0);
    x = sdsgrowzero(x, 1000);
    CHECK(x && sdslen(x) == 1000 && memcmp(x, "built in C!\0", 12) == 0, "grows past the C allocation");
    sdsrange(x, 6, 10);
    CHECK(SDS_IS(x, "in C!"), "sdsrange on it");
    sdsfree(x);

    /* A type-5 string written by hand. */
    p = hi_malloc(1 + 3 + 1);
    ((unsigned char *)p)[0] = SDS_TYPE_5 | (3 << SDS_TYPE_BITS);
    memcpy((char *)p + 1, "abc", 4);
    x = (char *)p + 1;
    CHECK(sdslen(x) == 3 && sdsavail(x) == 0, "type 5 accessors");
    x = sdscatlen(x, "def", 3);
    CHECK(SDS_IS(x, "abcdef") && sds_type(x) != SDS_TYPE_5, "append to a type-5 string");
    sdsfree(x);

    p = sds_malloc(16);
    CHECK(p != NULL, "sds_malloc");
    p = sds_realloc(p, 4096);
    CHECK(p != NULL, "sds_realloc");
    sds_free(p);
    sds_free(NULL);
}

int main(void) {
    test_create();
    test_append_copy();
    test_printf_fmt();
    test_edit();
    test_split_join();
    test_c_built();
    return tl_done();
}
