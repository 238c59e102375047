/*
 * lx's AF_INET sockets (inet.c; docs/linux.md, "Sockets"): TCP and UDP over
 * the network server's socket protocol (abi/protocols/sock.proto). The
 * socket calls of fdsys.c's table come here first: an AF_INET descriptor is
 * served by inet.c, any other socket goes on to waitfd.c's AF_UNIX calls.
 */
#ifndef LX_INET_H
#define LX_INET_H

#include <stdint.h>

#include "lxsys.h"

struct lx_proc;
struct lx_fd;
struct lx_ofd;

/* socket(AF_INET, ...) (waitfd.c's socket() hands it over). */
long lx_inet_socket(struct lx_call *c);

/* The descriptor-side hooks of waitfd.c for FD_INET. */
short lx_inet_ready(struct lx_ofd *o);
long lx_inet_read(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count);
long lx_inet_write(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count);
void lx_inet_release(struct lx_ofd *o);
/* Sends n bytes of lx's memory (sendfile): how many the server took. */
long lx_inet_put(struct lx_fd *f, const uint8_t *data, uint64_t n);

/* The socket calls of fdsys.c's table: AF_INET here, AF_UNIX in waitfd.c. */
long lx_n_bind(struct lx_call *c);
long lx_n_listen(struct lx_call *c);
long lx_n_connect(struct lx_call *c);
long lx_n_accept(struct lx_call *c);
long lx_n_accept4(struct lx_call *c);
long lx_n_sendto(struct lx_call *c);
long lx_n_recvfrom(struct lx_call *c);
long lx_n_sendmsg(struct lx_call *c);
long lx_n_recvmsg(struct lx_call *c);
long lx_n_shutdown(struct lx_call *c);
long lx_n_getsockname(struct lx_call *c);
long lx_n_getpeername(struct lx_call *c);
long lx_n_setsockopt(struct lx_call *c);
long lx_n_getsockopt(struct lx_call *c);

#endif
