/*
 * Non-blocking sockets and a poll() loop around OpenSSL's steps, for the
 * verbs that talk to real peers (serve.c, connect.c).
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

/* Pending connections the kernel queues while one is being served. */
#define LISTEN_BACKLOG 16

long long
cli_net_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline as a poll() timeout; 0 once it has passed. */
static int
left_ms(long long deadline)
{
    long long left = deadline - cli_net_now_ms();

    if (left <= 0) {
        return 0;
    }
    return left > INT_MAX ? INT_MAX : (int)left;
}

int
cli_net_split(const char *arg, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon;
    const char *h = arg;
    size_t hlen;

    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');

        if (close == NULL || close[1] != ':') {
            return 0;
        }
        h = arg + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        if ((colon = strrchr(arg, ':')) == NULL) {
            return 0;
        }
        hlen = (size_t)(colon - arg);
    }
    if (hlen == 0 || hlen >= hostlen || colon[1] == '\0' || strlen(colon + 1) >= portlen) {
        return 0;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    strcpy(port, colon + 1);
    return 1;
}

static int
set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
           fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

/* "ADDR:PORT", or "[ADDR]:PORT" for IPv6. */
static void
format_addr(const struct sockaddr *sa, socklen_t salen, char *name, size_t namelen)
{
    char host[96], serv[16];

    if (getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(name, namelen, "(unknown address)");
    } else if (sa->sa_family == AF_INET6) {
        snprintf(name, namelen, "[%s]:%s", host, serv);
    } else {
        snprintf(name, namelen, "%s:%s", host, serv);
    }
}

int
cli_net_listen(const char *addr, const char *port, char *name, size_t namelen, char *why,
               size_t whylen)
{
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage bound;
    socklen_t boundlen = sizeof(bound);
    int fd = -1, one = 1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    if ((rc = getaddrinfo(addr, port, &hints, &ai)) != 0) {
        snprintf(why, whylen, "%s port %s: %s", addr, port, gai_strerror(rc));
        return -1;
    }
    if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0 || !set_flags(fd) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &boundlen) != 0) {
        snprintf(why, whylen, "cannot listen on %s port %s: %s", addr, port, strerror(errno));
        goto fail;
    }
    format_addr((struct sockaddr *)&bound, boundlen, name, namelen);
    freeaddrinfo(ai);
    return fd;
fail:
    if (fd >= 0) {
        close(fd);
    }
    freeaddrinfo(ai);
    return -1;
}

int
cli_net_accept(int lfd, char *name, size_t namelen, char *why, size_t whylen)
{
    struct sockaddr_storage peer;
    socklen_t peerlen = sizeof(peer);
    int fd = accept(lfd, (struct sockaddr *)&peer, &peerlen);

    if (fd < 0) {
        snprintf(why, whylen, "accept: %s", strerror(errno));
        return -1;
    }
    if (!set_flags(fd)) {
        int saved = errno;

        snprintf(why, whylen, "accept: %s", strerror(saved));
        close(fd);
        errno = saved;
        return -1;
    }
    format_addr((struct sockaddr *)&peer, peerlen, name, namelen);
    return fd;
}

/* One address: a non-blocking connect, completed within timeout_ms. */
static int
connect_one(const struct addrinfo *ai, int timeout_ms, char *why, size_t whylen)
{
    long long deadline = cli_net_now_ms() + timeout_ms;
    struct pollfd p;
    int fd, soerr = 0, r;
    socklen_t sl = sizeof(soerr);

    if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0 || !set_flags(fd)) {
        goto fail;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        return fd;
    }
    if (errno != EINPROGRESS) {
        goto fail;
    }
    p.fd = fd;
    p.events = POLLOUT;
    do {
        r = poll(&p, 1, left_ms(deadline));
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
        errno = ETIMEDOUT;
        goto fail;
    }
    if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
        goto fail;
    }
    if (soerr != 0) {
        errno = soerr;
        goto fail;
    }
    return fd;
fail:
    snprintf(why, whylen, "%s", strerror(errno));
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

int
cli_net_connect(const char *host, const char *port, int timeout_ms, char *name, size_t namelen,
                char *why, size_t whylen)
{
    struct addrinfo hints, *list = NULL;
    char cause[CLI_NET_WHY_MAX] = "no address";
    int fd = -1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if ((rc = getaddrinfo(host, port, &hints, &list)) != 0) {
        snprintf(why, whylen, "%s port %s: %s", host, port, gai_strerror(rc));
        return -1;
    }
    for (const struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        format_addr(ai->ai_addr, ai->ai_addrlen, name, namelen);
        fd = connect_one(ai, timeout_ms, cause, sizeof(cause));
    }
    if (fd < 0) {
        /* name holds the last address tried. */
        snprintf(why, whylen, "cannot connect to %s: %s", name, cause);
    }
    freeaddrinfo(list);
    return fd;
}

static int
step(SSL *ssl, cli_net_op op, void *buf, int len)
{
    switch (op) {
    case CLI_NET_ACCEPT:
        return SSL_accept(ssl);
    case CLI_NET_CONNECT:
        return SSL_connect(ssl);
    case CLI_NET_READ:
        return SSL_read(ssl, buf, len);
    case CLI_NET_WRITE:
        return SSL_write(ssl, buf, len);
    case CLI_NET_SHUTDOWN:
        /* 0: our close_notify is out; the peer's is not awaited. */
        return SSL_shutdown(ssl) >= 0 ? 1 : -1;
    default:
        return -1;
    }
}

static void
describe(int sslerr, int saved_errno, char *why, size_t whylen)
{
    unsigned long code = ERR_peek_last_error();
    const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;

    if (sslerr == SSL_ERROR_ZERO_RETURN) {
        snprintf(why, whylen, "connection closed by peer");
    } else if (reason != NULL) {
        snprintf(why, whylen, "%s", reason);
    } else if (sslerr == SSL_ERROR_SYSCALL && saved_errno != 0) {
        snprintf(why, whylen, "%s", strerror(saved_errno));
    } else {
        snprintf(why, whylen, "connection closed by peer");
    }
}

int
cli_net_self_pipe(int fds[2])
{
    if (pipe(fds) != 0) {
        return 0;
    }
    if (!set_flags(fds[0]) || !set_flags(fds[1])) {
        close(fds[0]);
        close(fds[1]);
        return 0;
    }
    return 1;
}

void
cli_net_drain(int fd)
{
    char sink[64];

    while (read(fd, sink, sizeof(sink)) > 0) {
        continue;
    }
}

int
cli_net_ssl(SSL *ssl, cli_net_op op, void *buf, int len, const cli_net_wait *wait, char *why,
            size_t whylen)
{
    long long deadline = wait->idle_ms > 0 ? cli_net_now_ms() + wait->idle_ms : wait->deadline_ms;

    for (;;) {
        struct pollfd fds[2];
        nfds_t nfds = 1;
        int r, e, saved;

        ERR_clear_error();
        errno = 0;
        r = step(ssl, op, buf, len);
        saved = errno;
        if (r > 0) {
            return r;
        }
        e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            describe(e, saved, why, whylen);
            return 0;
        }
        if (wait->cancel != NULL && *wait->cancel) {
            snprintf(why, whylen, "interrupted");
            return 0;
        }
        if (left_ms(deadline) == 0) {
            snprintf(why, whylen, "timed out");
            return 0;
        }
        fds[0].fd = SSL_get_fd(ssl);
        fds[0].events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        fds[0].revents = 0;
        if (wait->cancel_fd >= 0) {
            fds[1].fd = wait->cancel_fd;
            fds[1].events = POLLIN;
            fds[1].revents = 0;
            nfds = 2;
        }
        if (poll(fds, nfds, left_ms(deadline)) < 0 && errno != EINTR) {
            snprintf(why, whylen, "poll: %s", strerror(errno));
            return 0;
        }
        if (nfds == 2 && fds[1].revents != 0) {
            if (wait->cancel_shared) {
                /* Readable for good: only the flag can say why. */
                snprintf(why, whylen, "interrupted");
                return 0;
            }
            cli_net_drain(wait->cancel_fd);
        }
    }
}

int
cli_net_read_line(cli_net_reader *r, char *line, size_t len, const cli_net_wait *wait, char *why,
                  size_t whylen)
{
    size_t used = 0;

    while (used + 1 < len) {
        if (r->start == r->end) {
            int n =
                cli_net_ssl(r->ssl, CLI_NET_READ, r->buf, (int)sizeof(r->buf), wait, why, whylen);

            if (n <= 0) {
                break;
            }
            r->start = 0;
            r->end = (size_t)n;
        }
        line[used++] = r->buf[r->start++];
        if (line[used - 1] == '\n') {
            break;
        }
    }
    line[used] = '\0';
    return (int)used;
}
