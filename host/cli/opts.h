/*
 * Command-line options for every verb, parsed one way: "--name value" and
 * "--name=value", "--" ending the options, and a usage error (exit 2) that
 * says which option or argument is wrong and why.
 */
#ifndef SSLPLUG_CLI_OPTS_H
#define SSLPLUG_CLI_OPTS_H

/* The value an option takes. */
typedef enum cli_opt_kind {
    CLI_OPT_FLAG,   /* none: *(int *)out = 1 */
    CLI_OPT_TEXT,   /* *(const char **)out = the value */
    CLI_OPT_NUMBER, /* *(long *)out = a decimal integer from min to max */
} cli_opt_kind;

typedef struct cli_opt {
    const char *name; /* "--port"; NULL ends a table */
    cli_opt_kind kind;
    void *out;
    long min, max; /* CLI_OPT_NUMBER */
} cli_opt;

/*
 * Parse argv[1..argc-1] (argv[0] is the verb) against opts.  Arguments that
 * are not options go to pos in order, at least min_pos and at most max_pos.
 * On a usage error, print "sslplug VERB: what is wrong" and usage to
 * stderr.  Returns the number of positional arguments, or -1.
 */
int cli_opts_parse(int argc, char **argv, const cli_opt *opts, const char **pos, int min_pos,
                   int max_pos, const char *usage);

#endif /* SSLPLUG_CLI_OPTS_H */
