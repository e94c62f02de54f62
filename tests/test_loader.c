/*
 * The loader, with real dlopen of real plugin files: which descriptors are
 * accepted and which refused (and how the refusal reads), instances and
 * their lifetime, the services table, plugin lookup, and binding into an
 * application's own SSL_CTX.  Whatever involves a context ends in a real
 * handshake against a plain OpenSSL peer.
 *
 * The probe plugins (abi_counter, abi_old, abi_cpp, abi_noinit, ldr_plain)
 * export functions that report what the host did with them.  The tests
 * dlopen the same files the host loads; the dynamic linker recognises an
 * object already loaded by its device and inode (whatever name the host
 * opens it by), so both see the same mapping and the same counters.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sslplug/plugin.h"

typedef struct probes {
    void *counter_dl;
    void (*counter_reset)(void);
    long (*counter_get)(const char *tag, const char *what);
    const char *(*counter_text)(const char *tag, const char *what);
    void *old_dl;
    int (*old_count)(const char *what);
    void *cpp_dl;
    int (*cpp_count)(const char *what);
    int (*cpp_last)(char *buf, size_t len);
    void *noinit_dl;
    int (*noinit_verify_calls)(void);
    int (*noinit_nonnull_states)(void);
    void *plain_dl;
    int (*plain_verify_calls)(void);
} probes;

static probes P;

/* The "callbacks" object goes last; the client trusts the test CA. */
#define CLIENT_JSON_FMT                                                                            \
    "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"}, "                  \
    "\"callbacks\": %s}"

/* ---- helpers ---- */

static void
bind_sym(void *dl, const char *name, void *fn, size_t size)
{
    void *sym = dlsym(dl, name);

    if (sym == NULL) {
        print_error("dlsym %s: %s\n", name, dlerror());
    }
    assert_non_null(sym);
    assert_int_equal(size, sizeof(sym));
    /* POSIX guarantees this conversion for dlsym results. */
    memcpy(fn, &sym, size);
}

static void *
open_probe(const char *name)
{
    void *dl = dlopen(tu_test_plugin(name), RTLD_NOW | RTLD_LOCAL);

    if (dl == NULL) {
        print_error("dlopen %s: %s\n", name, dlerror());
    }
    assert_non_null(dl);
    return dl;
}

static long
counter(const char *tag, const char *what)
{
    return P.counter_get(tag, what);
}

static const char *
counter_text(const char *tag, const char *what)
{
    return P.counter_text(tag, what);
}

/* A host from a client configuration given as a string (base: the demo dir). */
static sslplug_host *
client_host(const char *callbacks)
{
    return tu_host(CLIENT_JSON_FMT, tu_pki("ca.crt"), callbacks);
}

/* A configuration file dir/name for a client with these callbacks. */
static char *
write_client_config(const char *dir, const char *name, const char *callbacks)
{
    char *json = NULL, *path;

    assert_true(asprintf(&json, CLIENT_JSON_FMT, tu_pki("ca.crt"), callbacks) >= 0);
    path = tu_write(dir, name, json, 0644);
    free(json);
    return path;
}

static sslplug_host *
load_file(const char *path)
{
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(path, &err);

    if (host == NULL) {
        print_error("load %s: %s: %s: %s\n", path, sslplug_strerror(err.code), err.pointer,
                    err.message);
    }
    assert_non_null(host);
    return host;
}

/* One handshake of client against a plain server; 1 when both sides completed. */
static int
handshake(SSL_CTX *client)
{
    SSL_CTX *server = tu_plain_server(0);
    sslplug_pair pair;
    int ok = tu_handshake(server, client, &pair);

    if (!ok) {
        print_error("handshake failed: client: %s; server: %s\n", pair.client_error,
                    pair.server_error);
    }
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    return ok;
}

/* Copy the test plugin NAME.so to dir/as (a separate file, not a link). */
static char *
copy_plugin(const char *name, const char *dir, const char *as)
{
    return tu_file_copy(tu_test_plugin(name), dir, as, 0755);
}

static char *
make_subdir(const char *dir, const char *name)
{
    char *path = tu_path_join(dir, name);

    assert_int_equal(mkdir(path, 0755), 0);
    return path;
}

/* What a plugin logged through services->log, as the application's sink saw it. */
typedef struct log_line {
    int level;
    char plugin[64];
    char message[256];
} log_line;

typedef struct log_rec {
    log_line lines[64];
    size_t count;
} log_rec;

static void
log_sink(int level, const char *plugin, const char *message, void *arg)
{
    log_rec *rec = arg;
    log_line *line;

    if (rec->count >= sizeof(rec->lines) / sizeof(rec->lines[0])) {
        return;
    }
    line = &rec->lines[rec->count++];
    line->level = level;
    snprintf(line->plugin, sizeof(line->plugin), "%s", plugin);
    snprintf(line->message, sizeof(line->message), "%s", message);
}

/* Lines from plugin at level whose message contains needle. */
static int
log_count(const log_rec *rec, const char *plugin, int level, const char *needle)
{
    int n = 0;

    for (size_t i = 0; i < rec->count; i++) {
        const log_line *line = &rec->lines[i];

        n += strcmp(line->plugin, plugin) == 0 && line->level == level &&
             strstr(line->message, needle) != NULL;
    }
    return n;
}

/* The first line from plugin whose message contains needle. */
static const log_line *
log_find(const log_rec *rec, const char *plugin, const char *needle)
{
    for (size_t i = 0; i < rec->count; i++) {
        if (strcmp(rec->lines[i].plugin, plugin) == 0 &&
            strstr(rec->lines[i].message, needle) != NULL) {
            return &rec->lines[i];
        }
    }
    return NULL;
}

static void
assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL) {
        print_error("\"%s\" does not contain \"%s\"\n", haystack, needle);
    }
    assert_non_null(strstr(haystack, needle));
}

/*
 * A refused configuration: written to a file, loaded (plugins are only
 * located there), then sslplug_ctx_new must fail with this code, the file as
 * source, this pointer, and a message naming file and needles.  Asked again,
 * the host must fail the same way: a failed load leaves nothing half done.
 */
typedef struct reject_case {
    const char *callbacks;
    sslplug_code code;
    const char *pointer;
    const char *file;
    const char *needle;
    const char *needle2;
} reject_case;

static void
expect_rejected(const reject_case *rc)
{
    char *dir = tu_tmpdir();
    char *conf = write_client_config(dir, "loader.json", rc->callbacks);
    sslplug_host *host = load_file(conf);
    SSL_CTX *app = SSL_CTX_new(TLS_client_method());
    sslplug_error err;

    assert_non_null(app);
    for (int attempt = 0; attempt < 3; attempt++) {
        memset(&err, 0x5a, sizeof(err));
        if (attempt < 2) {
            assert_null(sslplug_ctx_new(host, &err));
        } else {
            assert_int_equal(sslplug_ctx_apply(host, app, &err), 0);
        }
        if (err.code != rc->code) {
            print_error("attempt %d: %s (%d): %s: %s\n", attempt, sslplug_strerror(err.code),
                        (int)err.code, err.pointer, err.message);
        }
        assert_int_equal(err.code, rc->code);
        assert_string_equal(err.source, conf);
        assert_string_equal(err.pointer, rc->pointer);
        /* A plugin failure has no position in the JSON text. */
        assert_int_equal(err.line, 0);
        assert_int_equal(err.column, 0);
        assert_contains(err.message, rc->file);
        if (rc->needle != NULL) {
            assert_contains(err.message, rc->needle);
        }
        if (rc->needle2 != NULL) {
            assert_contains(err.message, rc->needle2);
        }
    }
    SSL_CTX_free(app);
    sslplug_host_free(host);
    free(conf);
    tu_rmtree(dir);
}

/* A one-entry callbacks object {"type": {"plugin": "file"}}. */
static char *
one_entry(const char *type, const char *file)
{
    char *cb = NULL;

    assert_true(asprintf(&cb, "{\"%s\": {\"plugin\": \"%s\"}}", type, file) >= 0);
    return cb;
}

static void
expect_descriptor_rejected(const char *plugin, const char *needle, const char *needle2)
{
    const char *file = tu_test_plugin(plugin);
    char *cb = one_entry("verify", file);
    reject_case rc = {cb, SSLPLUG_E_ABI, "/callbacks/verify/plugin", file, needle, needle2};

    expect_rejected(&rc);
    free(cb);
}

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
    (void)state;
    P.counter_dl = open_probe("abi_counter");
    bind_sym(P.counter_dl, "abi_counter_reset", &P.counter_reset, sizeof(P.counter_reset));
    bind_sym(P.counter_dl, "abi_counter_get", &P.counter_get, sizeof(P.counter_get));
    bind_sym(P.counter_dl, "abi_counter_text", &P.counter_text, sizeof(P.counter_text));
    P.old_dl = open_probe("abi_old");
    bind_sym(P.old_dl, "abi_old_count", &P.old_count, sizeof(P.old_count));
    P.cpp_dl = open_probe("abi_cpp");
    bind_sym(P.cpp_dl, "abi_cpp_count", &P.cpp_count, sizeof(P.cpp_count));
    bind_sym(P.cpp_dl, "abi_cpp_last", &P.cpp_last, sizeof(P.cpp_last));
    P.noinit_dl = open_probe("abi_noinit");
    bind_sym(P.noinit_dl, "abi_noinit_verify_calls", &P.noinit_verify_calls,
             sizeof(P.noinit_verify_calls));
    bind_sym(P.noinit_dl, "abi_noinit_nonnull_states", &P.noinit_nonnull_states,
             sizeof(P.noinit_nonnull_states));
    P.plain_dl = open_probe("ldr_plain");
    bind_sym(P.plain_dl, "ldr_plain_verify_calls", &P.plain_verify_calls,
             sizeof(P.plain_verify_calls));
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    dlclose(P.counter_dl);
    dlclose(P.old_dl);
    dlclose(P.cpp_dl);
    dlclose(P.noinit_dl);
    dlclose(P.plain_dl);
    memset(&P, 0, sizeof(P));
    return 0;
}

static int
test_setup(void **state)
{
    (void)state;
    P.counter_reset();
    assert_int_equal(unsetenv("SSLPLUG_PLUGIN_PATH"), 0);
    return 0;
}

/* Every test frees what it made: every state init made has had its fini. */
static int
test_teardown(void **state)
{
    (void)state;
    assert_int_equal(counter(NULL, "finis"), counter(NULL, "inits"));
    assert_int_equal(counter(NULL, "bad_state"), 0);
    assert_int_equal(unsetenv("SSLPLUG_PLUGIN_PATH"), 0);
    return 0;
}

/* ---- the current descriptor ---- */

static void
test_loader_abi_current_descriptor_gets_config_and_state(void **state)
{
    char *cb = NULL;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"info\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"cfg\", "
                         "\"step\": 1, \"nested\": {\"k\": [1, 2]}}}, "
                         "\"verify\": {\"plugin\": \"%s\"}}",
                         tu_test_plugin("abi_counter"), tu_test_plugin("abi_counter")) >= 0);
    host = client_host(cb);
    /* Loading the configuration runs no plugin code. */
    assert_int_equal(counter(NULL, "inits"), 0);
    ctx = tu_ctx(host);
    assert_int_equal(counter(NULL, "inits"), 2);
    /* init got the entry's "config" as compact JSON, "{}" when there is none. */
    assert_string_equal(counter_text("cfg", "config"),
                        "{\"tag\":\"cfg\",\"step\":1,\"nested\":{\"k\":[1,2]}}");
    assert_string_equal(counter_text("", "config"), "{}");
    assert_int_equal(counter("cfg", "services_ok"), 1);

    assert_true(handshake(ctx));
    /* Each callback got its own entry's state back (the plugin checks a cookie in it). */
    assert_true(counter("cfg", "info") > 0);
    assert_int_equal(counter("cfg", "done"), 1);
    assert_int_equal(counter("cfg", "verify"), 0);
    assert_true(counter("", "verify") > 0);
    assert_int_equal(counter("", "info"), 0);
    assert_int_equal(counter(NULL, "bad_state"), 0);

    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    assert_int_equal(counter("cfg", "fini"), 1);
    assert_int_equal(counter("", "fini"), 1);
    free(cb);
}

static void
test_loader_abi_noinit_plugin_loads_without_config(void **state)
{
    char *cb = one_entry("verify", tu_test_plugin("abi_noinit"));
    int before = P.noinit_verify_calls();
    int nonnull_before = P.noinit_nonnull_states();
    sslplug_host *host = client_host(cb);
    SSL_CTX *ctx = tu_ctx(host);

    (void)state;
    sslplug_host_free(host);
    assert_true(handshake(ctx));
    assert_true(P.noinit_verify_calls() > before);
    /* No init, no state: the callback gets NULL. */
    assert_int_equal(P.noinit_nonnull_states(), nonnull_before);
    SSL_CTX_free(ctx);
    free(cb);
}

static void
test_loader_raw_symbol_binds_plain_function(void **state)
{
    char *cb = NULL;
    int before = P.plain_verify_calls();
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"verify\": {\"plugin\": \"%s\", \"symbol\": \"ldr_plain_verify\"}}",
                         tu_test_plugin("ldr_plain")) >= 0);
    host = client_host(cb);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    assert_true(handshake(ctx));
    assert_true(P.plain_verify_calls() > before);
    SSL_CTX_free(ctx);
    free(cb);
}

/* ---- refused descriptors and plugins ---- */

static void
test_loader_rejects_major_abi_mismatch(void **state)
{
    char found[64], expected[64];

    (void)state;
    snprintf(found, sizeof(found), "%u found", SSLPLUG_ABI_MAJOR + 1);
    snprintf(expected, sizeof(expected), "%u expected", SSLPLUG_ABI_MAJOR);
    expect_descriptor_rejected("abi_major", found, expected);
}

static void
test_loader_rejects_newer_minor(void **state)
{
    char found[64], host_has[64];

    (void)state;
    snprintf(found, sizeof(found), "%u.%u found", SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR + 1);
    snprintf(host_has, sizeof(host_has), "%u.%u", SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR);
    expect_descriptor_rejected("abi_minor_newer", found, host_has);
}

static void
test_loader_rejects_bad_magic(void **state)
{
    char expected[64];

    (void)state;
    snprintf(expected, sizeof(expected), "0x%08x expected", SSLPLUG_PLUGIN_MAGIC);
    expect_descriptor_rejected("abi_bad_magic", "0xdeadbeef found", expected);
}

static void
test_loader_rejects_null_descriptor(void **state)
{
    (void)state;
    expect_descriptor_rejected("abi_null", "returned NULL", NULL);
}

static void
test_loader_rejects_descriptor_smaller_than_header(void **state)
{
    char found[64];

    (void)state;
    snprintf(found, sizeof(found), "size %zu found", offsetof(sslplug_plugin, version));
    expect_descriptor_rejected("abi_size_small", found, NULL);
}

static void
test_loader_rejects_descriptor_larger_than_host(void **state)
{
    char found[64], largest[64];

    (void)state;
    snprintf(found, sizeof(found), "size %zu found", sizeof(sslplug_plugin) + 2 * sizeof(void *));
    snprintf(largest, sizeof(largest), "%zu expected", sizeof(sslplug_plugin));
    expect_descriptor_rejected("abi_size_large", found, largest);
}

static void
test_loader_rejects_missing_entry_symbol(void **state)
{
    const char *file = tu_test_plugin("ldr_plain");
    char *cb = one_entry("verify", file);
    reject_case rc = {
        cb, SSLPLUG_E_SYMBOL, "/callbacks/verify/plugin", file, SSLPLUG_PLUGIN_ENTRY_SYMBOL, NULL};

    (void)state;
    expect_rejected(&rc);
    free(cb);
}

static void
test_loader_rejects_missing_raw_symbol(void **state)
{
    const char *file = tu_test_plugin("ldr_plain");
    char *cb = NULL;
    reject_case rc = {NULL, SSLPLUG_E_SYMBOL,   "/callbacks/verify/1/symbol",
                      file, "ldr_plain_absent", NULL};

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"verify\": [{\"plugin\": \"%s\", \"symbol\": \"ldr_plain_verify\"}, "
                         "{\"plugin\": \"%s\", \"symbol\": \"ldr_plain_absent\"}]}",
                         file, file) >= 0);
    rc.callbacks = cb;
    expect_rejected(&rc);
    free(cb);
}

/*
 * A data object under a callback's name is refused at load, not called in
 * the handshake; the real function before it in the same file binds.
 */
static void
test_loader_rejects_raw_symbol_that_is_data(void **state)
{
    const char *file = tu_test_plugin("ldr_data_symbol");
    char *cb = NULL;
    reject_case rc = {NULL,
                      SSLPLUG_E_SYMBOL,
                      "/callbacks/verify/1/symbol",
                      file,
                      "\"ldr_data_verify\" is a data object, not a function",
                      NULL};

    (void)state;
    assert_true(
        asprintf(&cb,
                 "{\"verify\": [{\"plugin\": \"%s\", \"symbol\": \"ldr_data_real_verify\"}, "
                 "{\"plugin\": \"%s\", \"symbol\": \"ldr_data_verify\"}]}",
                 file, file) >= 0);
    rc.callbacks = cb;
    expect_rejected(&rc);
    free(cb);
}

/* The entry is called while loading: as a data object it would crash the load. */
static void
test_loader_rejects_entry_that_is_data(void **state)
{
    const char *file = tu_test_plugin("ldr_data_entry");
    char *cb = one_entry("verify", file);
    reject_case rc = {cb,
                      SSLPLUG_E_SYMBOL,
                      "/callbacks/verify/plugin",
                      file,
                      "\"sslplug_plugin_entry\" is a data object, not a function",
                      NULL};

    (void)state;
    expect_rejected(&rc);
    free(cb);
}

static void
test_loader_rejects_type_the_plugin_lacks(void **state)
{
    const char *file = tu_test_plugin("abi_counter");
    char *cb = one_entry("client_cert", file);
    reject_case rc = {cb,   SSLPLUG_E_PLUGIN_TYPE, "/callbacks/client_cert/plugin",
                      file, "no client_cert",      "it provides: verify, info)"};

    (void)state;
    expect_rejected(&rc);
    assert_int_equal(counter(NULL, "inits"), 0);
    free(cb);
}

static void
test_loader_rejects_init_error_naming_key(void **state)
{
    const char *file = tu_test_plugin("abi_initfail");
    char *cb = NULL;
    reject_case rc = {NULL,
                      SSLPLUG_E_PLUGIN_INIT,
                      "/callbacks/verify/config/path",
                      file,
                      "cannot use path from config {\"path\":\"nowhere\"}",
                      "abi_initfail"};

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"verify\": {\"plugin\": \"%s\", \"config\": {\"path\": "
                         "\"nowhere\"}}}",
                         file) >= 0);
    rc.callbacks = cb;
    expect_rejected(&rc);
    free(cb);
}

static void
test_loader_rejects_init_failure_without_reason(void **state)
{
    const char *file = tu_test_plugin("abi_initfail");
    char *cb = NULL;
    reject_case rc = {NULL, SSLPLUG_E_PLUGIN_INIT, "/callbacks/verify/1",
                      file, "init failed",         NULL};

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"verify\": [{\"plugin\": \"%s\"}, {\"plugin\": \"%s\", \"config\": "
                         "{\"quiet\": true}}]}",
                         tu_test_plugin("abi_counter"), file) >= 0);
    rc.callbacks = cb;
    expect_rejected(&rc);
    /* The first entry's state was made each time and released with the failure. */
    assert_int_equal(counter(NULL, "inits"), 3);
    assert_int_equal(counter(NULL, "finis"), 3);
    free(cb);
}

static void
test_loader_rejects_config_for_plugin_without_init(void **state)
{
    const char *file = tu_test_plugin("abi_noinit");
    char *cb = NULL;
    reject_case rc = {NULL, SSLPLUG_E_CONFIG, "/callbacks/verify/config", file, "no init", NULL};

    (void)state;
    assert_true(asprintf(&cb, "{\"verify\": {\"plugin\": \"%s\", \"config\": {\"a\": 1}}}", file) >=
                0);
    rc.callbacks = cb;
    expect_rejected(&rc);
    free(cb);
}

static void
test_loader_rejects_file_that_is_not_elf(void **state)
{
    char *dir = tu_tmpdir();
    char *file = tu_write(dir, "garbage.so", "this is not an ELF object\n", 0755);
    char *cb = one_entry("verify", file);
    reject_case rc = {cb, SSLPLUG_E_PLUGIN_LOAD, "/callbacks/verify/plugin", file, NULL, NULL};

    (void)state;
    expect_rejected(&rc);
    free(cb);
    free(file);
    tu_rmtree(dir);
}

static void
test_loader_rejects_unresolved_symbol(void **state)
{
    const char *file = tu_test_plugin("ldr_unresolved");
    char *cb = one_entry("verify", file);
    reject_case rc = {cb,   SSLPLUG_E_PLUGIN_LOAD,    "/callbacks/verify/plugin",
                      file, "ldr_unresolved_nowhere", NULL};

    (void)state;
    expect_rejected(&rc);
    free(cb);
}

/* ---- damaged plugin files ---- */

/*
 * Cuts of the bundled info_log plugin: inside the program header table,
 * inside the first segment, halfway, and all but the last byte.  The
 * dynamic linker trusts the headers and touches pages past the end of such
 * a file, which is a SIGBUS; the host must read the file first and refuse.
 */
#define CUT_COUNT 4

static size_t
cut_size(size_t whole, int i)
{
    switch (i) {
    case 0:
        return 64;
    case 1:
        return 1000;
    case 2:
        return whole / 2;
    default:
        return whole - 1;
    }
}

/* dir/ldr_cut_N.so: the i-th cut of info_log. */
static char *
cut_info_log(const char *dir, int i)
{
    char *src = NULL, *file;
    char name[64];
    struct stat st;

    assert_true(asprintf(&src, "%s/info_log.so", sslplug_builtin_plugin_dir()) >= 0);
    assert_int_equal(stat(src, &st), 0);
    snprintf(name, sizeof(name), "ldr_cut_%zu.so", cut_size((size_t)st.st_size, i));
    file = tu_file_copy_head(src, dir, name, cut_size((size_t)st.st_size, i), 0755);
    free(src);
    return file;
}

static void
test_loader_rejects_truncated_plugin(void **state)
{
    char *dir = tu_tmpdir();

    (void)state;
    for (int i = 0; i < CUT_COUNT; i++) {
        char *file = cut_info_log(dir, i);
        char *cb = one_entry("info", file);
        reject_case rc = {cb,   SSLPLUG_E_PLUGIN_LOAD,      "/callbacks/info/plugin",
                          file, "past the end of the file", "truncated"};

        expect_rejected(&rc);
        free(cb);
        free(file);
    }
    tu_rmtree(dir);
}

/* A reload to a truncated plugin fails and changes nothing: the old generation keeps serving. */
static void
test_loader_reload_to_truncated_plugin_keeps_generation(void **state)
{
    char *dir = tu_tmpdir();
    char *good = NULL, *conf;
    sslplug_host *host;
    sslplug_error err;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&good, "{\"info\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"kept\"}}}",
                         tu_test_plugin("abi_counter")) >= 0);
    conf = write_client_config(dir, "reload.json", good);
    host = load_file(conf);
    ctx = tu_ctx(host);
    assert_true(handshake(ctx));
    SSL_CTX_free(ctx);
    for (int i = 0; i < CUT_COUNT; i++) {
        char *file = cut_info_log(dir, i);
        char *cb = one_entry("info", file);

        free(write_client_config(dir, "reload.json", cb));
        assert_int_equal(sslplug_host_reload(host, &err), 0);
        tu_error_assert(&err, SSLPLUG_E_PLUGIN_LOAD, "/callbacks/info/plugin", file);
        assert_contains(err.message, "past the end of the file");
        assert_int_equal(sslplug_host_generation(host), 1);
        ctx = tu_ctx(host);
        assert_true(handshake(ctx));
        SSL_CTX_free(ctx);
        assert_int_equal(counter("kept", "done"), 2 + i);
        free(cb);
        free(file);
    }
    assert_int_equal(counter(NULL, "inits"), 1);
    sslplug_host_free(host);
    free(conf);
    free(good);
    tu_rmtree(dir);
}

/* ---- fail closed ---- */

static void
test_loader_fail_closed_second_verify_entry(void **state)
{
    char *cb = NULL;
    sslplug_host *host;
    sslplug_error err;

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"verify\": [{\"plugin\": \"%s\", \"config\": {\"tag\": \"first\"}}, "
                         "{\"plugin\": \"%s\"}], "
                         "\"info\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"never\"}}}",
                         tu_test_plugin("abi_counter"), tu_test_plugin("abi_major"),
                         tu_test_plugin("abi_counter")) >= 0);
    host = client_host(cb);
    for (int attempt = 1; attempt <= 2; attempt++) {
        assert_null(sslplug_ctx_new(host, &err));
        assert_int_equal(err.code, SSLPLUG_E_ABI);
        assert_string_equal(err.pointer, "/callbacks/verify/1/plugin");
        assert_string_equal(err.source, "<string>");
        /* The first entry was initialised and released again; the third never reached. */
        assert_int_equal(counter(NULL, "inits"), attempt);
        assert_int_equal(counter(NULL, "finis"), attempt);
        assert_int_equal(counter("first", "fini"), 1);
        assert_int_equal(counter("never", "records"), 0);
    }
    sslplug_host_free(host);
    free(cb);
}

static void
test_loader_optional_info_entry_skipped_with_warning(void **state)
{
    char *cb = NULL;
    log_rec rec;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    memset(&rec, 0, sizeof(rec));
    /* The one exception to failing closed: an info entry marked optional. */
    assert_true(asprintf(&cb,
                         "{\"info\": [{\"plugin\": \"%s\", \"optional\": true}, "
                         "{\"plugin\": \"ldr_optional_absent\", \"optional\": true}, "
                         "{\"plugin\": \"%s\", \"config\": {\"tag\": \"kept\"}}]}",
                         tu_test_plugin("abi_major"), tu_test_plugin("abi_counter")) >= 0);
    host = client_host(cb);
    sslplug_host_set_log(host, log_sink, &rec);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    assert_int_equal(log_count(&rec, "sslplug", SSLPLUG_LOG_WARNING, "/callbacks/info/0"), 1);
    assert_int_equal(log_count(&rec, "sslplug", SSLPLUG_LOG_WARNING, "abi_major.so"), 1);
    assert_int_equal(log_count(&rec, "sslplug", SSLPLUG_LOG_WARNING, "/callbacks/info/1"), 1);
    assert_true(handshake(ctx));
    assert_int_equal(counter("kept", "done"), 1);
    SSL_CTX_free(ctx);
    free(cb);
}

/* ---- an older, smaller descriptor ---- */

static void
test_loader_old_descriptor_accepted_for_verify(void **state)
{
    char *cb = one_entry("verify", tu_test_plugin("abi_old"));
    int inits = P.old_count("inits"), finis = P.old_count("finis");
    int verify = P.old_count("verify");
    sslplug_host *host = client_host(cb);
    SSL_CTX *ctx = tu_ctx(host);

    (void)state;
    assert_int_equal(P.old_count("inits"), inits + 1);
    sslplug_host_free(host);
    assert_true(handshake(ctx));
    assert_true(P.old_count("verify") > verify);
    assert_int_equal(P.old_count("finis"), finis);
    SSL_CTX_free(ctx);
    assert_int_equal(P.old_count("finis"), finis + 1);
    free(cb);
}

static void
test_loader_old_descriptor_lacks_types_past_its_size(void **state)
{
    const char *file = tu_test_plugin("abi_old");
    char *client_cert = one_entry("client_cert", file);
    char *info = one_entry("info", file);
    /* Function pointers lie right after the old struct; only "verify" may be listed. */
    reject_case rc_cert = {client_cert, SSLPLUG_E_PLUGIN_TYPE, "/callbacks/client_cert/plugin",
                           file,        "no client_cert",      "it provides: verify)"};
    reject_case rc_info = {info,      SSLPLUG_E_PLUGIN_TYPE, "/callbacks/info/plugin", file,
                           "no info", "it provides: verify)"};

    (void)state;
    expect_rejected(&rc_cert);
    expect_rejected(&rc_info);
    free(client_cert);
    free(info);
}

/* ---- instances ---- */

static void
test_loader_same_plugin_two_entries_two_states(void **state)
{
    const char *file = tu_test_plugin("abi_counter");
    char *cb = NULL;
    sslplug_host *host;
    SSL_CTX *ctx;
    long a;

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"info\": [{\"plugin\": \"%s\", \"config\": {\"tag\": \"a\", \"step\": "
                         "1}}, {\"plugin\": \"%s\", \"config\": {\"tag\": \"b\", \"step\": 10}}], "
                         "\"verify\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"c\"}}}",
                         file, file, file) >= 0);
    host = client_host(cb);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    assert_int_equal(counter(NULL, "inits"), 3);
    assert_int_equal(counter("a", "records"), 1);
    assert_int_equal(counter("b", "records"), 1);
    assert_int_equal(counter("c", "records"), 1);

    assert_true(handshake(ctx));
    a = counter("a", "info");
    assert_true(a > 0);
    /* Same events, each counted into its own state with its own step. */
    assert_int_equal(counter("b", "info"), 10 * a);
    assert_int_equal(counter("a", "verify"), 0);
    assert_int_equal(counter("b", "verify"), 0);
    assert_true(counter("c", "verify") > 0);
    assert_int_equal(counter("c", "info"), 0);

    assert_int_equal(counter(NULL, "finis"), 0);
    SSL_CTX_free(ctx);
    assert_int_equal(counter("a", "fini"), 1);
    assert_int_equal(counter("b", "fini"), 1);
    assert_int_equal(counter("c", "fini"), 1);
    assert_int_equal(counter(NULL, "finis"), 3);
    free(cb);
}

/* ---- lifetime ---- */

static char *
tagged_info(const char *tag)
{
    char *cb = NULL;

    assert_true(asprintf(&cb, "{\"info\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"%s\"}}}",
                         tu_test_plugin("abi_counter"), tag) >= 0);
    return cb;
}

static void
test_loader_lifetime_ctx_outlives_host(void **state)
{
    char *cb = tagged_info("life");
    sslplug_host *host = client_host(cb);
    SSL_CTX *ctx = tu_ctx(host);

    (void)state;
    sslplug_host_free(host);
    assert_int_equal(counter("life", "fini"), 0);
    assert_true(handshake(ctx));
    assert_int_equal(counter("life", "done"), 1);
    assert_true(counter("life", "info") > 0);
    assert_int_equal(counter("life", "fini"), 0);
    SSL_CTX_free(ctx);
    assert_int_equal(counter("life", "fini"), 1);
    assert_int_equal(counter(NULL, "finis"), 1);
    free(cb);
}

static void
test_loader_lifetime_host_outlives_ctx(void **state)
{
    char *cb = tagged_info("held");
    sslplug_host *host = client_host(cb);
    SSL_CTX *ctx = tu_ctx(host);

    (void)state;
    SSL_CTX_free(ctx);
    /* The host still holds the instance for the next context. */
    assert_int_equal(counter("held", "fini"), 0);
    ctx = tu_ctx(host);
    assert_int_equal(counter(NULL, "inits"), 1);
    assert_true(handshake(ctx));
    SSL_CTX_free(ctx);
    assert_int_equal(counter("held", "fini"), 0);
    sslplug_host_free(host);
    assert_int_equal(counter("held", "fini"), 1);
    free(cb);
}

static void
test_loader_lifetime_two_contexts_share_instance(void **state)
{
    char *cb = tagged_info("shared");
    sslplug_host *host = client_host(cb);
    SSL_CTX *one = tu_ctx(host);
    SSL_CTX *two = tu_ctx(host);

    (void)state;
    assert_ptr_not_equal(one, two);
    sslplug_host_free(host);
    assert_int_equal(counter(NULL, "inits"), 1);
    assert_true(handshake(one));
    assert_true(handshake(two));
    /* One state counted both contexts' handshakes. */
    assert_int_equal(counter("shared", "records"), 1);
    assert_int_equal(counter("shared", "done"), 2);
    SSL_CTX_free(one);
    assert_int_equal(counter("shared", "fini"), 0);
    assert_true(handshake(two));
    assert_int_equal(counter("shared", "done"), 3);
    SSL_CTX_free(two);
    assert_int_equal(counter("shared", "fini"), 1);
    free(cb);
}

/* ---- C++ ---- */

static void
test_loader_cpp_plugin_runs_in_handshake(void **state)
{
    char *cb = NULL;
    int inits = P.cpp_count("inits"), finis = P.cpp_count("finis");
    int verify = P.cpp_count("verify"), info = P.cpp_count("info");
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"verify\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"cpp\", "
                         "\"depth\": \"3\"}}, \"info\": {\"plugin\": \"%s\"}}",
                         tu_test_plugin("abi_cpp"), tu_test_plugin("abi_cpp")) >= 0);
    host = client_host(cb);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    assert_int_equal(P.cpp_count("inits"), inits + 2);
    assert_true(handshake(ctx));
    assert_true(P.cpp_count("verify") > verify);
    assert_true(P.cpp_count("info") > info);
    assert_int_equal(P.cpp_count("finis"), finis);
    SSL_CTX_free(ctx);
    assert_int_equal(P.cpp_count("finis"), finis + 2);
    free(cb);
}

static void
test_loader_cpp_plugin_keeps_state_in_std_containers(void **state)
{
    char *cb = NULL;
    char last[2048];
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&cb, "{\"verify\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"v\"}}}",
                         tu_test_plugin("abi_cpp")) >= 0);
    host = client_host(cb);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    assert_true(handshake(ctx));
    SSL_CTX_free(ctx);
    /* fini joined the std::vector<std::string> of subjects the verify callback saw. */
    assert_int_equal(P.cpp_last(last, sizeof(last)), 1);
    assert_contains(last, "CN=localhost");
    assert_contains(last, "CN=sslplug demo CA");
    free(cb);
}

static void
test_loader_cpp_plugin_init_exception_is_caught(void **state)
{
    const char *file = tu_test_plugin("abi_cpp");
    char *cb = NULL;
    reject_case rc = {NULL, SSLPLUG_E_PLUGIN_INIT, "/callbacks/verify/config/depth",
                      file, "not a number",        NULL};
    int inits = P.cpp_count("inits");

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"verify\": {\"plugin\": \"%s\", \"config\": {\"depth\": "
                         "\"deep\"}}}",
                         file) >= 0);
    rc.callbacks = cb;
    expect_rejected(&rc);
    assert_int_equal(P.cpp_count("inits"), inits);
    free(cb);
}

/* ---- services ---- */

static void
test_loader_services_resolve_path_uses_config_dir(void **state)
{
    char *dir = tu_tmpdir();
    char *cb = NULL, *conf, *expect = NULL;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"info\": [{\"plugin\": \"%s\", \"config\": {\"tag\": \"rel\", "
                         "\"resolve\": \"x.txt\"}}, {\"plugin\": \"%s\", \"config\": {\"tag\": "
                         "\"abs\", \"resolve\": \"/etc/sslplug-x.txt\"}}]}",
                         tu_test_plugin("abi_counter"), tu_test_plugin("abi_counter")) >= 0);
    conf = write_client_config(dir, "services.json", cb);
    assert_true(asprintf(&expect, "%s/x.txt", dir) >= 0);
    host = load_file(conf);
    ctx = tu_ctx(host);
    assert_string_equal(counter_text("rel", "resolved"), expect);
    assert_string_equal(counter_text("abs", "resolved"), "/etc/sslplug-x.txt");
    /* A buffer too small gets a refusal, not a truncated path. */
    assert_int_equal(counter("rel", "resolve_small"), 0);
    assert_string_equal(counter_text("rel", "config_path"), conf);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    free(expect);
    free(conf);
    free(cb);
    tu_rmtree(dir);
}

static void
test_loader_services_config_path_empty_for_string(void **state)
{
    char *cb = tagged_info("str");
    sslplug_host *host = client_host(cb);
    SSL_CTX *ctx = tu_ctx(host);

    (void)state;
    assert_non_null(counter_text("str", "config_path"));
    assert_string_equal(counter_text("str", "config_path"), "");
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    free(cb);
}

static void
test_loader_services_log_reaches_sink(void **state)
{
    char *cb = NULL;
    log_rec rec;
    const log_line *line;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    memset(&rec, 0, sizeof(rec));
    assert_true(asprintf(&cb,
                         "{\"info\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"lg\", \"log\": "
                         "\"hello sink\"}}}",
                         tu_test_plugin("abi_counter")) >= 0);
    host = client_host(cb);
    sslplug_host_set_log(host, log_sink, &rec);
    ctx = tu_ctx(host);
    /* The host names the plugin by its descriptor's name. */
    line = log_find(&rec, "abi_counter", "init lg: hello sink");
    assert_non_null(line);
    assert_int_equal(line->level, SSLPLUG_LOG_WARNING);
    sslplug_host_free(host);
    assert_true(handshake(ctx));
    assert_int_equal(log_count(&rec, "abi_counter", SSLPLUG_LOG_DEBUG, "done lg"), 1);
    SSL_CTX_free(ctx);
    free(cb);
}

static void
test_loader_services_error_outside_init_is_logged(void **state)
{
    char *cb = NULL;
    log_rec rec;
    const log_line *line;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    memset(&rec, 0, sizeof(rec));
    assert_true(asprintf(&cb,
                         "{\"info\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"late\", "
                         "\"late_error\": true}}}",
                         tu_test_plugin("abi_counter")) >= 0);
    host = client_host(cb);
    sslplug_host_set_log(host, log_sink, &rec);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    assert_null(log_find(&rec, "abi_counter", "late error"));
    assert_true(handshake(ctx));
    line = log_find(&rec, "abi_counter", "late error from late");
    assert_non_null(line);
    assert_int_equal(line->level, SSLPLUG_LOG_ERROR);
    assert_int_equal(counter("late", "done"), 1);
    SSL_CTX_free(ctx);
    free(cb);
}

/* ---- plugin lookup ---- */

/* A client config in dir with "plugin_path" and one info entry naming plugin. */
static char *
write_lookup_config(const char *dir, const char *plugin_path, const char *plugin)
{
    char *json = NULL, *path;

    assert_true(asprintf(&json,
                         "{\"version\": 1, %s\"context\": {\"role\": \"client\", \"ca_file\": "
                         "\"%s\"}, \"callbacks\": {\"info\": {\"plugin\": \"%s\", \"config\": "
                         "{\"tag\": \"found\"}}}}",
                         plugin_path, tu_pki("ca.crt"), plugin) >= 0);
    path = tu_write(dir, "lookup.json", json, 0644);
    free(json);
    return path;
}

/* Load conf, make a context, and show the plugin's callbacks running in a handshake. */
static void
expect_lookup_works(const char *conf)
{
    sslplug_host *host = load_file(conf);
    tu_trace trace;
    SSL_CTX *ctx;

    memset(&trace, 0, sizeof(trace));
    sslplug_host_set_trace(host, tu_trace_fn, &trace);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    assert_true(handshake(ctx));
    assert_true(trace.count[SSLPLUG_CB_INFO] > 0);
    assert_true(tu_trace_has(&trace, "info abi_counter /callbacks/info:") > 0);
    SSL_CTX_free(ctx);
    tu_trace_free(&trace);
}

static void
expect_not_found(const char *conf, const char *pointer, const char *needle)
{
    sslplug_error err;

    assert_null(sslplug_host_load(conf, &err));
    assert_int_equal(err.code, SSLPLUG_E_PLUGIN_NOT_FOUND);
    assert_string_equal(err.pointer, pointer);
    assert_string_equal(err.source, conf);
    assert_int_equal(err.line, 0);
    assert_int_equal(err.column, 0);
    assert_contains(err.message, needle);
}

static void
test_loader_lookup_plugin_path_relative_to_config_dir(void **state)
{
    char *dir = tu_tmpdir();
    char *sub = make_subdir(dir, "plugins");
    char *copy = copy_plugin("abi_counter", sub, "ldr_pp.so");
    char *conf = write_lookup_config(dir, "\"plugin_path\": [\"plugins\"], ", "ldr_pp");

    (void)state;
    expect_lookup_works(conf);
    free(conf);
    /* Without the plugin_path entry nothing else knows ldr_pp. */
    conf = write_lookup_config(dir, "", "ldr_pp");
    expect_not_found(conf, "/callbacks/info/plugin", "ldr_pp.so");
    free(conf);
    free(copy);
    free(sub);
    tu_rmtree(dir);
}

static void
test_loader_lookup_env_path_absolute_entry(void **state)
{
    char *dir = tu_tmpdir();
    char *sub = make_subdir(dir, "env");
    char *copy = copy_plugin("abi_counter", sub, "ldr_env.so");
    char *conf = write_lookup_config(dir, "", "ldr_env");
    char *env = NULL;

    (void)state;
    assert_true(asprintf(&env, "/nonexistent-sslplug-dir:%s", sub) >= 0);
    assert_int_equal(setenv("SSLPLUG_PLUGIN_PATH", env, 1), 0);
    expect_lookup_works(conf);
    assert_int_equal(unsetenv("SSLPLUG_PLUGIN_PATH"), 0);
    expect_not_found(conf, "/callbacks/info/plugin", "ldr_env.so");
    free(env);
    free(conf);
    free(copy);
    free(sub);
    tu_rmtree(dir);
}

static void
test_loader_lookup_env_path_ignores_relative_entries(void **state)
{
    char *dir = tu_tmpdir();
    char *sub = make_subdir(dir, "env");
    char *copy = copy_plugin("abi_counter", sub, "ldr_envrel.so");
    char *conf = write_lookup_config(dir, "", "ldr_envrel");
    char cwd[PATH_MAX];
    sslplug_error err;
    sslplug_host *host;

    (void)state;
    /* "env" would name the directory both from the working directory and the config's. */
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(setenv("SSLPLUG_PLUGIN_PATH", "env:./env", 1), 0);
    host = sslplug_host_load(conf, &err);
    assert_int_equal(chdir(cwd), 0);
    assert_null(host);
    assert_int_equal(err.code, SSLPLUG_E_PLUGIN_NOT_FOUND);
    assert_string_equal(err.pointer, "/callbacks/info/plugin");
    free(conf);
    free(copy);
    free(sub);
    tu_rmtree(dir);
}

static void
test_loader_lookup_plugin_path_before_env(void **state)
{
    char *dir = tu_tmpdir();
    char *pp = make_subdir(dir, "pp");
    char *env = make_subdir(dir, "env");
    /* Same name in both: the good one in plugin_path, a refused one in the environment. */
    char *good = copy_plugin("abi_counter", pp, "ldr_prec.so");
    char *bad = copy_plugin("abi_major", env, "ldr_prec.so");
    char *conf = write_lookup_config(dir, "\"plugin_path\": [\"pp\"], ", "ldr_prec");

    (void)state;
    assert_int_equal(setenv("SSLPLUG_PLUGIN_PATH", env, 1), 0);
    expect_lookup_works(conf);
    free(conf);
    free(good);
    free(bad);
    free(pp);
    free(env);
    tu_rmtree(dir);
}

static void
test_loader_lookup_builtin_dir(void **state)
{
    char *file = NULL;
    log_rec rec;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&file, "%s/verify_log.so", sslplug_builtin_plugin_dir()) >= 0);
    assert_int_equal(access(file, R_OK), 0);
    memset(&rec, 0, sizeof(rec));
    host = client_host("{\"verify\": {\"plugin\": \"verify_log\", \"config\": {\"level\": "
                       "\"info\"}}}");
    sslplug_host_set_log(host, log_sink, &rec);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    assert_true(handshake(ctx));
    assert_true(log_count(&rec, "verify_log", SSLPLUG_LOG_INFO, "CN=localhost") > 0);
    SSL_CTX_free(ctx);
    free(file);
}

static void
test_loader_lookup_slash_is_relative_to_config_dir(void **state)
{
    char *dir = tu_tmpdir();
    char *sub = make_subdir(dir, "sub");
    char *copy = copy_plugin("abi_counter", sub, "ldr_rel.so");
    char *conf = write_lookup_config(dir, "", "sub/ldr_rel.so");

    (void)state;
    expect_lookup_works(conf);
    free(conf);
    conf = write_lookup_config(dir, "", "sub/ldr_missing.so");
    expect_not_found(conf, "/callbacks/info/plugin", "sub/ldr_missing.so");
    free(conf);
    free(copy);
    free(sub);
    tu_rmtree(dir);
}

static void
test_loader_lookup_not_found(void **state)
{
    char *dir = tu_tmpdir();
    char *cb = NULL, *conf;

    (void)state;
    assert_true(asprintf(&cb,
                         "{\"verify\": [{\"plugin\": \"%s\"}, {\"plugin\": "
                         "\"ldr_no_such_plugin\"}]}",
                         tu_test_plugin("abi_counter")) >= 0);
    conf = write_client_config(dir, "missing.json", cb);
    expect_not_found(conf, "/callbacks/verify/1/plugin", "ldr_no_such_plugin");
    /* Located, not loaded: no plugin code ran. */
    assert_int_equal(counter(NULL, "inits"), 0);
    free(conf);
    free(cb);
    tu_rmtree(dir);
}

/* ---- sslplug_ctx_apply ---- */

static void
test_loader_apply_binds_app_context(void **state)
{
    char *cb = tagged_info("app");
    sslplug_host *host = client_host(cb);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    sslplug_error err;

    (void)state;
    assert_non_null(ctx);
    assert_int_equal(sslplug_ctx_apply(host, ctx, &err), 1);
    assert_int_equal(err.code, SSLPLUG_OK);
    sslplug_host_free(host);
    assert_int_equal(counter(NULL, "inits"), 1);
    assert_true(handshake(ctx));
    assert_int_equal(counter("app", "done"), 1);
    assert_int_equal(counter("app", "fini"), 0);
    SSL_CTX_free(ctx);
    assert_int_equal(counter("app", "fini"), 1);
    free(cb);
}

static void
test_loader_apply_twice_fails(void **state)
{
    char *cb = tagged_info("twice");
    sslplug_host *host = client_host(cb);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    sslplug_error err;
    long info;

    (void)state;
    assert_non_null(ctx);
    assert_int_equal(sslplug_ctx_apply(host, ctx, &err), 1);
    assert_int_equal(sslplug_ctx_apply(host, ctx, &err), 0);
    assert_int_equal(err.code, SSLPLUG_E_ARGUMENT);
    assert_string_equal(err.source, "<string>");
    sslplug_host_free(host);
    /* The first binding is intact, and bound once: one handshake, one "done". */
    assert_true(handshake(ctx));
    assert_int_equal(counter("twice", "done"), 1);
    info = counter("twice", "info");
    assert_true(handshake(ctx));
    assert_int_equal(counter("twice", "info"), 2 * info);
    SSL_CTX_free(ctx);
    assert_int_equal(counter("twice", "fini"), 1);
    free(cb);
}

/*
 * A configuration that fails after sslplug began changing the application's
 * context leaves it refusing every peer, so an application that ignores the
 * error does not serve with half a configuration.
 */
static void
test_loader_apply_failure_leaves_context_refusing(void **state)
{
    /* A key that does not match the certificate fails once the context is being changed. */
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\","
                                 " \"certificate\": \"pki/client.crt\", \"private_key\":"
                                 " \"pki/server-plain.key\", \"verify\": \"none\"}}");
    SSL_CTX *server = tu_plain_server(0);
    SSL_CTX *control = SSL_CTX_new(TLS_client_method());
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    sslplug_error err;
    sslplug_pair pair;

    (void)state;
    assert_non_null(ctx);
    /* Control: an application context that verifies nothing connects. */
    assert_int_equal(tu_handshake(server, control, &pair), 1);
    sslplug_pair_cleanup(&pair);
    assert_int_equal(sslplug_ctx_apply(host, ctx, &err), 0);
    assert_int_equal(err.code, SSLPLUG_E_PRIVATE_KEY);
    assert_string_equal(err.pointer, "/context/private_key");
    assert_int_equal(tu_handshake(server, ctx, &pair), 0);
    assert_int_equal(SSL_get_verify_result(pair.client), X509_V_ERR_APPLICATION_VERIFICATION);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(ctx);
    SSL_CTX_free(control);
    SSL_CTX_free(server);
    sslplug_host_free(host);
}

/* The lookup the host and `sslplug inspect` share, as a public function. */
static void
test_loader_plugin_locate(void **state)
{
    char *found = sslplug_plugin_locate("verify_log");
    char *expect = NULL;

    (void)state;
    assert_true(asprintf(&expect, "%s/verify_log.so", sslplug_builtin_plugin_dir()) >= 0);
    assert_non_null(found);
    assert_string_equal(found, expect);
    free(found);
    found = sslplug_plugin_locate(tu_test_plugin("abi_counter"));
    assert_non_null(found);
    assert_string_equal(found, tu_test_plugin("abi_counter"));
    free(found);
    assert_null(sslplug_plugin_locate("no_such_plugin_anywhere"));
    assert_null(sslplug_plugin_locate("/nonexistent/x.so"));
    assert_null(sslplug_plugin_locate(".."));
    assert_null(sslplug_plugin_locate(""));
    assert_null(sslplug_plugin_locate(NULL));
    free(expect);
}

#define LOADER_TEST(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        LOADER_TEST(test_loader_abi_current_descriptor_gets_config_and_state),
        LOADER_TEST(test_loader_abi_noinit_plugin_loads_without_config),
        LOADER_TEST(test_loader_raw_symbol_binds_plain_function),
        LOADER_TEST(test_loader_rejects_major_abi_mismatch),
        LOADER_TEST(test_loader_rejects_newer_minor),
        LOADER_TEST(test_loader_rejects_bad_magic),
        LOADER_TEST(test_loader_rejects_null_descriptor),
        LOADER_TEST(test_loader_rejects_descriptor_smaller_than_header),
        LOADER_TEST(test_loader_rejects_descriptor_larger_than_host),
        LOADER_TEST(test_loader_rejects_missing_entry_symbol),
        LOADER_TEST(test_loader_rejects_missing_raw_symbol),
        LOADER_TEST(test_loader_rejects_raw_symbol_that_is_data),
        LOADER_TEST(test_loader_rejects_entry_that_is_data),
        LOADER_TEST(test_loader_rejects_type_the_plugin_lacks),
        LOADER_TEST(test_loader_rejects_init_error_naming_key),
        LOADER_TEST(test_loader_rejects_init_failure_without_reason),
        LOADER_TEST(test_loader_rejects_config_for_plugin_without_init),
        LOADER_TEST(test_loader_rejects_file_that_is_not_elf),
        LOADER_TEST(test_loader_rejects_unresolved_symbol),
        LOADER_TEST(test_loader_rejects_truncated_plugin),
        LOADER_TEST(test_loader_reload_to_truncated_plugin_keeps_generation),
        LOADER_TEST(test_loader_fail_closed_second_verify_entry),
        LOADER_TEST(test_loader_optional_info_entry_skipped_with_warning),
        LOADER_TEST(test_loader_old_descriptor_accepted_for_verify),
        LOADER_TEST(test_loader_old_descriptor_lacks_types_past_its_size),
        LOADER_TEST(test_loader_same_plugin_two_entries_two_states),
        LOADER_TEST(test_loader_lifetime_ctx_outlives_host),
        LOADER_TEST(test_loader_lifetime_host_outlives_ctx),
        LOADER_TEST(test_loader_lifetime_two_contexts_share_instance),
        LOADER_TEST(test_loader_cpp_plugin_runs_in_handshake),
        LOADER_TEST(test_loader_cpp_plugin_keeps_state_in_std_containers),
        LOADER_TEST(test_loader_cpp_plugin_init_exception_is_caught),
        LOADER_TEST(test_loader_services_resolve_path_uses_config_dir),
        LOADER_TEST(test_loader_services_config_path_empty_for_string),
        LOADER_TEST(test_loader_services_log_reaches_sink),
        LOADER_TEST(test_loader_services_error_outside_init_is_logged),
        LOADER_TEST(test_loader_lookup_plugin_path_relative_to_config_dir),
        LOADER_TEST(test_loader_lookup_env_path_absolute_entry),
        LOADER_TEST(test_loader_lookup_env_path_ignores_relative_entries),
        LOADER_TEST(test_loader_lookup_plugin_path_before_env),
        LOADER_TEST(test_loader_lookup_builtin_dir),
        LOADER_TEST(test_loader_lookup_slash_is_relative_to_config_dir),
        LOADER_TEST(test_loader_lookup_not_found),
        LOADER_TEST(test_loader_apply_binds_app_context),
        LOADER_TEST(test_loader_apply_twice_fails),
        LOADER_TEST(test_loader_apply_failure_leaves_context_refusing),
        LOADER_TEST(test_loader_plugin_locate),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
