/* sslplug check: everything sslplug_ctx_new does, then nothing. */
#include <stdint.h>

#include <openssl/ssl.h>

#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */

#include "cli.h"

/* Warnings and errors plugins and the host log while the context is made. */
static void
print_warning(int level, const char *plugin, const char *message, void *arg)
{
    if (level <= SSLPLUG_LOG_WARNING) {
        printf("%s: %s: %s: %s\n", (const char *)arg,
               level == SSLPLUG_LOG_ERROR ? "error" : "warning", plugin, message);
    }
}

static int
check_one(const char *path)
{
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(path, &err);
    SSL_CTX *ctx = NULL;
    int ok;

    if (host != NULL) {
        sslplug_host_set_log(host, print_warning, (void *)(uintptr_t)path);
        ctx = sslplug_ctx_new(host, &err);
    }
    ok = ctx != NULL;

    if (ok) {
        printf("%s: ok\n", path);
    } else {
        cli_print_error(stdout, &err);
    }
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    return ok;
}

int
cli_check(int argc, char **argv)
{
    int failed = 0;

    if (cli_wants_help(argc, argv)) {
        printf("usage: sslplug check CONFIG...\n\n"
               "Parse each configuration, load and initialise its plugins, create a context\n"
               "(reading the private key through the password callback) and free it.\n"
               "Errors are printed as CONFIG:LINE:COL: message or CONFIG: /json/pointer: message;\n"
               "warnings (a skipped optional entry, insecure_allow_writable) and errors that\n"
               "plugins log are printed as CONFIG: warning: PLUGIN: message.\n"
               "Exit 0 when every configuration is usable, 1 otherwise.\n");
        return CLI_OK;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: sslplug check CONFIG...\n");
        return CLI_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        failed |= !check_one(argv[i]);
    }
    return failed ? CLI_FAIL : CLI_OK;
}
