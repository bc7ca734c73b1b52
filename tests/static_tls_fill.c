/* A helper library for test_dlopen.c, built once per size (-DFILL_BYTES=N) as
 * build/tests/libstatictls-N.so: FILL_BYTES of initial-exec TLS and nothing else, so loading
 * it with dlopen takes that much of glibc's static TLS reserve, as a Python extension or a
 * plugin built with such TLS does. */
#ifndef FILL_BYTES
#error "build with -DFILL_BYTES=N"
#endif

__attribute__((tls_model("initial-exec"))) static __thread char fill[FILL_BYTES];

/* Uses the array, so the TLS block is kept. */
char *static_tls_fill(void);
char *static_tls_fill(void) {
    return fill;
}
