/*
 * sslplug handshake / demo: two contexts from two configurations meet over
 * a BIO pair in this process; every callback call is traced on stdout.
 */
#define _GNU_SOURCE /* realpath */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */

#include "cli.h"
#include "opts.h"
#include "pair.h"

static SSL_CTX *
make_ctx(const char *path, const char *side)
{
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(path, &err);
    SSL_CTX *ctx = NULL;

    if (host != NULL) {
        /* side is a string literal: it outlives every context. */
        sslplug_host_set_trace(host, cli_print_trace, (void *)(uintptr_t)side);
        sslplug_host_set_log(host, cli_print_log, (void *)(uintptr_t)side);
        ctx = sslplug_ctx_new(host, &err);
    }
    if (ctx == NULL) {
        printf("%s config: ", side);
        cli_print_error(stderr, &err);
    }
    sslplug_host_free(host);
    return ctx;
}

static void
summarise(const char *side, SSL *ssl)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    char name[256] = "(none)";
    long vr = SSL_get_verify_result(ssl);

    if (peer != NULL) {
        X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof(name));
    }
    printf("%s: peer certificate %s, verify result %ld (%s)\n", side, name, vr,
           X509_verify_cert_error_string(vr));
    X509_free(peer);
}

static int
run(const char *server_conf, const char *client_conf, const char *servername)
{
    SSL_CTX *sctx = NULL, *cctx = NULL;
    sslplug_pair pair;
    int rc = CLI_FAIL;

    memset(&pair, 0, sizeof(pair));
    /* Keep the trace in order with what plugins write to stderr. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if ((sctx = make_ctx(server_conf, "server")) == NULL ||
        (cctx = make_ctx(client_conf, "client")) == NULL) {
        goto done;
    }
    if (!sslplug_pair_init(&pair, sctx, cctx, servername)) {
        printf("handshake: cannot create connections\n");
        goto done;
    }
    if (sslplug_pair_handshake(&pair)) {
        printf("handshake: ok, %s %s\n", SSL_get_version(pair.client),
               SSL_get_cipher_name(pair.client));
        rc = CLI_OK;
    } else {
        printf("handshake: failed\n");
        printf("  server: %s\n", pair.server_done ? "completed" : pair.server_error);
        printf("  client: %s\n", pair.client_done ? "completed" : pair.client_error);
    }
    summarise("server", pair.server);
    summarise("client", pair.client);
done:
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    return rc;
}

int
cli_handshake(int argc, char **argv)
{
    static const char usage_text[] =
        "usage: sslplug handshake SERVER_CONFIG CLIENT_CONFIG [--servername NAME]\n";
    const char *servername = NULL;
    const char *confs[2];
    const cli_opt opts[] = {
        {"--servername", CLI_OPT_TEXT, &servername, 0, 0},
        {NULL, CLI_OPT_FLAG, NULL, 0, 0},
    };

    if (cli_wants_help(argc, argv)) {
        printf("usage: sslplug handshake SERVER_CONFIG CLIENT_CONFIG [--servername NAME]\n\n"
               "Make a context from each configuration and run a TLS handshake between them\n"
               "in this process, printing every callback call: type, plugin, configuration\n"
               "entry, the arguments that matter and the result.  --servername sends SNI and\n"
               "has the client check the server's certificate against NAME.\n"
               "Exit 0 when both sides complete, 1 when the handshake fails.\n");
        return CLI_OK;
    }
    if (cli_opts_parse(argc, argv, opts, confs, 2, 2, usage_text) < 0) {
        return CLI_USAGE;
    }
    return run(confs[0], confs[1], servername);
}

/*
 * The build tree's demo when this binary runs from it; installed, the demo
 * beside the binary (BINDIR/../share/sslplug/demo), whatever the prefix.
 */
static void
demo_dir(char *out, size_t len)
{
    static const char build_tree[] = SSLPLUG_BUILD_TREE "/";
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    snprintf(out, len, "%s", SSLPLUG_INSTALL_DEMO_DIR);
    if (n <= 0) {
        return;
    }
    exe[n] = '\0';
    if (strncmp(exe, build_tree, sizeof(build_tree) - 1) == 0) {
        snprintf(out, len, "%s", SSLPLUG_DEMO_DIR);
    } else if ((slash = strrchr(exe, '/')) != NULL) {
        char dir[4096], real[PATH_MAX];

        *slash = '\0';
        snprintf(dir, sizeof(dir), "%s/../share/sslplug/demo", exe);
        /* PREFIX/share/sslplug/demo, not PREFIX/bin/..: it is shown to the user. */
        snprintf(out, len, "%s", realpath(dir, real) != NULL ? real : dir);
    }
}

int
cli_demo(int argc, char **argv)
{
    char server[4096], client[4096], dir[4096], pki[4200];

    if (cli_wants_help(argc, argv)) {
        printf("usage: sslplug demo\n\n"
               "Run `sslplug handshake` with the demo configurations (server.json and\n"
               "client.json in %s or, installed, in ../share/sslplug/demo next to the\n"
               "binary, e.g. %s): an encrypted server key unlocked by\n"
               "password_file, both sides verifying with verify_log (the client also with the\n"
               "raw C++ example), info_log on both sides and a client certificate from\n"
               "client_cert_file.  The demo server requires a client certificate.\n\n"
               "An installed sslplug has no demo PKI (a package ships no private keys): make\n"
               "one with `sh DEMO/mkpki.sh DEMO/pki`, DEMO being the directory above.\n",
               SSLPLUG_DEMO_DIR, SSLPLUG_INSTALL_DEMO_DIR);
        return CLI_OK;
    }
    if (cli_opts_parse(argc, argv, NULL, NULL, 0, 0, "usage: sslplug demo\n") < 0) {
        return CLI_USAGE;
    }
    demo_dir(dir, sizeof(dir));
    snprintf(pki, sizeof(pki), "%s/pki", dir);
    if (access(pki, F_OK) != 0) {
        /* Installed: a package ships no private keys, so the PKI is the user's to make. */
        fprintf(stderr,
                "sslplug demo: no demo PKI in %s; make one with\n"
                "    sh %s/mkpki.sh %s\n"
                "and run sslplug demo again.\n",
                pki, dir, pki);
        return CLI_FAIL;
    }
    snprintf(server, sizeof(server), "%s/server.json", dir);
    snprintf(client, sizeof(client), "%s/client.json", dir);
    printf("sslplug demo: %s and %s\n", server, client);
    return run(server, client, "localhost");
}
