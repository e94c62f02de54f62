/*
 * sslplug check, shared between its files: the records the checked child
 * sends the parent (check.c), and the report the parent prints from them
 * (check_report.c).
 */
#ifndef SSLPLUG_CLI_CHECK_H
#define SSLPLUG_CLI_CHECK_H

#include <limits.h>
#include <stdint.h>

#include "sslplug/sslplug.h"

/* "SPKR": a record that does not start so was not written by the child's check code. */
#define CHECK_RECORD_MAGIC 0x53504b52u

typedef enum check_kind {
    CHECK_PROGRESS = 1, /* e.message: the host's "loading /callbacks/... (file)" */
    CHECK_LOG,          /* a plugin's warning or error: level, plugin, e.message */
    CHECK_WARNING,      /* e: one warning of the check */
    CHECK_RESULT        /* the verdict, always last: ok, and e when not ok */
} check_kind;

/*
 * One record, written with one write() of its whole size: writes to a pipe
 * of at most PIPE_BUF bytes are never split or interleaved.
 */
typedef struct check_record {
    uint32_t magic;
    int32_t kind;
    int32_t level; /* CHECK_LOG: SSLPLUG_LOG_* */
    int32_t ok;    /* CHECK_RESULT: 1 when the configuration is usable */
    char plugin[128];
    sslplug_error e;
} check_record;

_Static_assert(sizeof(check_record) <= PIPE_BUF, "a record must fit one atomic pipe write");

/*
 * What one run prints: a line for each result of each configuration, as
 * it arrives, or (json) one JSON document on stdout when the run ends.  The
 * report decides each configuration's verdict: usable, without errors,
 * and (strict) without warnings, counting what plugins logged as warnings
 * or errors.
 */
typedef struct check_report check_report;

check_report *check_report_new(int json, int strict, int timeout_s);
/* Start the results of one configuration. */
void check_report_begin(check_report *r, const char *path);
/* A warning or error a plugin logged. */
void check_report_log(check_report *r, int level, const char *plugin, const char *message);
/* A warning of the check, with its pointer. */
void check_report_warning(check_report *r, const sslplug_error *w);
/* The reason the configuration is not usable, as the library said it. */
void check_report_error(check_report *r, const sslplug_error *e);
/* The reason the check itself did not end well (crash, deadline, no verdict). */
void check_report_failure(check_report *r, const char *pointer, const char *message);
/* End the configuration; usable: the child's verdict.  Returns the final verdict, 1 for ok. */
int check_report_end(check_report *r, int usable);
/* Print what is left (the JSON document) and free.  Returns 1 when every verdict was ok. */
int check_report_free(check_report *r);

#endif /* SSLPLUG_CLI_CHECK_H */
