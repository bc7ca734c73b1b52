/* Command formatting: redis(v)FormatCommand, the argv forms and their free functions,
 * compared byte for byte with the RESP hiredis 1.4.1 produces. No server needed. */
#include <hiredis/hiredis.h>

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>

#include "testlib.h"

/* Checks a formatted command: return value, bytes and the trailing NUL; frees it. */
static void check_cmd(int line, const char *what, char *cmd, long long len, const char *want,
                      size_t wantlen) {
    int ok = len == (long long)wantlen && cmd != NULL && memcmp(cmd, want, wantlen) == 0 &&
             cmd[wantlen] == '\0';
    CHECK(ok, "line %d: %s: got len %lld", line, what, len);
    if (!ok && cmd != NULL && len > 0) {
        printf("   got:  ");
        fwrite(cmd, 1, (size_t)len, stdout);
        printf("\n   want: ");
        fwrite(want, 1, wantlen, stdout);
        printf("\n");
    }
    redisFreeCommand(cmd);
}

/* `want` is a string literal (it may hold NULs: its size gives the length). */
#define FMT_OK(want, ...) do {                                            \
        char *cmd_ = NULL;                                                \
        int len_ = redisFormatCommand(&cmd_, __VA_ARGS__);                \
        check_cmd(__LINE__, #__VA_ARGS__, cmd_, len_, want, sizeof(want) - 1); \
    } while (0)

static int vformat(char **target, const char *fmt, ...) {
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = redisvFormatCommand(target, fmt, ap);
    va_end(ap);
    return r;
}

/* Invalid formats: -1 from redisFormatCommand, -2 from redisvFormatCommand, target untouched. */
#define FMT_BAD(...) do {                                                 \
        char *cmd_ = (char *)&tl_passed;                                  \
        int r_ = redisFormatCommand(&cmd_, __VA_ARGS__);                  \
        CHECK(r_ == -1 && cmd_ == (char *)&tl_passed, "%s -> %d", #__VA_ARGS__, r_); \
        r_ = vformat(&cmd_, __VA_ARGS__);                                 \
        CHECK(r_ == -2 && cmd_ == (char *)&tl_passed, "v %s -> %d", #__VA_ARGS__, r_); \
    } while (0)

static void test_basic(void) {
    SECTION("no interpolation, %s, %b, %%");
    FMT_OK("*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n", "SET foo bar");
    FMT_OK("*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n", "SET %s %s", "foo", "bar");
    FMT_OK("*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$0\r\n\r\n", "SET %s %s", "foo", "");
    FMT_OK("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$3\r\nfoo\r\n", "SET %s %s", "", "foo");
    FMT_OK("*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nb\0r\r\n", "SET %b %b", "foo", (size_t)3,
           "b\0r", (size_t)3);
    FMT_OK("*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$0\r\n\r\n", "SET %b %b", "foo", (size_t)3, "",
           (size_t)0);
    FMT_OK("*2\r\n$3\r\nSET\r\n$0\r\n\r\n", "SET %b", (const char *)NULL, (size_t)0);
    FMT_OK("*3\r\n$3\r\nSET\r\n$1\r\n%\r\n$1\r\n%\r\n", "SET %% %%");
    FMT_OK("*2\r\n$3\r\nSET\r\n$2\r\na%\r\n", "SET a%");
    FMT_OK("*1\r\n$1\r\n%\r\n", "%");
    FMT_OK("*2\r\n$1\r\na\r\n$1\r\n%\r\n", "a %");
    FMT_OK("*1\r\n$4\r\nx%y%\r\n", "x%%y%");
}

static void test_splitting(void) {
    SECTION("argument splitting and joining");
    FMT_OK("*0\r\n", "");
    FMT_OK("*0\r\n", "    ");
    FMT_OK("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "  GET   key  ");
    FMT_OK("*1\r\n$6\r\na\tb\r\nc\r\n", "a\tb\r\nc");
    FMT_OK("*1\r\n$9\r\nkey:a b:x\r\n", "key:%s:x", "a b");
    FMT_OK("*1\r\n$0\r\n\r\n", "%s", "");
    FMT_OK("*2\r\n$0\r\n\r\n$0\r\n\r\n", "%s %s", "", "");
    FMT_OK("*1\r\n$0\r\n\r\n", "%b%s", "", (size_t)0, "");
    FMT_OK("*1\r\n$4\r\n1x-y\r\n", "%d%s-%b", 1, "x", "y", (size_t)1);
    FMT_OK("*2\r\n$4\r\nHSET\r\n$5\r\nh:1:f\r\n", "HSET h:%d:%s", 1, "f");
}

static void test_printf(void) {
    SECTION("printf delegation consumes the right argument type");
    FMT_OK("*2\r\n$12\r\nkey:00001234\r\n$5\r\nhello\r\n", "key:%08d %s", 1234, "hello");
    FMT_OK("*2\r\n$12\r\nkey:00000013\r\n$5\r\nhello\r\n", "key:%08hhd %s", (char)13, "hello");
    FMT_OK("*2\r\n$12\r\nkey:00001234\r\n$5\r\nhello\r\n", "key:%08hd %s", (short)1234, "hello");
    FMT_OK("*2\r\n$12\r\nkey:00001234\r\n$5\r\nhello\r\n", "key:%08ld %s", 1234L, "hello");
    FMT_OK("*2\r\n$12\r\nkey:00001234\r\n$5\r\nhello\r\n", "key:%08lld %s", 1234LL, "hello");
    FMT_OK("*2\r\n$12\r\nkey:00001234\r\n$5\r\nhello\r\n", "key:%08u %s", 1234U, "hello");
    FMT_OK("*2\r\n$12\r\nkey:00000013\r\n$5\r\nhello\r\n", "key:%08hhu %s", (unsigned char)13, "hello");
    FMT_OK("*2\r\n$12\r\nkey:00001234\r\n$5\r\nhello\r\n", "key:%08hu %s", (unsigned short)1234, "hello");
    FMT_OK("*2\r\n$12\r\nkey:00001234\r\n$5\r\nhello\r\n", "key:%08lu %s", 1234UL, "hello");
    FMT_OK("*2\r\n$12\r\nkey:00001234\r\n$5\r\nhello\r\n", "key:%08llu %s", 1234ULL, "hello");
    FMT_OK("*2\r\n$12\r\nkey:0001.500\r\n$5\r\nhello\r\n", "key:%08.3f %s", (float)1.5, "hello");
    FMT_OK("*2\r\n$12\r\nkey:0001.500\r\n$5\r\nhello\r\n", "key:%08.3f %s", 1.5, "hello");

    SECTION("flags, width, precision and every accepted conversion");
    FMT_OK("*2\r\n$6\r\n42   |\r\n$1\r\nz\r\n", "%-5d| %s", 42, "z");
    FMT_OK("*2\r\n$3\r\n+42\r\n$1\r\nz\r\n", "%+d %s", 42, "z");
    FMT_OK("*2\r\n$3\r\n 42\r\n$1\r\nz\r\n", "% d %s", 42, "z");
    FMT_OK("*1\r\n$4\r\n0xff\r\n", "%#x", 255);
    FMT_OK("*1\r\n$2\r\nFF\r\n", "%X", 255);
    FMT_OK("*1\r\n$2\r\n10\r\n", "%o", 8);
    FMT_OK("*1\r\n$2\r\n-7\r\n", "%i", -7);
    FMT_OK("*1\r\n$2\r\n44\r\n", "%hhd", 300);
    FMT_OK("*1\r\n$4\r\n4464\r\n", "%hd", 70000);
    FMT_OK("*1\r\n$10\r\n4294967295\r\n", "%u", -1);
    FMT_OK("*1\r\n$20\r\n-9223372036854775808\r\n", "%lld", LLONG_MIN);
    FMT_OK("*1\r\n$20\r\n18446744073709551615\r\n", "%llu", ULLONG_MAX);
    FMT_OK("*1\r\n$16\r\nffffffffffffffff\r\n", "%lx", -1L);
    FMT_OK("*1\r\n$12\r\n1.234568e+04\r\n", "%e", 12345.678);
    FMT_OK("*1\r\n$12\r\n5.000000E-01\r\n", "%E", 0.5);
    FMT_OK("*1\r\n$6\r\n0.0001\r\n", "%g", 0.0001);
    FMT_OK("*1\r\n$5\r\n1E+20\r\n", "%G", 1e20);
    FMT_OK("*1\r\n$6\r\n0x1p+0\r\n", "%a", 1.0);
    FMT_OK("*1\r\n$6\r\n0X1P+0\r\n", "%A", 1.0);
    FMT_OK("*1\r\n$3\r\nINF\r\n", "%F", (double)INFINITY);
    FMT_OK("*1\r\n$3\r\nnan\r\n", "%f", (double)NAN);
    FMT_OK("*1\r\n$1\r\n2\r\n", "%.0f", 2.5);
    FMT_OK("*1\r\n$0\r\n\r\n", "%.d", 0);
    FMT_OK("*1\r\n$8\r\n   3.142\r\n", "%8.3f", 3.14159);
    FMT_OK("*3\r\n$3\r\nSET\r\n$3\r\nk:7\r\n$3\r\n2.5\r\n", "SET k:%d %.1f", 7, 2.5);

    {
        /* Output far longer than any internal first guess. */
        char *cmd = NULL;
        int len = redisFormatCommand(&cmd, "%300d", 7);
        CHECK(len == 4 + 6 + 300 + 2 && cmd && memcmp(cmd, "*1\r\n$300\r\n   ", 13) == 0 &&
              memcmp(cmd + 309, "7\r\n", 3) == 0, "wide printf output, len %d", len);
        redisFreeCommand(cmd);
    }

    SECTION("directives of 14+ characters: value consumed, nothing printed");
    FMT_OK("*1\r\n$17\r\n000000000000000d!\r\n", "%0000000000000000d!", 5);
    FMT_OK("*1\r\n$9\r\n0000001.0\r\n", "%000000009.1f", 1.0);
    FMT_OK("*2\r\n$12\r\n000000009.1f\r\n$1\r\nz\r\n", "%0000000009.1f %s", 1.0, "z");
    FMT_OK("*2\r\n$15\r\n000000000012lld\r\n$1\r\nz\r\n", "%0000000000012lld %s", 5LL, "z");
}

static void test_invalid(void) {
    SECTION("invalid formats");
    FMT_BAD("key:%08p %s", (void *)1234, "hello");
    FMT_BAD("key:%-");
    FMT_BAD("%c", 'x');
    FMT_BAD("%zu", (size_t)1);
    FMT_BAD("%lf", 1.0);
    FMT_BAD("%5s", "x");
    FMT_BAD("%*d", 1, 2);
    FMT_BAD("%Lf", 1.0L);
    FMT_BAD("%hhf", 1.0);
    FMT_BAD("%llf", 1.0);
    FMT_BAD("%l");
    FMT_BAD("%#");
    FMT_BAD("% ");
    FMT_BAD("%. x");
    FMT_BAD("SET %s %q", "a");

    {
        int r = redisFormatCommand(NULL, "SET %s", "x");
        CHECK(r == -1, "NULL target -> %d", r);
        r = vformat(NULL, "SET %s", "x");
        CHECK(r == -1, "NULL target (v) -> %d", r);
    }
}

static void test_argv(void) {
    const char *argv[3] = {"SET", "foo\0xxx", "bar"};
    size_t lens[3] = {3, 7, 3};
    char *cmd = NULL;
    sds scmd = NULL;
    long long len;

    SECTION("argv forms");
    len = redisFormatCommandArgv(&cmd, 3, argv, NULL);
    check_cmd(__LINE__, "argv without lengths", cmd, len,
              "*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n", 31);
    len = redisFormatCommandArgv(&cmd, 3, argv, lens);
    check_cmd(__LINE__, "argv with lengths", cmd, len,
              "*3\r\n$3\r\nSET\r\n$7\r\nfoo\0xxx\r\n$3\r\nbar\r\n", 35);
    len = redisFormatCommandArgv(&cmd, 0, NULL, NULL);
    check_cmd(__LINE__, "argc 0", cmd, len, "*0\r\n", 4);

    len = redisFormatSdsCommandArgv(&scmd, 3, argv, NULL);
    CHECK(len == 31 && sdslen(scmd) == 31 &&
          memcmp(scmd, "*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n\0", 32) == 0,
          "sds argv without lengths: %lld", len);
    redisFreeSdsCommand(scmd);
    len = redisFormatSdsCommandArgv(&scmd, 3, argv, lens);
    CHECK(len == 35 && sdslen(scmd) == 35 &&
          memcmp(scmd, "*3\r\n$3\r\nSET\r\n$7\r\nfoo\0xxx\r\n$3\r\nbar\r\n\0", 36) == 0,
          "sds argv with lengths: %lld", len);
    /* The command is an ordinary sds: the library's sds functions accept it. */
    scmd = sdscatlen(scmd, "x", 1);
    CHECK(scmd && sdslen(scmd) == 36 && scmd[35] == 'x' && scmd[36] == '\0', "sds argv is an sds");
    redisFreeSdsCommand(scmd);

    CHECK(redisFormatCommandArgv(NULL, 3, argv, NULL) == -1, "argv NULL target");
    CHECK(redisFormatSdsCommandArgv(NULL, 3, argv, NULL) == -1, "sds argv NULL target");

    {
        /* A large argument: lengths with many digits, both forms agree. */
        size_t big = 100000;
        char *buf = malloc(big);
        const char *av[2] = {"SET", NULL};
        size_t al[2] = {3, 0};
        long long l1, l2;
        memset(buf, 'v', big);
        av[1] = buf;
        al[1] = big;
        l1 = redisFormatCommandArgv(&cmd, 2, av, al);
        l2 = redisFormatSdsCommandArgv(&scmd, 2, av, al);
        CHECK(l1 == 4 + 9 + 1 + 6 + 2 + (long long)big + 2 && l1 == l2 && memcmp(cmd, scmd, (size_t)l1) == 0 &&
              memcmp(cmd + 13, "$100000\r\nvvv", 12) == 0, "big argument: %lld %lld", l1, l2);
        redisFreeCommand(cmd);
        redisFreeSdsCommand(scmd);
        free(buf);
    }

    redisFreeCommand(NULL);
    redisFreeSdsCommand(NULL);
    CHECK(1, "free NULL commands");
}

static void test_consistency(void) {
    /* The format and argv forms agree on the same arguments. */
    const char *argv[4] = {"HSET", "h", "field one", "v\0v"};
    size_t lens[4] = {4, 1, 9, 3};
    char *a = NULL, *b = NULL;
    int la;
    long long lb;
    SECTION("format and argv forms agree");
    la = redisFormatCommand(&a, "HSET %s %b %b", "h", "field one", (size_t)9, "v\0v", (size_t)3);
    lb = redisFormatCommandArgv(&b, 4, argv, lens);
    CHECK(la == lb && la > 0 && memcmp(a, b, (size_t)la) == 0, "%d vs %lld", la, lb);
    hi_free(a);
    hi_free(b);
}

int main(void) {
    test_basic();
    test_splitting();
    test_printf();
    test_invalid();
    test_argv();
    test_consistency();
    return tl_done();
}
