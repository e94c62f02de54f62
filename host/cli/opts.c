/*
 * One option parser for every verb (opts.h).
 */
#include "opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage_error(const char *verb, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
usage_error(const char *verb, const char *usage, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "sslplug %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage);
    return -1;
}

static const cli_opt *
find(const cli_opt *opts, const char *arg, size_t len)
{
    for (const cli_opt *o = opts; o != NULL && o->name != NULL; o++) {
        if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0) {
            return o;
        }
    }
    return NULL;
}

/* Store value into o's target; returns 1, or 0 with why set. */
static int
store(const cli_opt *o, const char *value, char *why, size_t whylen)
{
    char *end;
    long v;

    switch (o->kind) {
    case CLI_OPT_TEXT:
        *(const char **)o->out = value;
        return 1;
    case CLI_OPT_NUMBER:
        errno = 0;
        v = strtol(value, &end, 10);
        if (value[0] == '\0' || *end != '\0' || errno != 0 || v < o->min || v > o->max) {
            snprintf(why, whylen, "%s: expected a whole number from %ld to %ld, found \"%s\"",
                     o->name, o->min, o->max, value);
            return 0;
        }
        *(long *)o->out = v;
        return 1;
    case CLI_OPT_FLAG:
    default:
        snprintf(why, whylen, "%s takes no value", o->name);
        return 0;
    }
}

int
cli_opts_parse(int argc, char **argv, const cli_opt *opts, const char **pos, int min_pos,
               int max_pos, const char *usage)
{
    const char *verb = argv[0];
    char why[256];
    int npos = 0, options = 1;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq, *value;
        const cli_opt *o;

        if (!options || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (npos == max_pos) {
                return usage_error(verb, usage, "unexpected argument \"%s\"", arg);
            }
            pos[npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options = 0;
            continue;
        }
        eq = strchr(arg, '=');
        if ((o = find(opts, arg, eq != NULL ? (size_t)(eq - arg) : strlen(arg))) == NULL) {
            return usage_error(verb, usage, "unknown option %.*s",
                               eq != NULL ? (int)(eq - arg) : (int)strlen(arg), arg);
        }
        if (o->kind == CLI_OPT_FLAG) {
            if (eq != NULL) {
                return usage_error(verb, usage, "%s takes no value", o->name);
            }
            *(int *)o->out = 1;
            continue;
        }
        if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return usage_error(verb, usage, "%s needs a value", o->name);
        }
        if (!store(o, value, why, sizeof(why))) {
            return usage_error(verb, usage, "%s", why);
        }
    }
    if (npos < min_pos) {
        return usage_error(verb, usage, "missing argument%s", min_pos - npos > 1 ? "s" : "");
    }
    return npos;
}
