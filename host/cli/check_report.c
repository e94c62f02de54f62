/*
 * What sslplug check prints.  Only the parent prints results, from the
 * records its child sent: nothing a plugin writes can pass for a verdict.
 * As text, a line per result as it arrives; with --json, one document on
 * stdout once every configuration is checked, for CI:
 *
 *   {"version": 1, "strict": false, "timeout_s": 60, "verdict": "failed",
 *    "configs": [{"config": "server.json", "verdict": "failed",
 *                 "errors": [PROBLEM...], "warnings": [PROBLEM...],
 *                 "log": [{"level": "warning", "plugin": "...", "message": "..."}]}]}
 *
 * where a PROBLEM is {"code": N, "reason": "...", "pointer": "/json/pointer",
 * "line": 0, "column": 0, "message": "..."} (code: an sslplug_code, reason:
 * its sslplug_strerror).
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */

#include "check.h"
#include "cli.h"

/* One JSON array being written. */
typedef struct json_array {
    FILE *f;
    char *text;
    size_t len;
    int count;
} json_array;

struct check_report {
    int json;
    int strict;
    int timeout_s;
    const char *path; /* the configuration being reported */
    int warnings;     /* of this configuration: its warnings and what plugins logged */
    int errors;
    int all_ok;
    json_array configs;          /* json: the configurations done */
    json_array errs, warns, log; /* json: those of the current one */
};

/* ---- JSON text ---- */

/* Length of the valid UTF-8 sequence at p (RFC 3629), 0 when there is none. */
static size_t
utf8_length(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t n;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        lo = p[0] == 0xe0 ? 0xa0 : lo; /* no overlong forms */
        hi = p[0] == 0xed ? 0x9f : hi; /* no surrogates */
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        lo = p[0] == 0xf0 ? 0x90 : lo;
        hi = p[0] == 0xf4 ? 0x8f : hi; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

/* A JSON string; bytes that are not UTF-8 (a file name can hold any) become U+FFFD. */
static void
json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', f);
    while (*p != '\0') {
        size_t n;

        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p++);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p++);
        } else if (*p < 0x80) {
            fputc(*p++, f);
        } else if ((n = utf8_length(p)) > 0) {
            fwrite(p, 1, n, f);
            p += n;
        } else {
            fputs("\\ufffd", f);
            p++;
        }
    }
    fputc('"', f);
}

static int
array_open(json_array *a)
{
    memset(a, 0, sizeof(*a));
    a->f = open_memstream(&a->text, &a->len);
    return a->f != NULL;
}

/* Start the next element. */
static FILE *
array_next(json_array *a)
{
    if (a->count++ > 0) {
        fputs(", ", a->f);
    }
    return a->f;
}

/* Close the array, print it as "[...]" into out, and free it. */
static void
array_close(json_array *a, FILE *out)
{
    if (a->f != NULL) {
        fclose(a->f);
        a->f = NULL;
    }
    fprintf(out, "[%s]", a->text != NULL ? a->text : "");
    free(a->text);
    a->text = NULL;
}

static void
json_problem(json_array *a, const sslplug_error *e)
{
    FILE *f = array_next(a);

    fprintf(f, "{\"code\": %d, \"reason\": ", (int)e->code);
    json_string(f, sslplug_strerror(e->code));
    fputs(", \"pointer\": ", f);
    json_string(f, e->pointer);
    fprintf(f, ", \"line\": %d, \"column\": %d, \"message\": ", e->line, e->column);
    json_string(f, e->message);
    fputc('}', f);
}

/* ---- the report ---- */

check_report *
check_report_new(int json, int strict, int timeout_s)
{
    check_report *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        return NULL;
    }
    r->json = json;
    r->strict = strict;
    r->timeout_s = timeout_s;
    r->all_ok = 1;
    if (json && !array_open(&r->configs)) {
        free(r);
        return NULL;
    }
    return r;
}

void
check_report_begin(check_report *r, const char *path)
{
    r->path = path;
    r->warnings = 0;
    r->errors = 0;
    /* A stream that cannot be opened stays NULL: its array is printed empty. */
    if (r->json) {
        array_open(&r->errs);
        array_open(&r->warns);
        array_open(&r->log);
    }
}

void
check_report_log(check_report *r, int level, const char *plugin, const char *message)
{
    const char *what = level == SSLPLUG_LOG_ERROR ? "error" : "warning";

    r->warnings++;
    if (r->json) {
        if (r->log.f != NULL) {
            FILE *f = array_next(&r->log);

            fprintf(f, "{\"level\": \"%s\", \"plugin\": ", what);
            json_string(f, plugin);
            fputs(", \"message\": ", f);
            json_string(f, message);
            fputc('}', f);
        }
        return;
    }
    printf("%s: %s: %s: %s\n", r->path, what, plugin, message);
    fflush(stdout);
}

void
check_report_warning(check_report *r, const sslplug_error *w)
{
    r->warnings++;
    if (r->json) {
        if (r->warns.f != NULL) {
            json_problem(&r->warns, w);
        }
        return;
    }
    if (w->pointer[0] != '\0') {
        printf("%s: warning: %s: %s\n", r->path, w->pointer, w->message);
    } else {
        printf("%s: warning: %s\n", r->path, w->message);
    }
    fflush(stdout);
}

void
check_report_error(check_report *r, const sslplug_error *e)
{
    sslplug_error shown = *e;

    r->errors++;
    if (r->json) {
        if (r->errs.f != NULL) {
            json_problem(&r->errs, e);
        }
        return;
    }
    if (shown.source[0] == '\0') {
        snprintf(shown.source, sizeof(shown.source), "%s", r->path);
    }
    cli_print_error(stdout, &shown);
    fflush(stdout);
}

void
check_report_failure(check_report *r, const char *pointer, const char *message)
{
    sslplug_error e;

    if (!r->json) {
        /* The message names the entry already. */
        r->errors++;
        printf("%s: %s\n", r->path, message);
        fflush(stdout);
        return;
    }
    /* Plugin code ran in the child: whatever ended it happened in a plugin's hands. */
    memset(&e, 0, sizeof(e));
    e.code = SSLPLUG_E_PLUGIN_INIT;
    snprintf(e.pointer, sizeof(e.pointer), "%s", pointer);
    snprintf(e.message, sizeof(e.message), "%s", message);
    check_report_error(r, &e);
}

int
check_report_end(check_report *r, int usable)
{
    int ok = usable && r->errors == 0 && !(r->strict && r->warnings > 0);

    r->all_ok &= ok;
    if (r->json) {
        FILE *f = array_next(&r->configs);

        fputs("{\"config\": ", f);
        json_string(f, r->path);
        fprintf(f, ", \"verdict\": \"%s\", \"errors\": ", ok ? "ok" : "failed");
        array_close(&r->errs, f);
        fputs(", \"warnings\": ", f);
        array_close(&r->warns, f);
        fputs(", \"log\": ", f);
        array_close(&r->log, f);
        fputc('}', f);
        return ok;
    }
    if (ok) {
        printf("%s: ok\n", r->path);
    } else if (r->errors == 0 && usable) {
        printf("%s: failed: %d warning%s and --strict\n", r->path, r->warnings,
               r->warnings == 1 ? "" : "s");
    } else if (r->errors == 0) {
        printf("%s: failed\n", r->path);
    }
    fflush(stdout);
    return ok;
}

int
check_report_free(check_report *r)
{
    int ok;

    if (r == NULL) {
        return 0;
    }
    ok = r->all_ok;
    if (r->json) {
        printf("{\"version\": 1, \"strict\": %s, \"timeout_s\": %d, \"verdict\": \"%s\", "
               "\"configs\": ",
               r->strict ? "true" : "false", r->timeout_s, ok ? "ok" : "failed");
        array_close(&r->configs, stdout);
        printf("}\n");
        fflush(stdout);
    }
    free(r);
    return ok;
}
