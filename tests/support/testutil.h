/*
 * Helpers shared by the tests: where the build put the PKI and plugins,
 * hosts from inline JSON, real in-memory handshakes, a trace recorder and
 * scratch directories.
 */
#ifndef SSLPLUG_TESTUTIL_H
#define SSLPLUG_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h> /* cmocka needs these first */
#include <stdint.h>

#include <cmocka.h>

#include "pair.h"
#include "sslplug/sslplug.h"

/* Absolute path of a file of the build-time PKI (static buffer per call slot). */
const char *tu_pki(const char *file);
/* Absolute path of a test plugin NAME.so (tests/plugins). */
const char *tu_test_plugin(const char *name);
/* The encrypted server key's password, from the build-time PKI. */
const char *tu_server_password(void);

/*
 * A host from JSON text; relative paths are relative to the demo directory
 * (so "pki/server.crt" works).  printf-style.  Fails the test on error.
 */
sslplug_host *tu_host(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As tu_host, but returns NULL with err filled instead of failing. */
sslplug_host *tu_host_try(sslplug_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A context from a host; fails the test (printing err) when NULL. */
SSL_CTX *tu_ctx(sslplug_host *host);

/* A plain server/client context for the other side of a handshake. */
SSL_CTX *tu_plain_server(int require_client_cert);
SSL_CTX *tu_plain_client(int verify);

/* One handshake between two contexts; 1 when both sides completed. */
int tu_handshake(SSL_CTX *server, SSL_CTX *client, sslplug_pair *pair);

/* Records trace events as lines "type plugin entry: detail\n". */
typedef struct tu_trace {
    char *text;
    size_t len;
    int count[SSLPLUG_CB_COUNT];
} tu_trace;
void tu_trace_fn(const sslplug_trace_event *ev, void *arg);
/* Occurrences of needle in the trace. */
int tu_trace_has(const tu_trace *t, const char *needle);
void tu_trace_free(tu_trace *t);

/* mkdtemp under $TMPDIR; the caller frees with tu_rmtree. */
char *tu_tmpdir(void);
void tu_rmtree(char *dir);
/* Write content to dir/name with mode; returns the malloc'd path. */
char *tu_write(const char *dir, const char *name, const char *content, unsigned mode);

/* Run a command line; returns its exit status and (if out) its stdout+stderr. */
int tu_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SSLPLUG_TESTUTIL_H */
