/* hiredis-rs: socket includes, as hiredis's sockcompat.h provides them on POSIX systems. */
#ifndef __SOCKCOMPAT_H
#define __SOCKCOMPAT_H

#include <unistd.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>

#endif /* __SOCKCOMPAT_H */
