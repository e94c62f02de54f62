/*
 * libsslplug-inject.so and `sslplug run` with the real programs from
 * Debian's packages, none of them changed: curl, Python's urllib,
 * openssl s_client and s_server, nginx; wget refused; a program with a
 * static OpenSSL warned about; a broken configuration failing the program
 * with the real reason.  Each test asserts that the plugin ran and decided
 * (its log line, the verdict), and that the program's own callback still
 * ran (its own output: s_client's and s_server's verify lines, curl's and
 * Python's key log files, nginx's own 400).
 *
 * Servers listen on 127.0.0.1 on a port chosen at run time; every process
 * is bounded (proc.h) and killed with its process group in the teardown.
 * In a sanitizer build only the tests that preload nothing run: a
 * sanitized library cannot be preloaded into programs that are not
 * (test_inject_threads runs the same code in-process instead).
 */
#define _GNU_SOURCE /* asprintf */
#include "proc.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture {
    tu_procs procs;
    char *dir;
    char *pin_server; /* the server certificate's pin */
    char *pin_client; /* client.crt's */
    char *pin_other;  /* a pin nothing here has */
} fixture;

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    tu_procs_init(&f->procs);
    f->dir = tu_tmpdir();
    f->pin_server = tu_cert_pin(tu_pki("server.crt"));
    f->pin_client = tu_cert_pin(tu_pki("client.crt"));
    f->pin_other = tu_cert_pin(tu_pki("client2.crt"));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;

    tu_procs_end(&f->procs);
    tu_rmtree(f->dir);
    free(f->pin_server);
    free(f->pin_client);
    free(f->pin_other);
    free(f);
    return 0;
}

static char *file_in(fixture *f, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static char *
file_in(fixture *f, const char *name, const char *fmt, ...)
{
    char *text = NULL, *path;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&text, fmt, ap) >= 0);
    va_end(ap);
    path = tu_write(f->dir, name, text, 0644);
    free(text);
    return path;
}

/* A path in the scratch directory (malloc'd). */
static char *
scratch(fixture *f, const char *name)
{
    return tu_path_join(f->dir, name);
}

/* Whether a file exists and holds needle. */
static int
file_has(const char *path, const char *needle)
{
    char *text = tu_file_read(path, NULL);
    int has = text != NULL && strstr(text, needle) != NULL;

    free(text);
    return has;
}

/*
 * A client configuration pinning pin, logging handshakes and alerts, and
 * logging keys to DIR/plugin-keys.log; inject: the "inject" members.
 */
static char *
client_config(fixture *f, const char *name, const char *pin, const char *inject)
{
    char *keys = scratch(f, "plugin-keys.log");
    char *path = file_in(
        f, name,
        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
        " \"inject\": {%s},"
        " \"callbacks\": {"
        "  \"verify\": {\"plugin\": \"verify_pin\", \"config\": {\"pins\": [\"%s\"]}},"
        "  \"info\": {\"plugin\": \"info_log\", \"events\": [\"handshake_done\", \"alert\"]},"
        "  \"keylog\": {\"plugin\": \"keylog_file\", \"config\": {\"path\": \"%s\"}}}}",
        tu_pki("ca.crt"), inject, pin, keys);

    free(keys);
    return path;
}

/* A server configuration requiring a client certificate pinned to pin. */
static char *
server_config(fixture *f, const char *name, const char *pin)
{
    return file_in(f, name,
                   "{\"version\": 1, \"context\": {\"role\": \"server\", \"verify\": \"require\"},"
                   " \"callbacks\": {"
                   "  \"verify\": {\"plugin\": \"verify_pin\", \"config\": {\"pins\": [\"%s\"]}},"
                   "  \"info\": {\"plugin\": \"info_log\", \"events\": [\"handshake_done\"]}}}",
                   pin);
}

/* sslplug serve (no plugins) answering curl, Python and s_client; its port. */
static int
start_serve(fixture *f)
{
    char *conf = file_in(f, "serve.json",
                         "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
                         "\"%s\", \"private_key\": \"%s\"}}",
                         tu_pki("server.crt"), tu_pki("server-plain.key"));
    const char *argv[] = {SSLPLUG_TEST_CLI,    "serve", conf, "--port", "0",
                          "--max-connections", "8",     NULL};
    tu_proc *p = tu_proc_start(&f->procs, argv, NULL);

    free(conf);
    return tu_proc_port_after(p, "listening on 127.0.0.1:");
}

/* `sslplug run OPTION CONFIG -- PROGRAM...` (argv: the program's), run to its end. */
static tu_proc *
run_program(fixture *f, const char *option, const char *conf, const char *const *argv,
            const char *const env[])
{
    const char *full[32] = {SSLPLUG_TEST_CLI, "run", option, conf, "--"};
    size_t n = 5;

    for (size_t i = 0; argv[i] != NULL; i++) {
        assert_true(n < 31);
        full[n++] = argv[i];
    }
    full[n] = NULL;
    return tu_proc_start(&f->procs, full, env);
}

/* ---- curl ---- */

/*
 * A wrong pin is final under enforce, even with -k: curl does not verify,
 * but the pipeline (verify_pin on a chain the configuration's CA file,
 * added by add_ca_file, verifies) rejects, and curl fails.  Its own key
 * log callback (SSLKEYLOGFILE) still runs beside the plugin's.
 */
static void
test_inject_curl_wrong_pin_refused_even_with_k(void **state)
{
    fixture *f = *state;
    int port = start_serve(f);
    char *conf = client_config(f, "client.json", f->pin_other, "\"add_ca_file\": true");
    char *url = NULL, *resolve = NULL, *env_keys = NULL, *curl_keys = scratch(f, "curl-keys.log");
    char *plugin_keys = scratch(f, "plugin-keys.log");
    tu_proc *p;

    assert_true(asprintf(&url, "https://localhost:%d/", port) > 0);
    assert_true(asprintf(&resolve, "localhost:%d:127.0.0.1", port) > 0);
    assert_true(asprintf(&env_keys, "SSLKEYLOGFILE=%s", curl_keys) > 0);
    {
        const char *argv[] = {"curl",      "-sS",   "-k", "--max-time", "20",
                              "--resolve", resolve, url,  NULL};
        const char *env[] = {env_keys, NULL};

        p = run_program(f, "--config", conf, argv, env);
    }
    assert_int_not_equal(tu_proc_wait_exit(p), 0);
    tu_proc_assert_output(p, "verify_pin: ", 1);
    tu_proc_assert_output(p, "no pin matches", 1);
    tu_proc_assert_output(p, "alert", 1);
    tu_proc_assert_output(p, "protocol: TLSv1.3", 0);
    /* Both key log callbacks ran: the program's and the plugin's. */
    assert_true(file_has(curl_keys, "HANDSHAKE_TRAFFIC_SECRET"));
    assert_true(file_has(plugin_keys, "HANDSHAKE_TRAFFIC_SECRET"));
    free(plugin_keys);
    free(curl_keys);
    free(env_keys);
    free(resolve);
    free(url);
    free(conf);
}

/*
 * The right pin succeeds.  Trust is not widened by default: with the
 * configuration's ca_file not added, curl --cacert other-ca.crt still
 * refuses the server; add_ca_file opts in.
 */
static void
test_inject_curl_right_pin_succeeds_and_trust_is_not_widened(void **state)
{
    fixture *f = *state;
    int port = start_serve(f);
    char *plain = client_config(f, "client.json", f->pin_server, "");
    char *widen = client_config(f, "widen.json", f->pin_server, "\"add_ca_file\": true");
    char *url = NULL, *resolve = NULL;
    tu_proc *p;

    assert_true(asprintf(&url, "https://localhost:%d/", port) > 0);
    assert_true(asprintf(&resolve, "localhost:%d:127.0.0.1", port) > 0);
    {
        const char *ok[] = {"curl",           "-sS",       "--max-time", "20", "--cacert",
                            tu_pki("ca.crt"), "--resolve", resolve,      url,  NULL};
        const char *other[] = {
            "curl",      "-sS",   "--max-time", "20", "--cacert", tu_pki("other-ca.crt"),
            "--resolve", resolve, url,          NULL};

        p = run_program(f, "--config", plain, ok, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 0);
        tu_proc_assert_output(p, "protocol: TLSv1.3", 1);
        tu_proc_assert_output(p, "HANDSHAKE_DONE", 1);

        p = run_program(f, "--config", plain, other, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 60);
        tu_proc_assert_output(p, "SSL certificate problem", 1);

        p = run_program(f, "--config", widen, other, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 0);
        tu_proc_assert_output(p, "protocol: TLSv1.3", 1);
    }
    free(resolve);
    free(url);
    free(widen);
    free(plain);
}

/*
 * The ABI 1.4 types under injection: curl sets no cert verify callback of
 * its own, so a verify_connection entry runs in curl, sees its handshake
 * and its rejection is final; s_server -alpn sets its own ALPN callback
 * over the configuration's alpn_map, and is told so.
 */
static void
test_inject_verify_connection_in_curl(void **state)
{
    fixture *f = *state;
    int port = start_serve(f);
    char *url = NULL, *resolve = NULL;
    char *accept =
        file_in(f, "accept.json",
                "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
                " \"callbacks\": {\"verify_connection\": {\"plugin\": \"%s\"}}}",
                tu_pki("ca.crt"), tu_test_plugin("t14"));
    char *reject =
        file_in(f, "reject.json",
                "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
                " \"callbacks\": {\"verify_connection\": {\"plugin\": \"%s\","
                "  \"config\": {\"vc_reject\": \"not this tenant\"}}}}",
                tu_pki("ca.crt"), tu_test_plugin("t14"));
    tu_proc *p;

    assert_true(asprintf(&url, "https://localhost:%d/", port) > 0);
    assert_true(asprintf(&resolve, "localhost:%d:127.0.0.1", port) > 0);
    {
        const char *argv[] = {"curl",           "-sS",       "--max-time", "20", "--cacert",
                              tu_pki("ca.crt"), "--resolve", resolve,      url,  NULL};

        p = run_program(f, "--config", accept, argv, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 0);
        tu_proc_assert_output(p,
                              "verify_connection chain=2 leaf=/O=sslplug demo/CN=localhost"
                              " name=localhost",
                              1);
        tu_proc_assert_output(p, "protocol: TLSv1.3", 1);

        p = run_program(f, "--config", reject, argv, NULL);
        assert_int_not_equal(tu_proc_wait_exit(p), 0);
        tu_proc_assert_output(p, "not this tenant", 1);
        tu_proc_assert_output(p, "protocol: TLSv1.3", 0);
    }
    free(reject);
    free(accept);
    free(resolve);
    free(url);
}

static void
test_inject_program_alpn_replaces_with_a_warning(void **state)
{
    fixture *f = *state;
    char *conf = file_in(f, "alpn.json",
                         "{\"version\": 1, \"context\": {\"role\": \"server\"},"
                         " \"callbacks\": {\"alpn\": {\"plugin\": \"alpn_map\","
                         "  \"config\": {\"default\": [\"http/1.1\"]}}}}");
    const char *argv[] = {"openssl",
                          "s_server",
                          "-accept",
                          "127.0.0.1:0",
                          "-naccept",
                          "1",
                          "-www",
                          "-cert",
                          tu_pki("server.crt"),
                          "-key",
                          tu_pki("server-plain.key"),
                          "-alpn",
                          "h2",
                          NULL};
    tu_proc *server = run_program(f, "--server", conf, argv, NULL);
    const char *at;
    char *out = NULL;

    if (!tu_proc_wait_for(server, "ACCEPT 127.0.0.1:") || !tu_proc_wait_for(server, "\n")) {
        print_error("s_server did not start:\n%s\n", server->text);
    }
    at = strstr(server->text, "ACCEPT 127.0.0.1:");
    assert_non_null(at);
    /* s_server's choice wins: h2, which the configuration's map would not give. */
    assert_int_equal(tu_run(&out,
                            "openssl s_client -connect 127.0.0.1:%d -alpn h2,http/1.1 < /dev/null",
                            atoi(at + strlen("ACCEPT 127.0.0.1:"))),
                     0);
    assert_non_null(strstr(out, "ALPN protocol: h2"));
    free(out);
    assert_int_not_equal(tu_proc_wait_exit(server), -1);
    tu_proc_assert_output(server, "the program chooses its own ALPN protocol", 1);
    free(conf);
}

/* ---- Python ---- */

static char *
python_script(fixture *f)
{
    return file_in(f, "fetch.py",
                   "import ssl, sys, urllib.request\n"
                   "ctx = ssl.create_default_context(cafile=sys.argv[2])\n"
                   "ctx.keylog_filename = sys.argv[3]\n"
                   "try:\n"
                   "    print(urllib.request.urlopen(sys.argv[1], context=ctx, timeout=20)"
                   ".read().decode())\n"
                   "except Exception as e:\n"
                   "    print('python error:', e)\n"
                   "    sys.exit(3)\n");
}

/* urllib: refused with a wrong pin, served with the right one; Python's own key log too. */
static void
test_inject_python_urllib(void **state)
{
    fixture *f = *state;
    int port = start_serve(f);
    char *wrong = client_config(f, "wrong.json", f->pin_other, "");
    char *right = client_config(f, "right.json", f->pin_server, "");
    char *script = python_script(f), *keys = scratch(f, "python-keys.log"), *url = NULL;
    tu_proc *p;

    assert_true(asprintf(&url, "https://localhost:%d/", port) > 0);
    {
        const char *argv[] = {"/usr/bin/python3", script, url, tu_pki("ca.crt"), keys, NULL};

        p = run_program(f, "--config", wrong, argv, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 3);
        tu_proc_assert_output(p, "no pin matches", 1);
        tu_proc_assert_output(p, "python error:", 1);
        tu_proc_assert_output(p, "CERTIFICATE_VERIFY_FAILED", 1);
        assert_true(file_has(keys, "HANDSHAKE_TRAFFIC_SECRET"));
        unlink(keys);

        p = run_program(f, "--config", right, argv, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 0);
        tu_proc_assert_output(p, "protocol: TLSv1.3", 1);
        tu_proc_assert_output(p, "HANDSHAKE_DONE", 1);
        assert_true(file_has(keys, "HANDSHAKE_TRAFFIC_SECRET"));
    }
    free(url);
    free(keys);
    free(script);
    free(right);
    free(wrong);
}

/* ---- openssl s_client, s_server ---- */

/* openssl s_server -www on a free port; its port. */
static int
start_s_server(fixture *f, const char *conf, int verify_clients)
{
    const char *argv[] = {"openssl",
                          "s_server",
                          "-accept",
                          "127.0.0.1:0",
                          "-naccept",
                          "1",
                          "-www",
                          "-cert",
                          tu_pki("server.crt"),
                          "-key",
                          tu_pki("server-plain.key"),
                          "-CAfile",
                          tu_pki("ca.crt"),
                          verify_clients ? "-Verify" : NULL,
                          "1",
                          NULL};
    tu_proc *p = conf != NULL ? run_program(f, "--server", conf, argv, NULL)
                              : tu_proc_start(&f->procs, argv, NULL);
    const char *at;

    if (!tu_proc_wait_for(p, "ACCEPT 127.0.0.1:") || !tu_proc_wait_for(p, "\n")) {
        print_error("s_server did not start:\n%s\n", p->text);
    }
    at = strstr(p->text, "ACCEPT 127.0.0.1:");
    assert_non_null(at);
    return atoi(at + strlen("ACCEPT 127.0.0.1:"));
}

/*
 * s_client -verify_return_error with a wrong pin: the plugin rejects, and
 * s_client's own verify callback runs on that verdict (its "verify error"
 * line) and fails; its -state info lines and -keylogfile run beside the
 * plugins'.  With the right pin it connects.
 */
static void
test_inject_s_client_verify_return_error(void **state)
{
    fixture *f = *state;
    char *wrong = client_config(f, "wrong.json", f->pin_other, "");
    char *right = client_config(f, "right.json", f->pin_server, "");
    char *keys = scratch(f, "s_client-keys.log"), *target = NULL;
    char *plugin_keys = scratch(f, "plugin-keys.log");
    int port = start_s_server(f, NULL, 0);
    tu_proc *p;

    assert_true(asprintf(&target, "127.0.0.1:%d", port) > 0);
    {
        const char *argv[] = {"openssl", "s_client",       "-connect",
                              target,    "-servername",    "localhost",
                              "-CAfile", tu_pki("ca.crt"), "-verify_return_error",
                              "-state",  "-keylogfile",    keys,
                              NULL};

        p = run_program(f, "--config", wrong, argv, NULL);
        assert_int_not_equal(tu_proc_wait_exit(p), 0);
        tu_proc_assert_output(p, "no pin matches", 1);
        tu_proc_assert_output(p, "verify error:num=50:application verification failure", 1);
        tu_proc_assert_output(p, "SSL_connect:", 1);
        tu_proc_assert_output(p, "info_log: ", 1);
        assert_true(file_has(keys, "HANDSHAKE_TRAFFIC_SECRET"));
        assert_true(file_has(plugin_keys, "HANDSHAKE_TRAFFIC_SECRET"));

        port = start_s_server(f, NULL, 0);
        free(target);
        assert_true(asprintf(&target, "127.0.0.1:%d", port) > 0);
        argv[3] = target;
        p = run_program(f, "--config", right, argv, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 0);
        tu_proc_assert_output(p, "Verify return code: 0 (ok)", 1);
        tu_proc_assert_output(p, "HANDSHAKE_DONE", 1);
    }
    free(target);
    free(plugin_keys);
    free(keys);
    free(right);
    free(wrong);
}

/* A client configuration presenting client.crt, for sslplug connect. */
static char *
cert_client_config(fixture *f)
{
    return file_in(f, "cert-client.json",
                   "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\","
                   " \"certificate\": \"%s\", \"private_key\": \"%s\"}}",
                   tu_pki("ca.crt"), tu_pki("client.crt"), tu_pki("client.key"));
}

/*
 * s_server -Verify 1 with a server configuration pinning another client
 * certificate: the plugin rejects the client, s_server's own verify
 * callback prints the verdict it was handed; the right pin is served.
 */
static void
test_inject_s_server_verify_refuses_unpinned_client(void **state)
{
    fixture *f = *state;
    char *wrong = server_config(f, "wrong.json", f->pin_other);
    char *right = server_config(f, "right.json", f->pin_client);
    char *client = cert_client_config(f), *target = NULL, *out = NULL;
    int port = start_s_server(f, wrong, 1);
    tu_proc *server = &f->procs.p[0];

    assert_true(asprintf(&target, "127.0.0.1:%d", port) > 0);
    assert_int_equal(tu_run(&out, "%s connect %s %s --servername localhost --http /",
                            SSLPLUG_TEST_CLI, client, target),
                     1);
    free(out);
    assert_int_not_equal(tu_proc_wait_exit(server), -1);
    tu_proc_assert_output(server, "no pin matches", 1);
    tu_proc_assert_output(server, "verify error:num=50:application verification failure", 1);
    tu_proc_assert_output(server, "depth=0", 1);

    port = start_s_server(f, right, 1);
    free(target);
    assert_true(asprintf(&target, "127.0.0.1:%d", port) > 0);
    assert_int_equal(tu_run(&out, "%s connect %s %s --servername localhost --http /",
                            SSLPLUG_TEST_CLI, client, target),
                     0);
    assert_non_null(strstr(out, "status: HTTP/1.0 200 ok"));
    free(out);
    free(target);
    free(client);
    free(right);
    free(wrong);
}

/* ---- nginx ---- */

/* nginx in a scratch prefix, requiring client certificates, on a free port; its port. */
static int
start_nginx(fixture *f, const char *conf, const char *verify)
{
    int port = tu_free_port();
    char *nginx_conf = file_in(
        f, "nginx.conf",
        "daemon off; master_process on; worker_processes 1;\n"
        "pid %s/nginx.pid; error_log stderr notice;\n"
        "events { worker_connections 32; }\n"
        "http { access_log off; client_body_temp_path %s/body;\n"
        "  server { listen 127.0.0.1:%d ssl; server_name localhost;\n"
        "    ssl_certificate %s; ssl_certificate_key %s;\n"
        "    ssl_client_certificate %s; ssl_verify_client on;\n"
        "    location / { return 200 \"nginx: client $ssl_client_verify\\n\"; } } }\n",
        f->dir, f->dir, port, tu_pki("server.crt"), tu_pki("server-plain.key"), tu_pki("ca.crt"));
    const char *argv[] = {"/usr/sbin/nginx", "-p", f->dir, "-c", nginx_conf, "-e", "stderr", NULL};
    const char *full[] = {SSLPLUG_TEST_CLI, "run",  "--server", conf,
                          "--verify",       verify, "--",       NULL};
    const char *all[16];
    size_t n = 0;
    tu_proc *p;

    for (size_t i = 0; full[i] != NULL; i++) {
        all[n++] = full[i];
    }
    for (size_t i = 0; argv[i] != NULL; i++) {
        all[n++] = argv[i];
    }
    all[n] = NULL;
    p = tu_proc_start(&f->procs, all, NULL);
    if (!tu_proc_wait_for(p, "start worker process")) {
        print_error("nginx did not start:\n%s\n", p->text);
    }
    assert_non_null(strstr(p->text, "start worker process"));
    free(nginx_conf);
    return port;
}

static void
stop(tu_proc *p)
{
    kill(-p->pid, SIGTERM);
    assert_int_not_equal(tu_proc_wait_exit(p), -1);
}

/*
 * nginx verifying client certificates, its contexts made with TLS_method()
 * in the master and used in forked workers: an unpinned client is refused
 * by the plugin (enforce: the handshake fails; app: nginx's own rules
 * decide and it answers its own 400), a pinned one is served.
 */
static void
test_inject_nginx_refuses_unpinned_client(void **state)
{
    fixture *f = *state;
    char *wrong = server_config(f, "wrong.json", f->pin_other);
    char *right = server_config(f, "right.json", f->pin_client);
    char *client = cert_client_config(f), *out = NULL;
    int port = start_nginx(f, wrong, "enforce");
    tu_proc *nginx = &f->procs.p[0];

    assert_int_equal(tu_run(&out, "%s connect %s 127.0.0.1:%d --servername localhost --http /",
                            SSLPLUG_TEST_CLI, client, port),
                     1);
    assert_non_null(strstr(out, "handshake: failed"));
    free(out);
    assert_true(tu_proc_wait_for(nginx, "no pin matches"));
    stop(nginx);

    port = start_nginx(f, wrong, "app");
    nginx = &f->procs.p[1];
    assert_int_equal(tu_run(&out, "%s connect %s 127.0.0.1:%d --servername localhost --http /",
                            SSLPLUG_TEST_CLI, client, port),
                     1);
    if (strstr(out, "400 The SSL certificate error") == NULL) {
        print_error("%s\n", out);
    }
    assert_non_null(strstr(out, "400 The SSL certificate error"));
    free(out);
    assert_true(tu_proc_wait_for(nginx, "no pin matches"));
    stop(nginx);

    port = start_nginx(f, right, "enforce");
    nginx = &f->procs.p[2];
    assert_int_equal(tu_run(&out, "%s connect %s 127.0.0.1:%d --servername localhost --http /",
                            SSLPLUG_TEST_CLI, client, port),
                     0);
    assert_non_null(strstr(out, "nginx: client SUCCESS"));
    free(out);
    assert_true(tu_proc_wait_for(nginx, "HANDSHAKE_DONE"));
    stop(nginx);
    free(client);
    free(right);
    free(wrong);
}

/* ---- what sslplug run refuses or warns about ---- */

static void
test_inject_run_refuses_gnutls_wget_and_setuid(void **state)
{
    fixture *f = *state;
    char *conf = client_config(f, "client.json", f->pin_server, "");
    char *suid = tu_file_copy("/usr/bin/true", f->dir, "suid-true", 04755);
    const char *wget[] = {"wget", "-q", "-O-", "https://localhost:1/", NULL};
    const char *setuid_prog[] = {suid, NULL};
    tu_proc *p = run_program(f, "--config", conf, wget, NULL);

    assert_int_equal(tu_proc_wait_exit(p), 1);
    tu_proc_assert_output(p, "uses GnuTLS", 1);
    tu_proc_assert_output(p, "injection cannot work", 1);
    p = run_program(f, "--config", conf, setuid_prog, NULL);
    assert_int_equal(tu_proc_wait_exit(p), 1);
    tu_proc_assert_output(p, "is setuid: the dynamic loader ignores LD_PRELOAD", 1);
    free(suid);
    free(conf);
}

/* A program linked with Debian's libssl.a and libcrypto.a: warned about, and untouched. */
static void
test_inject_run_warns_static_openssl(void **state)
{
#ifndef SSLPLUG_TEST_STATIC_TLS
    skip();
#else
    fixture *f = *state;
    char *conf = client_config(f, "client.json", f->pin_server, "");
    const char *argv[] = {SSLPLUG_TEST_STATIC_TLS, NULL};
    tu_proc *p = run_program(f, "--config", conf, argv, NULL);

    assert_int_equal(tu_proc_wait_exit(p), 0);
    tu_proc_assert_output(p, "carries its own static copy of OpenSSL", 1);
    tu_proc_assert_output(p, "static_tls: context made, verify callback: none", 1);
    free(conf);
#endif
}

/*
 * A configuration that loads but whose plugin cannot initialise: curl and
 * Python fail with sslplug's own message; with --on-error warn they run
 * without sslplug, saying so.
 */
static void
test_inject_broken_config_fails_with_the_reason(void **state)
{
    fixture *f = *state;
    int port = start_serve(f);
    char *conf = client_config(f, "broken.json", "sha256//not-a-pin", "");
    char *script = python_script(f), *keys = scratch(f, "python-keys.log");
    char *url = NULL, *resolve = NULL;
    tu_proc *p;

    assert_true(asprintf(&url, "https://localhost:%d/", port) > 0);
    assert_true(asprintf(&resolve, "localhost:%d:127.0.0.1", port) > 0);
    {
        const char *curl[] = {"curl",           "-sS",       "--max-time", "20", "--cacert",
                              tu_pki("ca.crt"), "--resolve", resolve,      url,  NULL};
        const char *python[] = {"/usr/bin/python3", script, url, tu_pki("ca.crt"), keys, NULL};
        const char *warn[] = {SSLPLUG_TEST_CLI,
                              "run",
                              "--config",
                              conf,
                              "--on-error",
                              "warn",
                              "--",
                              "curl",
                              "-sS",
                              "--max-time",
                              "20",
                              "--cacert",
                              tu_pki("ca.crt"),
                              "--resolve",
                              resolve,
                              url,
                              NULL};

        p = run_program(f, "--config", conf, curl, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 27);
        tu_proc_assert_output(p, "curl: (27) SSL: couldn't create a context", 1);
        tu_proc_assert_output(p, "sslplug::", 1);
        tu_proc_assert_output(p, "/callbacks/verify/config/pins/0", 1);

        p = run_program(f, "--config", conf, python, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 1);
        tu_proc_assert_output(p, "ssl.SSLError", 1);
        tu_proc_assert_output(p, "/callbacks/verify/config/pins/0", 1);

        p = tu_proc_start(&f->procs, warn, NULL);
        assert_int_equal(tu_proc_wait_exit(p), 0);
        tu_proc_assert_output(p, "running without sslplug (on_error: warn)", 1);
        tu_proc_assert_output(p, "protocol: TLSv1.3", 1);
    }
    free(resolve);
    free(url);
    free(keys);
    free(script);
    free(conf);
}

/* --no-inherit: the library takes itself out of LD_PRELOAD as it loads. */
static void
test_inject_no_inherit_leaves_children_alone(void **state)
{
    fixture *f = *state;
    char *conf = client_config(f, "client.json", f->pin_server, "");
    const char *sh[] = {"/bin/sh", "-c", "echo \"preload=[$LD_PRELOAD]\"", NULL};
    const char *full[] = {
        SSLPLUG_TEST_CLI, "run", "--no-inherit", "--config", conf, "--", sh[0], sh[1], sh[2], NULL};
    tu_proc *p = run_program(f, "--config", conf, sh, NULL);

    assert_int_equal(tu_proc_wait_exit(p), 0);
    tu_proc_assert_output(p, "libsslplug-inject.so]", 1);
    p = tu_proc_start(&f->procs, full, NULL);
    assert_int_equal(tu_proc_wait_exit(p), 0);
    tu_proc_assert_output(p, "preload=[]", 1);
    free(conf);
}

static void
test_inject_run_usage(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(tu_run(&out, "%s run --config x.json", SSLPLUG_TEST_CLI), 2);
    assert_non_null(strstr(out, "no program: put it after --"));
    free(out);
    assert_int_equal(tu_run(&out, "%s run -- true", SSLPLUG_TEST_CLI), 2);
    assert_non_null(strstr(out, "give --config, or --client and/or --server"));
    free(out);
    assert_int_equal(tu_run(&out, "%s run --config a --verify maybe -- true", SSLPLUG_TEST_CLI), 2);
    assert_non_null(strstr(out, "--verify: expected enforce or app, found \"maybe\""));
    free(out);
    assert_int_equal(tu_run(&out, "%s run --help", SSLPLUG_TEST_CLI), 0);
    assert_non_null(strstr(out, "usage: sslplug run"));
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_inject_curl_wrong_pin_refused_even_with_k, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_inject_curl_right_pin_succeeds_and_trust_is_not_widened, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inject_python_urllib, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inject_s_client_verify_return_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inject_s_server_verify_refuses_unpinned_client, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inject_verify_connection_in_curl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inject_program_alpn_replaces_with_a_warning, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inject_nginx_refuses_unpinned_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inject_run_refuses_gnutls_wget_and_setuid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inject_run_warns_static_openssl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inject_broken_config_fails_with_the_reason, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inject_no_inherit_leaves_children_alone, setup,
                                        teardown),
        cmocka_unit_test(test_inject_run_usage),
    };

    /* What runs no program with the library preloaded. */
    const struct CMUnitTest sanitized[] = {
        cmocka_unit_test_setup_teardown(test_inject_run_refuses_gnutls_wget_and_setuid, setup,
                                        teardown),
        cmocka_unit_test(test_inject_run_usage),
    };

    signal(SIGPIPE, SIG_IGN);
#ifdef SSLPLUG_TEST_SANITIZED
    (void)tests;
    fprintf(stderr, "test_inject: sanitizer build: a sanitized library cannot be preloaded into "
                    "the programs; running only what preloads nothing\n");
    return cmocka_run_group_tests(sanitized, NULL, NULL);
#else
    (void)sanitized;
    return cmocka_run_group_tests(tests, NULL, NULL);
#endif
}
