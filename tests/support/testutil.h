/*
 * Helpers shared by the tests: where the build put the PKI and plugins,
 * hosts from inline JSON, real in-memory handshakes, trace and log
 * recorders, checks of refused configurations, scratch directories and
 * files.
 */
#ifndef SSLPLUG_TESTUTIL_H
#define SSLPLUG_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h> /* cmocka needs these first */
#include <stdint.h>

#include <cmocka.h>

#include "pair.h"
#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */
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

/* "context" members of a client verifying its peer against the demo CA. */
#define TU_CLIENT_CONTEXT "\"role\": \"client\", \"ca_file\": \"pki/ca.crt\", \"verify\": \"peer\""
/* "context" members of a server presenting the demo certificate, its key unencrypted. */
#define TU_SERVER_CONTEXT                                                                          \
    "\"role\": \"server\", \"certificate\": \"pki/server.crt\", "                                  \
    "\"private_key\": \"pki/server-plain.key\""

/*
 * A host with one context and callbacks of one type:
 * {"version": 1, "context": {CONTEXT}, "callbacks": {"TYPE": ENTRY}}, where
 * ENTRY (an entry object or an array of them) is printf-style.  As tu_host.
 */
sslplug_host *tu_host_entry(const char *context, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A plain server/client context for the other side of a handshake. */
SSL_CTX *tu_plain_server(int require_client_cert);
SSL_CTX *tu_plain_client(int verify);

/*
 * A plain server presenting pki/NAME.crt with pki/NAME.key (for "server",
 * the unencrypted pki/server-plain.key).
 */
SSL_CTX *tu_plain_server_of(const char *name);

/* ctx presents pki/NAME.crt (its first certificate only) with pki/NAME.key. */
void tu_ctx_use_cert(SSL_CTX *ctx, const char *name);

/*
 * The SPKI pin ("sha256//" and base64) of the PEM certificate at cert_path,
 * made with the openssl command line the way curl's documentation says, so
 * that a test does not trust the plugin's own code.  malloc'd.
 */
char *tu_cert_pin(const char *cert_path);

/* One handshake between two contexts; 1 when both sides completed. */
int tu_handshake(SSL_CTX *server, SSL_CTX *client, sslplug_pair *pair);
/*
 * As tu_handshake, asserting the outcome (1 completed, 0 failed) and
 * printing both sides' reasons when it differs.  The caller inspects and
 * cleans up the pair.
 */
void tu_handshake_expect(SSL_CTX *server, SSL_CTX *client, sslplug_pair *pair, int expected);
/*
 * One handshake with SNI name: the ALPN protocol agreed, malloc'd ("" for
 * none), or NULL when the handshake failed.
 */
char *tu_alpn_agreed(SSL_CTX *server, SSL_CTX *client, const char *name);

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

/*
 * Records log lines (sslplug_host_set_log) as "PLUGIN: MESSAGE\n".  Start
 * from all zeroes: the host's own lines (plugin "sslplug") are then left
 * out, as most tests count only what plugins say.  Set the options first.
 */
typedef struct tu_log {
    char *text; /* NULL until a line is recorded */
    size_t len;
    int count[SSLPLUG_LOG_DEBUG + 1]; /* lines recorded per SSLPLUG_LOG_* level */
    int with_host;                    /* option: keep the host's own lines too */
    int with_level;                   /* option: lines "LEVEL PLUGIN: MESSAGE\n" */
} tu_log;
void tu_log_fn(int level, const char *plugin, const char *message, void *arg);
/* Occurrences of needle in the log. */
int tu_log_has(const tu_log *log, const char *needle);
/* Asserts that needle is in the log, printing the log when it is not. */
void tu_log_assert_has(const tu_log *log, const char *needle);
void tu_log_free(tu_log *log);

/* What one host reported: its trace and (as tu_log, without its own lines) its log. */
typedef struct tu_report {
    tu_trace trace;
    tu_log log;
} tu_report;
/* Record host's trace and log into rep, which must outlive the host's contexts' use. */
void tu_report_attach(sslplug_host *host, tu_report *rep);
void tu_report_free(tu_report *rep);

/*
 * A context from tu_host_entry(context, type, fmt, ...), recorded into rep
 * (NULL: not recorded).  The host is freed at once: contexts outlive it.
 * Fails the test when either cannot be made.
 */
SSL_CTX *tu_ctx_entry(tu_report *rep, const char *context, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Asserts that err holds code at pointer, with a message containing
 * fragment (NULL: any message); prints what it holds when it does not.
 */
void tu_error_assert(const sslplug_error *err, sslplug_code code, const char *pointer,
                     const char *fragment);
/*
 * Asserts that no context can be made from host: sslplug_ctx_new fails as
 * tu_error_assert describes (for a plugin's init, SSLPLUG_E_PLUGIN_INIT at
 * the pointer the plugin named).  The host stays the caller's.
 */
void tu_ctx_assert_error(sslplug_host *host, sslplug_code code, const char *pointer,
                         const char *fragment);
/*
 * Asserts that the entry {"plugin": PLUGIN, "config": CONFIG} for callbacks
 * of TYPE, in a context of CONTEXT members (as tu_host_entry), fails its
 * init: SSLPLUG_E_PLUGIN_INIT at pointer, with a message containing
 * fragment (NULL: any).  Prints the config when it does not.
 */
void tu_init_assert_error(const char *context, const char *type, const char *plugin,
                          const char *config, const char *pointer, const char *fragment);

/* mkdtemp under $TMPDIR; the caller frees with tu_rmtree. */
char *tu_tmpdir(void);
void tu_rmtree(char *dir);
/* Write content to dir/name with mode; returns the malloc'd path. */
char *tu_write(const char *dir, const char *name, const char *content, unsigned mode);
/* "dir/name", malloc'd. */
char *tu_path_join(const char *dir, const char *name);
/*
 * The whole of a file, NUL-terminated and malloc'd, its length in *len
 * (len may be NULL); NULL when it cannot be opened.
 */
char *tu_file_read(const char *path, size_t *len);
/* Copy the file at from to dir/name with mode (replacing it); returns the malloc'd path. */
char *tu_file_copy(const char *from, const char *dir, const char *name, unsigned mode);
/* As tu_file_copy, only the first len bytes: a truncated copy. */
char *tu_file_copy_head(const char *from, const char *dir, const char *name, size_t len,
                        unsigned mode);

/*
 * Revocation data signed by the demo CA (pki/ca.key), written to dir/name
 * (mode 0644) and returned as a malloc'd path: a PEM CRL valid from an hour
 * ago for a day (with stale: expired two days ago), listing pki/REVOKED (a
 * certificate file name) or nothing;
 * a DER OCSP response for pki/CERT with status (V_OCSP_CERTSTATUS_*),
 * valid for a day, or with stale an hour's validity two days ago.
 */
char *tu_make_crl(const char *dir, const char *name, const char *revoked, int stale);
char *tu_make_ocsp(const char *dir, const char *name, const char *cert, int status, int stale);

/*
 * A client certificate dir/NAME.crt (and dir/NAME.key, P-256) issued by the
 * demo CA for two days, with subjectAltName SANS (none when "").
 */
void tu_make_client_cert(const char *dir, const char *name, const char *sans);

/* Run a command line; returns its exit status and (if out) its stdout+stderr. */
int tu_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SSLPLUG_TESTUTIL_H */
