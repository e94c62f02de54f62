/*
 * Sockets and TLS I/O for `sslplug serve` and `sslplug connect`.  Every
 * socket is non-blocking and every step waits with poll() against a
 * deadline, so nothing a peer does (or fails to do) can hang the tool.
 * Errors are returned as text in a caller's buffer, ready to print.
 */
#ifndef SSLPLUG_CLI_NET_H
#define SSLPLUG_CLI_NET_H

#include <signal.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* Room for an address "[v6]:port" and for an error text. */
#define CLI_NET_NAME_MAX 128
#define CLI_NET_WHY_MAX 256

/* When a wait gives up, besides failure of the step itself. */
typedef struct cli_net_wait {
    long long deadline_ms; /* on cli_net_now_ms()'s clock */
    int cancel_fd;         /* readable when *cancel may have changed (a self-pipe); -1: none */
    const volatile sig_atomic_t *cancel; /* nonzero: give up; NULL: never */
    int idle_ms;       /* > 0: each step (not the whole) gets this long; deadline is then unused */
    int cancel_shared; /* cancel_fd is read by several waiters: leave it readable, never drain */
} cli_net_wait;

/* The steps cli_net_ssl drives. */
typedef enum cli_net_op {
    CLI_NET_ACCEPT,
    CLI_NET_CONNECT,
    CLI_NET_READ,
    CLI_NET_WRITE,
    CLI_NET_SHUTDOWN /* sends close_notify; does not wait for the peer's */
} cli_net_op;

/* A pipe with both ends non-blocking and close-on-exec.  Returns 1 or 0. */
int cli_net_self_pipe(int fds[2]);

/* Read and discard what is in a non-blocking pipe (a self-pipe's wakeups). */
void cli_net_drain(int fd);

/* Milliseconds on a monotonic clock. */
long long cli_net_now_ms(void);

/*
 * Split "HOST:PORT" or "[IPV6]:PORT" into host and port.  Returns 1, or 0
 * when arg has no port or a part does not fit.
 */
int cli_net_split(const char *arg, char *host, size_t hostlen, char *port, size_t portlen);

/*
 * Listen on a numeric address and port (port "0": the kernel picks one).
 * Writes the bound "ADDR:PORT" ("[ADDR]:PORT" for IPv6) to name.
 * Returns the listening socket, or -1 with why filled in.
 */
int cli_net_listen(const char *addr, const char *port, char *name, size_t namelen, char *why,
                   size_t whylen);

/*
 * Accept one pending connection and write the peer's address to name.
 * Returns the new socket, or -1 with why filled in and errno kept (EAGAIN
 * when the connection went away before it was accepted).
 */
int cli_net_accept(int lfd, char *name, size_t namelen, char *why, size_t whylen);

/*
 * Connect to host:port, trying each address getaddrinfo gives in turn, each
 * attempt bounded by timeout_ms.  Writes the address connected to to name.
 * Returns the socket, or -1 with why filled in.
 */
int cli_net_connect(const char *host, const char *port, int timeout_ms, char *name, size_t namelen,
                    char *why, size_t whylen);

/*
 * Run one TLS step on ssl's socket, waiting as OpenSSL asks, until it
 * completes, fails, the deadline passes or the wait is cancelled.  buf and
 * len are SSL_read's or SSL_write's; other steps ignore them.
 * Returns the step's positive result (bytes for READ and WRITE), or 0 with
 * why filled in (OpenSSL's reason, "timed out", "interrupted",
 * "connection closed by peer").
 */
int cli_net_ssl(SSL *ssl, cli_net_op op, void *buf, int len, const cli_net_wait *wait, char *why,
                size_t whylen);

/* Lines (and the rest) read from a connection, through a buffer. */
typedef struct cli_net_reader {
    SSL *ssl;
    char buf[16384];
    size_t start, end; /* what is buffered and not yet taken */
} cli_net_reader;

/*
 * The next line, up to and including its newline (at most len - 1 bytes;
 * a longer line is cut there), or what came before the peer closed.
 * NUL-terminates line.  Returns the length (> 0), or 0 with why filled in.
 */
int cli_net_read_line(cli_net_reader *r, char *line, size_t len, const cli_net_wait *wait,
                      char *why, size_t whylen);

#endif /* SSLPLUG_CLI_NET_H */
