/* The sslplug command-line tool: one file per verb. */
#ifndef SSLPLUG_CLI_H
#define SSLPLUG_CLI_H

#include <stdio.h>

#include "sslplug/sslplug.h"

/* Exit statuses of every verb. */
#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

int cli_check(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_handshake(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_connect(int argc, char **argv);
int cli_run(int argc, char **argv);

/* "CONFIG:LINE:COL: message" or "CONFIG: /pointer: message". */
void cli_print_error(FILE *out, const sslplug_error *err);

/*
 * Trace and log sinks printing one line per event to stdout, tagged with
 * arg, a string (the side: "server", "client") that outlives the host.
 */
void cli_print_trace(const sslplug_trace_event *ev, void *arg);
void cli_print_log(int level, const char *plugin, const char *message, void *arg);
/* One trace or log line, as cli_print_trace and cli_print_log print them, to out. */
void cli_fprint_trace(FILE *out, const char *tag, const sslplug_trace_event *ev);
void cli_fprint_log(FILE *out, const char *tag, int level, const char *plugin, const char *message);

/*
 * "peer: SUBJECT", "verify: CODE (TEXT)", "protocol: ...", "cipher: ..."
 * and "resumed: yes|no" of a connection, to out.
 */
void cli_print_peer(FILE *out, const SSL *ssl);
/* Each certificate the peer sent: subject, issuer, validity and PEM. */
void cli_print_chain(FILE *out, const SSL *ssl);

/* OpenSSL's reason for the last error in this thread's queue, never NULL. */
const char *cli_openssl_reason(void);

/* "label: text" with control characters shown as '.' and a final newline dropped. */
void cli_print_text(FILE *out, const char *label, const char *text, size_t len);

/* 1 when argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);

#endif /* SSLPLUG_CLI_H */
