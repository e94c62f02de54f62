/*
 * What sslplug check prints.  Only the parent prints results, from the
 * records its child sent: nothing a plugin writes can pass for a verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */

#include "check.h"
#include "cli.h"

struct check_report {
    const char *path; /* the configuration being reported */
    int warnings;     /* of this configuration: warnings and what plugins logged */
    int errors;
    int all_ok;
};

check_report *
check_report_new(void)
{
    check_report *r = calloc(1, sizeof(*r));

    if (r != NULL) {
        r->all_ok = 1;
    }
    return r;
}

void
check_report_begin(check_report *r, const char *path)
{
    r->path = path;
    r->warnings = 0;
    r->errors = 0;
}

void
check_report_log(check_report *r, int level, const char *plugin, const char *message)
{
    r->warnings++;
    printf("%s: %s: %s: %s\n", r->path, level == SSLPLUG_LOG_ERROR ? "error" : "warning", plugin,
           message);
    fflush(stdout);
}

void
check_report_warning(check_report *r, const sslplug_error *w)
{
    r->warnings++;
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
    if (shown.source[0] == '\0') {
        snprintf(shown.source, sizeof(shown.source), "%s", r->path);
    }
    cli_print_error(stdout, &shown);
    fflush(stdout);
}

void
check_report_failure(check_report *r, const char *pointer, const char *message)
{
    (void)pointer; /* the message names the entry already */
    r->errors++;
    printf("%s: %s\n", r->path, message);
    fflush(stdout);
}

int
check_report_end(check_report *r, int usable)
{
    int ok = usable && r->errors == 0;

    if (ok) {
        printf("%s: ok\n", r->path);
    } else if (r->errors == 0) {
        printf("%s: failed\n", r->path);
    }
    fflush(stdout);
    r->all_ok &= ok;
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
    free(r);
    return ok;
}
