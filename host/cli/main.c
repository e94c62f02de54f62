#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sslplug/plugin.h" /* SSLPLUG_ABI_* */

#include "cli.h"

static const struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} verbs[] = {
    {"check", cli_check,
     "check [--strict] [--json] [--timeout S] CONFIG...\n"
     "                                  load and lint in a child, plugins creating nothing"},
    {"inspect", cli_inspect, "inspect PLUGIN                  show a plugin's ABI, name and types"},
    {"handshake", cli_handshake,
     "handshake SERVER CLIENT [--servername NAME]\n"
     "                                  in-process handshake with a trace of every callback"},
    {"demo", cli_demo,
     "demo                            the handshake with the shipped demo configs"},
    {"serve", cli_serve,
     "serve CONFIG [--port P] [--listen ADDR] [--once]\n"
     "                                  TLS echo server on a socket, tracing each connection"},
    {"connect", cli_connect,
     "connect CONFIG HOST:PORT [--servername NAME]\n"
     "                                  TLS client: send a line, read the reply, show the peer"},
    {"run", cli_run,
     "run [--config F | --client F --server F] [--verify enforce|app] -- PROGRAM [ARGS]\n"
     "                                  run a program that uses OpenSSL with the plugins injected"},
};

static void
usage(FILE *out)
{
    fprintf(out, "usage: sslplug VERB [ARGS]\n\n");
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        fprintf(out, "  sslplug %s\n", verbs[i].summary);
    }
    fprintf(out,
            "  sslplug --version               tool, library, plugin ABI and OpenSSL versions\n");
    fprintf(out, "\nEach verb takes --help.  Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int
cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return 1;
        }
    }
    return 0;
}

void
cli_print_error(FILE *out, const sslplug_error *err)
{
    char text[SSLPLUG_ERROR_TEXT_MAX];

    sslplug_error_format(err, text, sizeof(text));
    fprintf(out, "%s\n", text);
}

/* The tool, the library it runs with (which may be another install's), the plugin ABIs. */
static int
version(void)
{
    printf("sslplug %s\n", SSLPLUG_VERSION);
    /* The soname's number is the library's major version. */
    printf("library: libsslplug.so.%.*s, version %s\n", (int)strcspn(sslplug_version(), "."),
           sslplug_version(), sslplug_version());
    printf("plugin ABI: %d.%d (loads plugins of ABI %d.0 to %d.%d)\n", SSLPLUG_ABI_MAJOR,
           SSLPLUG_ABI_MINOR, SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR);
    printf("OpenSSL: %s\n", OpenSSL_version(OPENSSL_VERSION));
    return CLI_OK;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        return version();
    }
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(argv[1], verbs[i].name) == 0) {
            return verbs[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "sslplug: unknown verb \"%s\"\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
