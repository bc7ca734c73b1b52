#!/bin/sh
# Programs written against hiredis's adapter headers may use what those headers include:
# hiredis's libev.h brings <stdlib.h>, its libuv.h <stdlib.h> and <string.h>, its poll.h
# <string.h>. Each snippet includes only our adapter header and calls one function of each,
# so a missing include fails the build (implicit declarations are errors here, as in GCC 14).
# Usage: check-adapter-includes.sh CC CFLAGS... (the staged install's --cflags hiredis)
set -eu
cc=$1
shift
cflags="$*"
check() { # header, extra flags, body
    printf '#include <hiredis/adapters/%s>\nint main(void) { %s return 0; }\n' "$1" "$3" |
        $cc -fsyntax-only -std=c99 -D_GNU_SOURCE -Werror=implicit-function-declaration $cflags $2 -x c - ||
        { echo "hiredis/adapters/$1 does not declare what hiredis's own does: $3"; exit 1; }
}
stdlib='void *p = malloc(1); free(p);'
string='char b[4]; memset(b, 0, sizeof b); (void)strlen(b);'
check libev.h "" "$stdlib"
check libuv.h "$(pkg-config --cflags libuv)" "$stdlib $string"
check poll.h "" "$string"
