/* hiredis-rs cluster win32.h: hiredis-cluster's Windows compatibility header. It only has an
 * effect on Windows (which hiredis-rs does not build for); installed for completeness. */
#ifndef _WIN32_HELPER_INCLUDE
#define _WIN32_HELPER_INCLUDE
#ifdef _MSC_VER
#include <winsock2.h>
#ifndef inline
#define inline __inline
#endif
#ifndef strncasecmp
#define strncasecmp _strnicmp
#endif
#endif /* _MSC_VER */
#ifdef _WIN32
#ifndef srandom
#define srandom srand
#endif
#endif /* _WIN32 */
#endif /* _WIN32_HELPER_INCLUDE */
