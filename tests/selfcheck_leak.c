/* Not a test of hiredis-rs: `make test-valgrind` runs this first and requires the valgrind
 * wrapper to FAIL it (one definite leak through the library, one invalid read), proving that a
 * leak or a bad access in the real tests would fail the run. */
#include <hiredis/sds.h>
#include <stdlib.h>

int main(void) {
    sds leaked = sdsnew("never freed");
    char *p = malloc(4);
    volatile char c = p[4]; /* one past the end */
    (void)c;
    free(p);
    leaked = NULL;
    return 0;
}
