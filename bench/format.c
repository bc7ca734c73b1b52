/* Formatter benchmark: redisFormatCommand (printf-style, %s/%b and %d) and
 * redisFormatCommandArgv, each followed by redisFreeCommand. Reports ns per call (and,
 * under callgrind, instructions per call). Public API only. */
#include <hiredis/hiredis.h>

#include "benchlib.h"

static const char key[] = "user:1234567";                       /* 12 bytes */
static const char val[] = "0123456789abcdef0123456789ABCDEF"; /* 32 bytes */

typedef int (*fmt_fn)(long i);

static volatile size_t sink;

static int f_set_sb(long i) {
    char *cmd = NULL;
    (void)i;
    int len = redisFormatCommand(&cmd, "SET %s %b", key, val, sizeof val - 1);
    if (len < 0) return -1;
    sink += (size_t)len + (unsigned char)cmd[len - 1];
    redisFreeCommand(cmd);
    return 0;
}

static int f_incrby_d(long i) {
    char *cmd = NULL;
    int len = redisFormatCommand(&cmd, "INCRBY counter %d", (int)(i & 0xffffff));
    if (len < 0) return -1;
    sink += (size_t)len + (unsigned char)cmd[len - 1];
    redisFreeCommand(cmd);
    return 0;
}

static int f_argv(long i) {
    char *cmd = NULL;
    const char *argv[3] = {"SET", key, val};
    const size_t lens[3] = {3, sizeof key - 1, sizeof val - 1};
    (void)i;
    int len = redisFormatCommandArgv(&cmd, 3, argv, lens);
    if (len < 0) return -1;
    sink += (size_t)len + (unsigned char)cmd[len - 1];
    redisFreeCommand(cmd);
    return 0;
}

static const struct {
    const char *name;
    fmt_fn fn;
} cases[] = {
    {"SET_%s_%b", f_set_sb},
    {"INCRBY_%d", f_incrby_d},
    {"argv_SET", f_argv},
};

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    int instr = bl_instr_mode();
    double target = bl_target_seconds();

    /* The bytes each case must produce, checked once so a broken build is not timed. */
    {
        char *cmd = NULL;
        const char *want = "*3\r\n$3\r\nSET\r\n$12\r\nuser:1234567\r\n$32\r\n0123456789abcdef0123456789ABCDEF\r\n";
        int len = redisFormatCommand(&cmd, "SET %s %b", key, val, sizeof val - 1);
        if (len != (int)strlen(want) || memcmp(cmd, want, (size_t)len) != 0) {
            fprintf(stderr, "format: unexpected output\n");
            return 1;
        }
        redisFreeCommand(cmd);
        len = redisFormatCommand(&cmd, "INCRBY counter %d", 42);
        want = "*3\r\n$6\r\nINCRBY\r\n$7\r\ncounter\r\n$2\r\n42\r\n";
        if (len != (int)strlen(want) || memcmp(cmd, want, (size_t)len) != 0) {
            fprintf(stderr, "format %%d: unexpected output\n");
            return 1;
        }
        redisFreeCommand(cmd);
    }

    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        if (only && !strstr(cases[ci].name, only)) continue;
        fmt_fn fn = cases[ci].fn;
        for (long i = 0; i < 1000; i++) /* warm-up */
            if (fn(i) != 0) return 1;
        if (instr) {
            long n = 20000;
            bl_instr_start();
            for (long i = 0; i < n; i++) fn(i);
            bl_instr_stop(cases[ci].name, n);
        } else {
            long n = 0, batch = 10000;
            double t0 = bl_now(), dt;
            do {
                for (long i = 0; i < batch; i++) fn(n + i);
                n += batch;
            } while ((dt = bl_now() - t0) < target);
            bl_result("format", cases[ci].name, "ns_per_call", dt * 1e9 / (double)n);
        }
    }
    return 0;
}
