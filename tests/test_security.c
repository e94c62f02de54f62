/*
 * Loading plugins safely: owner and mode of plugin and configuration files
 * and of every directory above a plugin, symlinks, allowed_dirs and
 * plugin_path as a fence, sha256 pins, one OpenSSL per process, optional
 * info entries, and SSLPLUG_PLUGIN_PATH's relative entries.
 *
 * The suite runs as root, which reads anything: every unsafe case is made
 * with the mode bits and owners the checks look at (chmod, and chown to
 * FOREIGN_UID, which root may do), in scratch directories under /tmp.
 * Refusals are checked for the exact code, JSON pointer, the file named in
 * the message and the rule it states, and that no context comes out.
 */
#define _GNU_SOURCE /* asprintf, setenv, nftw */
#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */

/* An owner that is neither root nor the effective user. */
#define FOREIGN_UID 12345

/* A client that verifies the demo server; %s is the callbacks object. */
#define CLIENT_CONF(callbacks)                                                                     \
    "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\", "           \
    "\"verify\": \"peer\"}, \"callbacks\": " callbacks "}"

/* One verify entry: plugin, then extra members (", \"sha256\": ..." or ""). */
#define VERIFY_CONF CLIENT_CONF("{\"verify\": {\"plugin\": \"%s\"%s}}")

#define VERIFY_PTR "/callbacks/verify/plugin"

/* ---- scratch files ---- */

/* A scratch directory by its real path, so messages naming it can be matched. */
static char *
scratch(void)
{
    char *dir = tu_tmpdir();
    char *real = realpath(dir, NULL);

    assert_non_null(real);
    free(dir);
    return real;
}

static int
unlock_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_D) {
        chmod(path, 0700);
    } else if (flag == FTW_F) {
        chmod(path, 0600);
    }
    return 0;
}

/* Modes back to private, then remove: no shared directory is left behind. */
static void
scratch_free(char *dir)
{
    if (dir != NULL) {
        nftw(dir, unlock_entry, 16, FTW_PHYS);
    }
    tu_rmtree(dir);
}

/*
 * Each test gets a scratch directory, removed by the teardown even when the
 * test fails, which also undoes what the SSLPLUG_PLUGIN_PATH test changes.
 */
typedef struct fixture {
    char *dir;
    char cwd[PATH_MAX];
} fixture;

static int
fixture_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_non_null(getcwd(f->cwd, sizeof(f->cwd)));
    f->dir = scratch();
    *state = f;
    return 0;
}

static int
fixture_teardown(void **state)
{
    fixture *f = *state;
    int ok = unsetenv("SSLPLUG_PLUGIN_PATH") == 0 && chdir(f->cwd) == 0;

    scratch_free(f->dir);
    free(f);
    return ok ? 0 : -1;
}

static const char *
scratch_dir(void **state)
{
    return ((const fixture *)*state)->dir;
}

static char *
make_dir(const char *parent, const char *name, unsigned mode)
{
    char *path = tu_path_join(parent, name);

    assert_int_equal(mkdir(path, 0700), 0);
    /* chmod, not mkdir's mode: the umask must not soften the case. */
    assert_int_equal(chmod(path, (mode_t)mode), 0);
    return path;
}

/* Copy src to dir/name with mode; returns the new path. */
static char *
copy_file(const char *src, const char *dir, const char *name, unsigned mode)
{
    char *dst = tu_path_join(dir, name);
    char buf[65536];
    ssize_t n;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    assert_true(in >= 0);
    assert_true(out >= 0);
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        assert_int_equal(write(out, buf, (size_t)n), n);
    }
    assert_int_equal(n, 0);
    assert_int_equal(fchmod(out, (mode_t)mode), 0);
    close(in);
    close(out);
    return dst;
}

static char *
builtin(const char *name)
{
    char *path = NULL;

    assert_true(asprintf(&path, "%s/%s.so", sslplug_builtin_plugin_dir(), name) >= 0);
    return path;
}

/* A copy of the bundled verify_log plugin: a real .so whose calls are visible in the log. */
static char *
copy_verify_log(const char *dir, const char *name, unsigned mode)
{
    char *src = builtin("verify_log");
    char *dst = copy_file(src, dir, name, mode);

    free(src);
    return dst;
}

static void
file_sha256_hex(const char *path, char hex[65])
{
    unsigned char md[32], buf[16384];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    FILE *f = fopen(path, "rb");
    size_t n;

    assert_non_null(ctx);
    assert_non_null(f);
    assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        assert_int_equal(EVP_DigestUpdate(ctx, buf, n), 1);
    }
    assert_int_equal(ferror(f), 0);
    assert_int_equal(EVP_DigestFinal_ex(ctx, md, &len), 1);
    assert_int_equal(len, sizeof(md));
    for (size_t i = 0; i < sizeof(md); i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    EVP_MD_CTX_free(ctx);
    fclose(f);
}

/*
 * ---- what a host logged ----
 *
 * Everything, the host's own lines too, as "LEVEL PLUGIN: MESSAGE\n"
 * (tu_log with_host and with_level).
 */

/* The warning that an optional entry was skipped, or NULL; the caller frees it. */
static char *
skipped_warning(const tu_log *log, const char *pointer)
{
    char *prefix = NULL;
    const char *start;

    assert_true(asprintf(&prefix, "%d sslplug: %s: optional entry skipped: ", SSLPLUG_LOG_WARNING,
                         pointer) >= 0);
    start = log->text != NULL ? strstr(log->text, prefix) : NULL;
    free(prefix);
    if (start == NULL) {
        print_error("no warning about %s in the log:\n%s\n", pointer,
                    log->text != NULL ? log->text : "");
        return NULL;
    }
    return strndup(start, strcspn(start, "\n"));
}

/* ---- outcomes ---- */

static int
contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) != NULL) {
        return 1;
    }
    print_error("\"%s\"\n  does not contain\n\"%s\"\n", haystack, needle);
    return 0;
}

static void
assert_error(const sslplug_error *err, sslplug_code code, const char *pointer, const char *file,
             const char *rule)
{
    if (err->code != code || strcmp(err->pointer, pointer) != 0) {
        print_error("expected %s at %s, got %s at %s: %s\n", sslplug_strerror(code), pointer,
                    sslplug_strerror(err->code), err->pointer, err->message);
    }
    assert_int_equal(err->code, code);
    assert_string_equal(err->pointer, pointer);
    if (file != NULL) {
        assert_true(contains(err->message, file));
    }
    if (rule != NULL) {
        assert_true(contains(err->message, rule));
    }
}

/*
 * No context comes out, with the expected error; a second try fails the same
 * way (a refusal leaves nothing half-loaded behind).  Frees the host.
 */
static void
assert_ctx_refused(sslplug_host *host, sslplug_code code, const char *pointer, const char *file,
                   const char *rule)
{
    sslplug_error err;
    tu_log log = {.with_host = 1, .with_level = 1};

    sslplug_host_set_log(host, tu_log_fn, &log);
    assert_null(sslplug_ctx_new(host, &err));
    assert_error(&err, code, pointer, file, rule);
    assert_null(sslplug_ctx_new(host, &err));
    assert_error(&err, code, pointer, file, rule);
    sslplug_host_free(host);
    tu_log_free(&log);
}

/* A verifying client from host completes a handshake; returns what was logged.  Frees the host. */
static tu_log
handshake_with(sslplug_host *host)
{
    tu_log log = {.with_host = 1, .with_level = 1};
    sslplug_pair pair;
    SSL_CTX *client, *server;

    sslplug_host_set_log(host, tu_log_fn, &log);
    client = tu_ctx(host);
    sslplug_host_free(host);
    server = tu_plain_server(0);
    if (!tu_handshake(server, client, &pair)) {
        print_error("handshake: server: %s; client: %s\n", pair.server_error, pair.client_error);
        fail();
    }
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    return log;
}

/* As handshake_with, and the (verify_log) verify entry saw the server's leaf. */
static void
assert_verify_plugin_works(sslplug_host *host)
{
    tu_log log = handshake_with(host);

    assert_true(tu_log_has(&log, "verify_log: depth=0 ok=1"));
    tu_log_free(&log);
}

/* ---- the plugin file's mode and owner ---- */

static void
plugin_mode_refused(const char *dir, unsigned mode, const char *rule)
{
    char *plugin = copy_verify_log(dir, "vl.so", mode);

    assert_ctx_refused(tu_host(VERIFY_CONF, plugin, ""), SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, plugin,
                       rule);
    free(plugin);
}

static void
test_security_plugin_group_writable_refused(void **state)
{
    plugin_mode_refused(scratch_dir(state), 0664, "is writable by group or others (mode 0664)");
}

static void
test_security_plugin_world_writable_refused(void **state)
{
    plugin_mode_refused(scratch_dir(state), 0666, "is writable by group or others (mode 0666)");
}

static void
plugin_mode_accepted(const char *dir, unsigned mode)
{
    char *plugin = copy_verify_log(dir, "vl.so", mode);

    assert_verify_plugin_works(tu_host(VERIFY_CONF, plugin, ""));
    free(plugin);
}

static void
test_security_plugin_mode_0644_accepted(void **state)
{
    plugin_mode_accepted(scratch_dir(state), 0644);
}

static void
test_security_plugin_mode_0755_accepted(void **state)
{
    plugin_mode_accepted(scratch_dir(state), 0755);
}

static void
test_security_plugin_other_owner_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *plugin = copy_verify_log(dir, "vl.so", 0644);

    assert_int_equal(chown(plugin, FOREIGN_UID, FOREIGN_UID), 0);
    assert_ctx_refused(tu_host(VERIFY_CONF, plugin, ""), SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, plugin,
                       "is owned by uid 12345, not root or the effective user");
    free(plugin);
}

/* Only uid and write bits count: another group that cannot write is harmless. */
static void
test_security_plugin_other_group_readonly_accepted(void **state)
{
    const char *dir = scratch_dir(state);
    char *plugin = copy_verify_log(dir, "vl.so", 0644);

    assert_int_equal(chown(plugin, 0, FOREIGN_UID), 0);
    assert_verify_plugin_works(tu_host(VERIFY_CONF, plugin, ""));
    free(plugin);
}

/* ---- directories above the plugin ---- */

static void
dir_mode_refused(const char *dir, unsigned mode, const char *rule)
{
    char *shared = make_dir(dir, "shared", mode);
    char *plugin = copy_verify_log(shared, "vl.so", 0644);
    char *which = NULL;

    assert_true(asprintf(&which, "directory %s above %s", shared, plugin) >= 0);
    assert_ctx_refused(tu_host(VERIFY_CONF, plugin, ""), SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, which,
                       rule);
    free(which);
    free(plugin);
    free(shared);
}

static void
test_security_dir_world_writable_refused(void **state)
{
    dir_mode_refused(scratch_dir(state), 0777,
                     "is writable by group or others (mode 0777) without the sticky bit");
}

static void
test_security_dir_group_writable_refused(void **state)
{
    dir_mode_refused(scratch_dir(state), 0775,
                     "is writable by group or others (mode 0775) without the sticky bit");
}

/* The refusal holds however far above the plugin the bad directory is. */
static void
test_security_dir_world_writable_two_levels_up_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *shared = make_dir(dir, "shared", 0777);
    char *mid = make_dir(shared, "mid", 0755);
    char *plugin = copy_verify_log(mid, "vl.so", 0644);
    char *which = NULL;

    assert_true(asprintf(&which, "directory %s above %s", shared, plugin) >= 0);
    assert_ctx_refused(tu_host(VERIFY_CONF, plugin, ""), SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, which,
                       "without the sticky bit");
    free(which);
    free(plugin);
    free(mid);
    free(shared);
}

static void
test_security_dir_other_owner_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *theirs = make_dir(dir, "theirs", 0755);
    char *plugin = copy_verify_log(theirs, "vl.so", 0644);
    char *which = NULL;

    assert_int_equal(chown(theirs, FOREIGN_UID, FOREIGN_UID), 0);
    assert_true(asprintf(&which, "directory %s above %s", theirs, plugin) >= 0);
    assert_ctx_refused(tu_host(VERIFY_CONF, plugin, ""), SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, which,
                       "is owned by uid 12345, not root or the effective user");
    free(which);
    free(plugin);
    free(theirs);
}

/* A sticky shared directory, as /tmp, is fine when what lies below it is ours. */
static void
test_security_dir_sticky_root_entry_accepted(void **state)
{
    const char *dir = scratch_dir(state);
    char *shared = make_dir(dir, "shared", 01777);
    char *ours = make_dir(shared, "ours", 0755);
    char *direct = copy_verify_log(shared, "vl.so", 0644);
    char *nested = copy_verify_log(ours, "vl.so", 0644);

    assert_verify_plugin_works(tu_host(VERIFY_CONF, direct, ""));
    assert_verify_plugin_works(tu_host(VERIFY_CONF, nested, ""));
    free(nested);
    free(direct);
    free(ours);
    free(shared);
}

/* In a sticky shared directory, an entry another user owns could be theirs to swap. */
static void
test_security_dir_sticky_foreign_entry_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *shared = make_dir(dir, "shared", 01777);
    char *theirs = make_dir(shared, "theirs", 0755);
    char *nested = copy_verify_log(theirs, "vl.so", 0644);
    char *direct = copy_verify_log(shared, "vl.so", 0644);
    char *which = NULL;

    assert_int_equal(chown(theirs, FOREIGN_UID, FOREIGN_UID), 0);
    assert_int_equal(chown(direct, FOREIGN_UID, FOREIGN_UID), 0);
    assert_true(asprintf(&which, "%s above %s", theirs, nested) >= 0);
    assert_ctx_refused(tu_host(VERIFY_CONF, nested, ""), SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, which,
                       "owned by uid 12345, not root or the effective user");
    assert_ctx_refused(tu_host(VERIFY_CONF, direct, ""), SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, direct,
                       "owned by uid 12345, not root or the effective user");
    free(which);
    free(direct);
    free(nested);
    free(theirs);
    free(shared);
}

/* ---- symlinks ---- */

static void
test_security_plugin_symlink_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *plugin = copy_verify_log(dir, "vl.so", 0644);
    char *link = tu_path_join(dir, "link.so");

    assert_int_equal(symlink(plugin, link), 0);
    assert_ctx_refused(tu_host(VERIFY_CONF, link, ""), SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, link,
                       "it is a symbolic link");
    /* The file it points to is fine: the link alone is refused. */
    assert_verify_plugin_works(tu_host(VERIFY_CONF, plugin, ""));
    free(link);
    free(plugin);
}

/* insecure_allow_writable lifts owner and mode checks, not the symlink rule. */
static void
test_security_insecure_still_refuses_symlink(void **state)
{
    const char *dir = scratch_dir(state);
    char *plugin = copy_verify_log(dir, "vl.so", 0666);
    char *link = tu_path_join(dir, "link.so");

    assert_int_equal(symlink(plugin, link), 0);
    assert_ctx_refused(
        tu_host("{\"version\": 1, \"insecure_allow_writable\": true, \"context\": {\"role\": "
                "\"client\", \"ca_file\": \"pki/ca.crt\"}, \"callbacks\": {\"verify\": "
                "{\"plugin\": \"%s\"}}}",
                link),
        SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, link, "it is a symbolic link");
    free(link);
    free(plugin);
}

/* ---- insecure_allow_writable ---- */

/* A world-writable config naming a world-writable plugin in a world-writable directory. */
static char *
insecure_setup(const char *dir)
{
    char *shared = make_dir(dir, "shared", 0777);
    char *plugin = copy_verify_log(shared, "vl.so", 0666);
    char *json = NULL, *conf;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"insecure_allow_writable\": true, \"context\": "
                         "{\"role\": \"client\", \"ca_file\": \"%s\", \"verify\": \"peer\"}, "
                         "\"callbacks\": {\"verify\": {\"plugin\": \"%s\"}}}\n",
                         tu_pki("ca.crt"), plugin) >= 0);
    conf = tu_write(dir, "conf.json", json, 0666);
    free(json);
    free(plugin);
    free(shared);
    return conf;
}

static void
test_security_insecure_accepts_writable_files_and_warns(void **state)
{
    const char *dir = scratch_dir(state);
    char *conf = insecure_setup(dir);
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(conf, &err);
    tu_log log;

    if (host == NULL) {
        print_error("%s: %s: %s\n", err.source, err.pointer, err.message);
    }
    assert_non_null(host);
    log = handshake_with(host);
    assert_true(tu_log_has(&log, "verify_log: depth=0 ok=1"));
    assert_true(tu_log_has(
        &log, "1 sslplug: /insecure_allow_writable: insecure_allow_writable is on: plugin and "
              "configuration files are not checked"));
    tu_log_free(&log);
    free(conf);
}

static void
test_security_insecure_warning_in_check_output(void **state)
{
    const char *dir = scratch_dir(state);
    char *conf = insecure_setup(dir);
    char *out = NULL, *warning = NULL, *ok = NULL;
    int rc;

    rc = tu_run(&out, "%s check %s", SSLPLUG_TEST_CLI, conf);
    if (rc != 0) {
        print_error("%s\n", out);
    }
    assert_int_equal(rc, 0);
    assert_true(asprintf(&warning,
                         "%s: warning: /insecure_allow_writable: insecure_allow_writable is on",
                         conf) >= 0);
    assert_true(asprintf(&ok, "%s: ok\n", conf) >= 0);
    assert_true(contains(out, warning));
    assert_true(contains(out, ok));
    free(ok);
    free(warning);
    free(out);
    free(conf);
}

/* Without the key, the same files are refused: the first that is checked is the config. */
static void
test_security_insecure_false_checks_as_usual(void **state)
{
    const char *dir = scratch_dir(state);
    char *shared = make_dir(dir, "shared", 0755);
    char *plugin = copy_verify_log(shared, "vl.so", 0666);

    assert_ctx_refused(tu_host("{\"version\": 1, \"insecure_allow_writable\": false, \"context\": "
                               "{\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"}, "
                               "\"callbacks\": {\"verify\": {\"plugin\": \"%s\"}}}",
                               plugin),
                       SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, plugin, "(mode 0666)");
    free(plugin);
    free(shared);
}

/* ---- the configuration file ---- */

static char *
write_conf(const char *dir, unsigned mode)
{
    char *json = NULL, *conf;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": "
                         "\"%s\"}, \"callbacks\": {\"verify\": {\"plugin\": \"verify_log\"}}}\n",
                         tu_pki("ca.crt")) >= 0);
    conf = tu_write(dir, "conf.json", json, mode);
    free(json);
    return conf;
}

static void
assert_conf_refused(const char *conf, const char *rule)
{
    sslplug_error err;

    assert_null(sslplug_host_load(conf, &err));
    assert_error(&err, SSLPLUG_E_UNSAFE_FILE, "", conf, rule);
    assert_string_equal(err.source, conf);
}

static void
test_security_config_world_writable_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *conf = write_conf(dir, 0666);

    assert_conf_refused(conf, "is writable by group or others (mode 0666)");
    free(conf);
}

static void
test_security_config_group_writable_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *conf = write_conf(dir, 0664);

    assert_conf_refused(conf, "is writable by group or others (mode 0664)");
    free(conf);
}

static void
test_security_config_other_owner_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *conf = write_conf(dir, 0644);

    assert_int_equal(chown(conf, FOREIGN_UID, FOREIGN_UID), 0);
    assert_conf_refused(conf, "is owned by uid 12345, not root or the effective user");
    free(conf);
}

/* The control: the same file, mode 0644 and ours, loads and makes a context. */
static void
test_security_config_private_accepted(void **state)
{
    const char *dir = scratch_dir(state);
    char *conf = write_conf(dir, 0644);
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(conf, &err);

    assert_non_null(host);
    assert_verify_plugin_works(host);
    free(conf);
}

/* A configuration in a directory others may write to is refused... */
static void
test_security_config_in_writable_dir_refused(void **state)
{
    char *open_dir = make_dir(scratch_dir(state), "open", 0777);
    char *conf = write_conf(open_dir, 0644);

    assert_conf_refused(conf, "is writable by group or others (mode 0777) without the sticky bit");
    free(conf);
    free(open_dir);
}

/* ...and so it is when reached through a symbolic link from a safe directory. */
static void
test_security_config_symlink_to_writable_dir_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *open_dir = make_dir(dir, "open", 0777);
    char *conf = write_conf(open_dir, 0644);
    char *link = tu_path_join(dir, "link.json");
    sslplug_error err;

    assert_int_equal(symlink(conf, link), 0);
    assert_null(sslplug_host_load(link, &err));
    assert_error(&err, SSLPLUG_E_UNSAFE_FILE, "", open_dir,
                 "is writable by group or others (mode 0777) without the sticky bit");
    assert_non_null(strstr(err.message, "leads there through a symbolic link"));
    assert_string_equal(err.source, link);
    free(link);
    free(conf);
    free(open_dir);
}

/* The control: a symbolic link to a safe configuration loads. */
static void
test_security_config_symlink_to_safe_file_accepted(void **state)
{
    const char *dir = scratch_dir(state);
    char *safe = make_dir(dir, "safe", 0755);
    char *conf = write_conf(safe, 0644);
    char *link = tu_path_join(dir, "link.json");
    sslplug_error err;
    sslplug_host *host;

    assert_int_equal(symlink(conf, link), 0);
    host = sslplug_host_load(link, &err);
    if (host == NULL) {
        print_error("%s\n", err.message);
    }
    assert_non_null(host);
    assert_verify_plugin_works(host);
    free(link);
    free(conf);
    free(safe);
}

/* ---- the certificate, private key and CA files a context names ---- */

/*
 * A server context naming dir/server.crt, dir/server.key and dir/ca.pem
 * (copies of the demo PKI with the modes given) and verifying clients;
 * extra: more top-level members (", \"insecure_allow_writable\": true").
 */
static sslplug_host *
files_host(const char *dir, unsigned cert_mode, unsigned key_mode, unsigned ca_mode,
           const char *extra)
{
    char *cert = copy_file(tu_pki("server.crt"), dir, "server.crt", cert_mode);
    char *key = copy_file(tu_pki("server-plain.key"), dir, "server.key", key_mode);
    char *ca = copy_file(tu_pki("ca.crt"), dir, "ca.pem", ca_mode);
    char *json = NULL;
    sslplug_error err;
    sslplug_host *host;

    assert_true(asprintf(&json,
                         "{\"version\": 1%s, \"context\": {\"role\": \"server\", \"certificate\":"
                         " \"%s\", \"private_key\": \"%s\", \"ca_file\": \"%s\","
                         " \"verify\": \"require\"}}",
                         extra, cert, key, ca) > 0);
    host = sslplug_host_load_string(json, dir, &err);
    assert_non_null(host);
    free(json);
    free(cert);
    free(key);
    free(ca);
    return host;
}

static void
files_refused(const char *dir, unsigned cert_mode, unsigned key_mode, unsigned ca_mode,
              const char *pointer, const char *rule)
{
    sslplug_host *host = files_host(dir, cert_mode, key_mode, ca_mode, "");
    sslplug_error err;

    assert_null(sslplug_ctx_new(host, &err));
    assert_error(&err, SSLPLUG_E_UNSAFE_FILE, pointer, dir, rule);
    sslplug_host_free(host);
}

static void
test_security_key_readable_by_others_refused(void **state)
{
    files_refused(scratch_dir(state), 0644, 0644, 0644, "/context/private_key",
                  "is readable by others (mode 0644)");
}

static void
test_security_key_group_writable_refused(void **state)
{
    files_refused(scratch_dir(state), 0644, 0660, 0644, "/context/private_key",
                  "is writable by group or others (mode 0660)");
}

static void
test_security_key_other_owner_refused(void **state)
{
    const char *dir = scratch_dir(state);
    sslplug_host *host = files_host(dir, 0644, 0600, 0644, "");
    char *key = tu_path_join(dir, "server.key");
    sslplug_error err;

    assert_int_equal(chown(key, FOREIGN_UID, FOREIGN_UID), 0);
    assert_null(sslplug_ctx_new(host, &err));
    assert_error(&err, SSLPLUG_E_UNSAFE_FILE, "/context/private_key", key,
                 "is owned by uid 12345, not root or the effective user");
    sslplug_host_free(host);
    free(key);
}

static void
test_security_certificate_world_writable_refused(void **state)
{
    files_refused(scratch_dir(state), 0666, 0600, 0644, "/context/certificate",
                  "is writable by group or others (mode 0666)");
}

static void
test_security_ca_file_world_writable_refused(void **state)
{
    files_refused(scratch_dir(state), 0644, 0600, 0666, "/context/ca_file",
                  "is writable by group or others (mode 0666)");
}

static void
test_security_context_files_in_writable_dir_refused(void **state)
{
    char *open_dir = make_dir(scratch_dir(state), "open", 0777);

    files_refused(open_dir, 0644, 0600, 0644, "/context/ca_file",
                  "is writable by group or others (mode 0777) without the sticky bit");
    free(open_dir);
}

static void
test_security_ca_path_writable_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *cas = make_dir(dir, "cas", 0755);
    char *ca = copy_file(tu_pki("ca.crt"), cas, "ca.pem", 0644);
    char *json = NULL;
    sslplug_error err;
    sslplug_host *host;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_path\":"
                         " \"%s\"}}",
                         cas) > 0);
    host = sslplug_host_load_string(json, dir, &err);
    assert_non_null(host);
    /* A file in it others may write, then the directory itself. */
    assert_int_equal(chmod(ca, 0666), 0);
    assert_null(sslplug_ctx_new(host, &err));
    assert_error(&err, SSLPLUG_E_UNSAFE_FILE, "/context/ca_path", cas,
                 "is writable by group or others (mode 0666)");
    sslplug_host_free(host);
    host = sslplug_host_load_string(json, dir, &err);
    assert_int_equal(chmod(ca, 0644), 0);
    assert_int_equal(chmod(cas, 0777), 0);
    assert_null(sslplug_ctx_new(host, &err));
    assert_error(&err, SSLPLUG_E_UNSAFE_FILE, "/context/ca_path", cas, "they could add a CA");
    sslplug_host_free(host);
    free(json);
    free(ca);
    free(cas);
}

/* The controls: private modes load; a key may be group-readable (Debian's ssl-cert). */
static void
test_security_context_files_private_accepted(void **state)
{
    const char *dir = scratch_dir(state);
    sslplug_host *host = files_host(dir, 0644, 0640, 0644, "");
    SSL_CTX *ctx = tu_ctx(host);

    SSL_CTX_free(ctx);
    sslplug_host_free(host);
}

/* Certificates are often links (Let's Encrypt's live/ into archive/): followed and checked. */
static void
test_security_certificate_symlink_accepted(void **state)
{
    const char *dir = scratch_dir(state);
    sslplug_host *host = files_host(dir, 0644, 0600, 0644, "");
    char *cert = tu_path_join(dir, "server.crt"), *moved = tu_path_join(dir, "archive.crt");
    SSL_CTX *ctx;

    assert_int_equal(rename(cert, moved), 0);
    assert_int_equal(symlink(moved, cert), 0);
    ctx = tu_ctx(host);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    free(cert);
    free(moved);
}

static void
test_security_insecure_accepts_writable_context_files(void **state)
{
    const char *dir = scratch_dir(state);
    sslplug_host *host = files_host(dir, 0666, 0666, 0666, ", \"insecure_allow_writable\": true");
    SSL_CTX *ctx = tu_ctx(host);

    SSL_CTX_free(ctx);
    sslplug_host_free(host);
}

/* ---- allowed_dirs and plugin_path as a fence ---- */

#define FENCED_CONF(key)                                                                           \
    "{\"version\": 1, \"" key "\": [\"%s\"], \"context\": {\"role\": \"client\", \"ca_file\": "    \
    "\"pki/ca.crt\"}, \"callbacks\": {\"verify\": {\"plugin\": \"%s\"}}}"

#define OUTSIDE_RULE                                                                               \
    "is outside the allowed directories (allowed_dirs, plugin_path and the built-in plugin "       \
    "directory)"

static void
test_security_allowed_dirs_outside_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *allowed = make_dir(dir, "allowed", 0755);
    char *other = make_dir(dir, "other", 0755);
    char *plugin = copy_verify_log(other, "vl.so", 0644);

    assert_ctx_refused(tu_host(FENCED_CONF("allowed_dirs"), allowed, plugin), SSLPLUG_E_UNSAFE_FILE,
                       VERIFY_PTR, plugin, OUTSIDE_RULE);
    free(plugin);
    free(other);
    free(allowed);
}

static void
test_security_allowed_dirs_inside_accepted(void **state)
{
    const char *dir = scratch_dir(state);
    char *allowed = make_dir(dir, "allowed", 0755);
    char *sub = make_dir(allowed, "sub", 0755);
    char *direct = copy_verify_log(allowed, "vl.so", 0644);
    char *nested = copy_verify_log(sub, "vl.so", 0644);

    assert_verify_plugin_works(tu_host(FENCED_CONF("allowed_dirs"), allowed, direct));
    assert_verify_plugin_works(tu_host(FENCED_CONF("allowed_dirs"), allowed, nested));
    free(nested);
    free(direct);
    free(sub);
    free(allowed);
}

static void
test_security_allowed_dirs_dotdot_escape_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *allowed = make_dir(dir, "allowed", 0755);
    char *other = make_dir(dir, "other", 0755);
    char *plugin = copy_verify_log(other, "vl.so", 0644);
    char *escape = tu_path_join(allowed, "../other/vl.so");

    assert_ctx_refused(tu_host(FENCED_CONF("allowed_dirs"), allowed, escape), SSLPLUG_E_UNSAFE_FILE,
                       VERIFY_PTR, escape, OUTSIDE_RULE);
    free(escape);
    free(plugin);
    free(other);
    free(allowed);
}

/* A directory inside the allowed one that is a symlink to elsewhere leads outside. */
static void
test_security_allowed_dirs_symlinked_dir_escape_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *allowed = make_dir(dir, "allowed", 0755);
    char *other = make_dir(dir, "other", 0755);
    char *plugin = copy_verify_log(other, "vl.so", 0644);
    char *link = tu_path_join(allowed, "link");
    char *via = tu_path_join(link, "vl.so");

    assert_int_equal(symlink(other, link), 0);
    assert_ctx_refused(tu_host(FENCED_CONF("allowed_dirs"), allowed, via), SSLPLUG_E_UNSAFE_FILE,
                       VERIFY_PTR, via, OUTSIDE_RULE);
    free(via);
    free(link);
    free(plugin);
    free(other);
    free(allowed);
}

/* "…/ab" allows "…/ab/x", not its sibling "…/abc/x". */
static void
test_security_allowed_dirs_name_prefix_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *allowed = make_dir(dir, "ab", 0755);
    char *sibling = make_dir(dir, "abc", 0755);
    char *plugin = copy_verify_log(sibling, "vl.so", 0644);

    assert_ctx_refused(tu_host(FENCED_CONF("allowed_dirs"), allowed, plugin), SSLPLUG_E_UNSAFE_FILE,
                       VERIFY_PTR, plugin, OUTSIDE_RULE);
    free(plugin);
    free(sibling);
    free(allowed);
}

/* Relative allowed_dirs are taken from the configuration's directory. */
static void
test_security_allowed_dirs_relative_to_config(void **state)
{
    const char *dir = scratch_dir(state);
    char *allowed = make_dir(dir, "allowed", 0755);
    char *other = make_dir(dir, "other", 0755);
    char *inside = copy_verify_log(allowed, "vl.so", 0644);
    char *outside = copy_verify_log(other, "vl.so", 0644);
    char *json = NULL;
    sslplug_error err;
    sslplug_host *host;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"allowed_dirs\": [\"allowed\"], \"context\": "
                         "{\"role\": \"client\", \"ca_file\": \"%s\"}, \"callbacks\": "
                         "{\"verify\": {\"plugin\": \"%s\"}}}",
                         tu_pki("ca.crt"), "allowed/vl.so") >= 0);
    host = sslplug_host_load_string(json, dir, &err);
    assert_non_null(host);
    assert_verify_plugin_works(host);
    free(json);
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"allowed_dirs\": [\"allowed\"], \"context\": "
                         "{\"role\": \"client\", \"ca_file\": \"%s\"}, \"callbacks\": "
                         "{\"verify\": {\"plugin\": \"%s\"}}}",
                         tu_pki("ca.crt"), "other/vl.so") >= 0);
    host = sslplug_host_load_string(json, dir, &err);
    assert_non_null(host);
    assert_ctx_refused(host, SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, outside, OUTSIDE_RULE);
    free(json);
    free(outside);
    free(inside);
    free(other);
    free(allowed);
}

static void
test_security_plugin_path_restricts_paths(void **state)
{
    const char *dir = scratch_dir(state);
    char *path_dir = make_dir(dir, "plugins", 0755);
    char *other = make_dir(dir, "other", 0755);
    char *inside = copy_verify_log(path_dir, "vl.so", 0644);
    char *outside = copy_verify_log(other, "vl.so", 0644);

    assert_ctx_refused(tu_host(FENCED_CONF("plugin_path"), path_dir, outside),
                       SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, outside, OUTSIDE_RULE);
    assert_verify_plugin_works(tu_host(FENCED_CONF("plugin_path"), path_dir, inside));
    free(outside);
    free(inside);
    free(other);
    free(path_dir);
}

/* Bundled plugins by bare name stay usable with either fence. */
static void
test_security_fence_keeps_builtin_names(void **state)
{
    const char *dir = scratch_dir(state);
    char *fence = make_dir(dir, "empty", 0755);

    assert_verify_plugin_works(tu_host(FENCED_CONF("plugin_path"), fence, "verify_log"));
    assert_verify_plugin_works(tu_host(FENCED_CONF("allowed_dirs"), fence, "verify_log"));
    free(fence);
}

/* A bare name found in plugin_path is inside the fence it draws. */
static void
test_security_plugin_path_bare_name_accepted(void **state)
{
    const char *dir = scratch_dir(state);
    char *path_dir = make_dir(dir, "plugins", 0755);
    char *plugin = copy_verify_log(path_dir, "sec_vl_copy.so", 0644);

    assert_verify_plugin_works(tu_host(FENCED_CONF("plugin_path"), path_dir, "sec_vl_copy"));
    free(plugin);
    free(path_dir);
}

/* ---- sha256 pins ---- */

static void
test_security_sha256_correct_pin_accepted(void **state)
{
    const char *dir = scratch_dir(state);
    char *plugin = copy_verify_log(dir, "vl.so", 0644);
    char hex[65], *pin = NULL, *out = NULL, *expect = NULL;

    file_sha256_hex(plugin, hex);
    /* The value the documentation tells users to paste is the same digest. */
    assert_int_equal(tu_run(&out, "%s inspect --sha256 %s", SSLPLUG_TEST_CLI, plugin), 0);
    assert_true(asprintf(&expect, "sha256: %s\n", hex) >= 0);
    assert_string_equal(out, expect);
    assert_true(asprintf(&pin, ", \"sha256\": \"%s\"", hex) >= 0);
    assert_verify_plugin_works(tu_host(VERIFY_CONF, plugin, pin));
    free(pin);
    free(expect);
    free(out);
    free(plugin);
}

/* The pin of a copy with one digit changed. */
static char *
wrong_pin(const char *plugin, char actual[65])
{
    char hex[65];
    char *pin = NULL;

    file_sha256_hex(plugin, actual);
    memcpy(hex, actual, sizeof(hex));
    hex[10] = hex[10] == '0' ? '1' : '0';
    assert_true(asprintf(&pin, ", \"sha256\": \"%s\"", hex) >= 0);
    return pin;
}

static void
test_security_sha256_wrong_pin_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *plugin = copy_verify_log(dir, "vl.so", 0644);
    char actual[65], *rule = NULL;
    char *pin = wrong_pin(plugin, actual);

    assert_true(asprintf(&rule, "has SHA-256 %s, which does not match the pinned value", actual) >=
                0);
    assert_ctx_refused(tu_host(VERIFY_CONF, plugin, pin), SSLPLUG_E_INTEGRITY,
                       "/callbacks/verify/sha256", plugin, rule);
    free(rule);
    free(pin);
    free(plugin);
}

/* In an array, the pointer names the entry whose pin is wrong. */
static void
test_security_sha256_wrong_pin_in_array_names_entry(void **state)
{
    const char *dir = scratch_dir(state);
    char *plugin = copy_verify_log(dir, "vl.so", 0644);
    char actual[65];
    char *pin = wrong_pin(plugin, actual);

    assert_ctx_refused(tu_host(CLIENT_CONF("{\"verify\": [{\"plugin\": \"verify_log\"}, "
                                           "{\"plugin\": \"%s\"%s}]}"),
                               plugin, pin),
                       SSLPLUG_E_INTEGRITY, "/callbacks/verify/1/sha256", plugin, actual);
    free(pin);
    free(plugin);
}

/* insecure_allow_writable does not switch pins off. */
static void
test_security_sha256_wrong_pin_refused_when_insecure(void **state)
{
    const char *dir = scratch_dir(state);
    char *plugin = copy_verify_log(dir, "vl.so", 0666);
    char actual[65];
    char *pin = wrong_pin(plugin, actual);

    assert_ctx_refused(tu_host("{\"version\": 1, \"insecure_allow_writable\": true, \"context\": "
                               "{\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"}, "
                               "\"callbacks\": {\"verify\": {\"plugin\": \"%s\"%s}}}",
                               plugin, pin),
                       SSLPLUG_E_INTEGRITY, "/callbacks/verify/sha256", plugin, actual);
    free(pin);
    free(plugin);
}

static void
test_security_sha256_malformed_pin_config_error(void **state)
{
    static const char *const pins[] = {
        /* 63 digits */
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\"",
        /* 64 characters, one not hex */
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\"",
        /* 65 digits */
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\"",
        "\"\"",
        "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789\"",
        "42",
        "null",
    };
    sslplug_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
        sslplug_host *host = tu_host_try(&err,
                                         CLIENT_CONF("{\"verify\": {\"plugin\": \"verify_log\", "
                                                     "\"sha256\": %s}}"),
                                         pins[i]);

        if (host != NULL) {
            print_error("pin %s was accepted\n", pins[i]);
        }
        assert_null(host);
        assert_error(&err, SSLPLUG_E_CONFIG, "/callbacks/verify/sha256", NULL,
                     "64 hexadecimal digits");
        if (pins[i][0] == '"' && pins[i][1] != '"') {
            /* The message quotes what it found. */
            assert_true(contains(err.message, pins[i]));
        }
    }
}

/* ---- the identity of the loaded code ---- */

/* The descriptor this process has open on path, or -1. */
static int
fd_on(const char *path)
{
    char link[64], target[PATH_MAX];

    for (int fd = 0; fd < 1024; fd++) {
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            if (strcmp(target, path) == 0) {
                return fd;
            }
        }
    }
    return -1;
}

/*
 * An application that closes descriptors it does not own (daemonising code
 * does) frees the number the host loaded a.so by, /proc/self/fd/N.  When the
 * next plugin file opens as N, the dynamic linker knows an object by that
 * name already and would return a.so's code for b.so's entry, although b.so
 * is pinned.  b.so must run (its log proves it) or be refused; a.so never.
 */
static void
test_security_reused_descriptor_never_runs_another_plugin(void **state)
{
    const char *dir = scratch_dir(state);
    char *a = copy_verify_log(dir, "a.so", 0644);
    char *b = copy_file(tu_test_plugin("cb_verify_record"), dir, "b.so", 0644);
    char hex[65], pin[96];
    int fillers[64], nfill = 0;
    int spare = open("/dev/null", O_RDONLY | O_CLOEXEC), fd;
    tu_log log = {.with_host = 1, .with_level = 1};
    sslplug_host *host;
    sslplug_error err;
    sslplug_pair pair;
    SSL_CTX *client, *server;

    assert_true(spare >= 0);
    assert_verify_plugin_works(tu_host(VERIFY_CONF, a, ""));
    if ((fd = fd_on(a)) >= 0) {
        assert_int_equal(close(fd), 0);
        /*
         * Every free number below N taken, then the spare one given back:
         * b.so's directory opens there, and b.so itself as N.
         */
        for (;;) {
            int x = open("/dev/null", O_RDONLY | O_CLOEXEC);

            assert_true(x >= 0);
            if (x >= fd) {
                close(x);
                break;
            }
            assert_true(nfill < 64);
            fillers[nfill++] = x;
        }
    }
    close(spare);
    file_sha256_hex(b, hex);
    snprintf(pin, sizeof(pin), ", \"sha256\": \"%s\"", hex);
    host = tu_host(VERIFY_CONF, b, pin);
    sslplug_host_set_log(host, tu_log_fn, &log);
    client = sslplug_ctx_new(host, &err);
    sslplug_host_free(host);
    if (client == NULL) {
        /* Failing closed is the other acceptable outcome. */
        assert_error(&err, SSLPLUG_E_INTEGRITY, VERIFY_PTR, b, NULL);
    } else {
        server = tu_plain_server(0);
        assert_true(tu_handshake(server, client, &pair));
        sslplug_pair_cleanup(&pair);
        SSL_CTX_free(server);
        SSL_CTX_free(client);
        if (tu_log_has(&log, "verify_log:")) {
            print_error("a.so's code ran for b.so's entry:\n%s\n", log.text);
        }
        assert_false(tu_log_has(&log, "verify_log:"));
        assert_true(tu_log_has(&log, "record depth=0 ok=1"));
    }
    for (int i = 0; i < nfill; i++) {
        close(fillers[i]);
    }
    tu_log_free(&log);
    free(b);
    free(a);
}

/* ---- one OpenSSL per process ---- */

#define STATIC_OPENSSL_RULE "brings its own OpenSSL"

static void
test_security_static_openssl_plugin_refused(void **state)
{
    const char *plugin = tu_test_plugin("sec_static_openssl");

    (void)state;
    assert_ctx_refused(tu_host(CLIENT_CONF("{\"info\": {\"plugin\": \"%s\"}}"), plugin),
                       SSLPLUG_E_INTEGRITY, "/callbacks/info/plugin", plugin, STATIC_OPENSSL_RULE);
}

/*
 * A static copy with every OpenSSL symbol hidden (-Wl,--exclude-libs,ALL)
 * exports nothing to look up; the source file names it carries give it away.
 */
static void
test_security_hidden_static_openssl_plugin_refused(void **state)
{
    const char *plugin = tu_test_plugin("sec_hidden_openssl");

    (void)state;
    if (access(plugin, F_OK) != 0) {
        /* Built only where libcrypto.a links into a shared object. */
        skip();
    }
    assert_ctx_refused(tu_host(CLIENT_CONF("{\"info\": {\"plugin\": \"%s\"}}"), plugin),
                       SSLPLUG_E_INTEGRITY, "/callbacks/info/plugin", plugin, STATIC_OPENSSL_RULE);
}

/* An info entry naming plugin, as a client configuration. */
#define INFO_CONF CLIENT_CONF("{\"info\": {\"plugin\": \"%s\"}}")

/* plugin loads, and its init logged line. */
static void
assert_info_plugin_loads(const char *plugin, const char *line)
{
    tu_log log = handshake_with(tu_host(INFO_CONF, plugin));

    tu_log_assert_has(&log, line);
    tu_log_free(&log);
}

/*
 * A static copy hidden with --exclude-libs that calls only EVP_Digest and
 * SHA256 exports nothing and carries no version text (it never calls
 * OpenSSL_version*); OpenSSL's own source file names give it away.  The
 * same source linked with the shared libcrypto loads.
 */
static void
test_security_hidden_static_digest_only_refused(void **state)
{
    const char *plugin = tu_test_plugin("sec_hidden_digest");

    (void)state;
    if (access(plugin, F_OK) != 0) {
        skip();
    }
    assert_ctx_refused(tu_host(INFO_CONF, plugin), SSLPLUG_E_INTEGRITY, "/callbacks/info/plugin",
                       plugin,
                       "contains a copy of OpenSSL's libcrypto (code from its source file "
                       "crypto/err/err.c)");
    assert_info_plugin_loads(tu_test_plugin("sec_digest_openssl"),
                             "sec_digest_openssl: sec_digest_openssl initialised");
}

/* A hidden static libssl beside the process's shared libcrypto is a second libssl. */
static void
test_security_hidden_static_libssl_refused(void **state)
{
    const char *plugin = tu_test_plugin("sec_hidden_libssl");

    (void)state;
    if (access(plugin, F_OK) != 0) {
        skip();
    }
    assert_ctx_refused(tu_host(INFO_CONF, plugin), SSLPLUG_E_INTEGRITY, "/callbacks/info/plugin",
                       plugin,
                       "contains a copy of OpenSSL's libssl (code from its source file "
                       "ssl/ssl_lib.c)");
    assert_info_plugin_loads(tu_test_plugin("sec_ssl_openssl"),
                             "sec_ssl_openssl: sec_ssl_openssl initialised");
}

/* Another shared libcrypto, by its soname in DT_NEEDED, before anything is loaded. */
static void
test_security_other_libcrypto_needed_refused(void **state)
{
    const char *plugin = tu_test_plugin("sec_other_libcrypto");

    (void)state;
    assert_ctx_refused(tu_host(INFO_CONF, plugin), SSLPLUG_E_INTEGRITY, "/callbacks/info/plugin",
                       plugin, "it needs libcrypto.so.1.1, but this process uses libcrypto.so.3");
}

/* OPENSSL_VERSION_TEXT in a plugin on the shared libcrypto is a string, not a copy. */
static void
test_security_openssl_version_text_alone_accepted(void **state)
{
    (void)state;
    assert_info_plugin_loads(tu_test_plugin("sec_version_text"),
                             "sec_version_text: sec_version_text built with " OPENSSL_VERSION_TEXT);
}

/* Refused as an optional entry too: skipped, never initialised, everything else works. */
static void
test_security_static_openssl_optional_skipped(void **state)
{
    const char *plugin = tu_test_plugin("sec_static_openssl");
    tu_trace trace = {0};
    sslplug_host *host =
        tu_host(CLIENT_CONF("{\"info\": [{\"plugin\": \"%s\", \"optional\": true}, "
                            "{\"plugin\": \"info_log\", \"config\": {\"level\": \"debug\"}}]}"),
                plugin);
    tu_log log;
    char *warning;

    (void)state;
    sslplug_host_set_trace(host, tu_trace_fn, &trace);
    log = handshake_with(host);
    warning = skipped_warning(&log, "/callbacks/info/0");
    assert_non_null(warning);
    assert_true(contains(warning, plugin));
    assert_true(contains(warning, STATIC_OPENSSL_RULE));
    /* Its init would have reported itself through an error. */
    assert_false(tu_log_has(&log, "was initialised"));
    assert_true(trace.count[SSLPLUG_CB_INFO] > 0);
    assert_int_equal(tu_trace_has(&trace, " /callbacks/info/0:"), 0);
    assert_true(tu_trace_has(&trace, "info info_log /callbacks/info/1:") > 0);
    free(warning);
    tu_trace_free(&trace);
    tu_log_free(&log);
}

/* ---- optional info entries ---- */

/*
 * The first info entry is optional and cannot be used; the second, info_log,
 * must be called in the handshake.  The one warning names the first entry
 * and contains what (the file) and why (the rule or cause).
 */
static void
assert_optional_skipped(const char *first, const char *what, const char *why)
{
    tu_trace trace = {0};
    sslplug_host *host = tu_host(CLIENT_CONF("{\"info\": [%s, {\"plugin\": \"info_log\", "
                                             "\"config\": {\"level\": \"debug\"}}]}"),
                                 first);
    tu_log log;
    char *warning;

    sslplug_host_set_trace(host, tu_trace_fn, &trace);
    log = handshake_with(host);
    if (log.count[SSLPLUG_LOG_WARNING] != 1) {
        print_error("log:\n%s\n", log.text != NULL ? log.text : "");
    }
    assert_int_equal(log.count[SSLPLUG_LOG_WARNING], 1);
    warning = skipped_warning(&log, "/callbacks/info/0");
    assert_non_null(warning);
    assert_true(contains(warning, what));
    assert_true(contains(warning, why));
    free(warning);
    /* info_log logs every call at debug level. */
    assert_true(tu_log_has(&log, "3 info_log: "));
    assert_true(tu_trace_has(&trace, "info info_log /callbacks/info/1:") > 0);
    assert_int_equal(tu_trace_has(&trace, " /callbacks/info/0:"), 0);
    tu_trace_free(&trace);
    tu_log_free(&log);
}

static void
test_security_optional_missing_info_skipped(void **state)
{
    const char *dir = scratch_dir(state);
    char *absent = tu_path_join(dir, "absent.so");
    char *entry = NULL;

    assert_optional_skipped("{\"plugin\": \"sec_no_such_plugin\", \"optional\": true}",
                            "plugin \"sec_no_such_plugin\"", "not found");
    assert_true(asprintf(&entry, "{\"plugin\": \"%s\", \"optional\": true}", absent) >= 0);
    assert_optional_skipped(entry, absent, "No such file or directory");
    free(entry);
    /*
     * A path in a directory that does not exist.  The warning names only the
     * directory ("cannot resolve /nonexistent"), not the plugin file.
     */
    assert_optional_skipped("{\"plugin\": \"/nonexistent/sec_absent.so\", \"optional\": true}",
                            "/nonexistent", "No such file or directory");
    free(absent);
}

static void
test_security_optional_init_failure_info_skipped(void **state)
{
    (void)state;
    /* info_log's init refuses an unknown level. */
    assert_optional_skipped("{\"plugin\": \"info_log\", \"config\": {\"level\": \"sec_loud\"}, "
                            "\"optional\": true}",
                            "plugin info_log", "found \"sec_loud\"");
}

static void
test_security_optional_unsafe_info_skipped(void **state)
{
    const char *dir = scratch_dir(state);
    char *plugin = copy_file(tu_test_plugin("sec_static_openssl"), dir, "w.so", 0666);
    char *entry = NULL;

    assert_true(asprintf(&entry, "{\"plugin\": \"%s\", \"optional\": true}", plugin) >= 0);
    assert_optional_skipped(entry, plugin, "is writable by group or others (mode 0666)");
    free(entry);
    free(plugin);
}

/* `sslplug check` shows the skip too, and the configuration still passes. */
static void
test_security_optional_warning_in_check_output(void **state)
{
    const char *dir = scratch_dir(state);
    char *json = NULL, *conf, *out = NULL, *expect = NULL;
    int rc;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": "
                         "\"%s\"}, \"callbacks\": {\"info\": {\"plugin\": "
                         "\"sec_no_such_plugin\", \"optional\": true}}}\n",
                         tu_pki("ca.crt")) >= 0);
    conf = tu_write(dir, "conf.json", json, 0644);
    rc = tu_run(&out, "%s check %s", SSLPLUG_TEST_CLI, conf);
    if (rc != 0) {
        print_error("%s\n", out);
    }
    assert_int_equal(rc, 0);
    assert_true(asprintf(&expect,
                         "%s: warning: /callbacks/info: optional entry skipped: plugin "
                         "\"sec_no_such_plugin\" not found",
                         conf) >= 0);
    assert_true(contains(out, expect));
    free(expect);
    free(out);
    free(conf);
    free(json);
}

static void
test_security_optional_only_on_info(void **state)
{
    static const struct {
        const char *callbacks;
        const char *pointer;
    } cases[] = {
        {"{\"verify\": {\"plugin\": \"verify_log\", \"optional\": true}}",
         "/callbacks/verify/optional"},
        {"{\"verify\": [{\"plugin\": \"verify_log\"}, {\"plugin\": \"verify_log\", "
         "\"optional\": true}]}",
         "/callbacks/verify/1/optional"},
        {"{\"password\": {\"plugin\": \"password_env\", \"optional\": true}}",
         "/callbacks/password/optional"},
        {"{\"client_cert\": {\"plugin\": \"client_cert_file\", \"optional\": true}}",
         "/callbacks/client_cert/optional"},
    };
    sslplug_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sslplug_host *host = tu_host_try(&err, CLIENT_CONF("%s"), cases[i].callbacks);

        assert_null(host);
        assert_error(&err, SSLPLUG_E_CONFIG, cases[i].pointer, NULL,
                     "only info entries may be optional");
    }
}

static void
test_security_optional_must_be_boolean(void **state)
{
    sslplug_error err;

    (void)state;
    assert_null(tu_host_try(&err, CLIENT_CONF("{\"info\": {\"plugin\": \"info_log\", "
                                              "\"optional\": \"yes\"}}")));
    assert_error(&err, SSLPLUG_E_CONFIG, "/callbacks/info/optional", NULL, NULL);
}

/* "optional": false on a verify entry is what leaving it out means. */
static void
test_security_optional_false_on_verify_accepted(void **state)
{
    (void)state;
    assert_verify_plugin_works(tu_host(VERIFY_CONF, "verify_log", ", \"optional\": false"));
}

static void
test_security_nonoptional_missing_info_fails_closed(void **state)
{
    static const char *const extras[] = {"", ", \"optional\": false"};
    sslplug_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
        assert_null(tu_host_try(&err,
                                CLIENT_CONF("{\"info\": [{\"plugin\": \"info_log\"}, "
                                            "{\"plugin\": \"sec_no_such_plugin\"%s}]}"),
                                extras[i]));
        assert_error(&err, SSLPLUG_E_PLUGIN_NOT_FOUND, "/callbacks/info/1/plugin",
                     "sec_no_such_plugin", "not found");
    }
}

static void
test_security_nonoptional_failing_info_fails_closed(void **state)
{
    (void)state;
    assert_ctx_refused(tu_host(CLIENT_CONF("{\"info\": [{\"plugin\": \"info_log\"}, "
                                           "{\"plugin\": \"info_log\", \"config\": "
                                           "{\"level\": \"sec_loud\"}}]}")),
                       SSLPLUG_E_PLUGIN_INIT, "/callbacks/info/1/config/level", NULL, "sec_loud");
}

/* ---- SSLPLUG_PLUGIN_PATH ---- */

static void
test_security_env_plugin_path_relative_ignored(void **state)
{
    const char *dir = scratch_dir(state);
    char *rel = make_dir(dir, "rel", 0755);
    char *plugin = copy_verify_log(rel, "sec_env_probe.so", 0644);
    char cwd[PATH_MAX];
    sslplug_error err;
    sslplug_host *host;

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);

    /* "rel" names dir/rel from here, but a relative entry would follow the cwd: ignored. */
    assert_int_equal(setenv("SSLPLUG_PLUGIN_PATH", "rel", 1), 0);
    host = tu_host_try(&err, VERIFY_CONF, "sec_env_probe", "");
    assert_null(host);
    assert_error(&err, SSLPLUG_E_PLUGIN_NOT_FOUND, VERIFY_PTR, "sec_env_probe", "not found");

    assert_int_equal(setenv("SSLPLUG_PLUGIN_PATH", "rel:./rel", 1), 0);
    assert_null(tu_host_try(&err, VERIFY_CONF, "sec_env_probe", ""));
    assert_int_equal(err.code, SSLPLUG_E_PLUGIN_NOT_FOUND);

    /* The control: the same directory named absolutely is searched. */
    assert_int_equal(setenv("SSLPLUG_PLUGIN_PATH", rel, 1), 0);
    host = tu_host(VERIFY_CONF, "sec_env_probe", "");
    assert_int_equal(unsetenv("SSLPLUG_PLUGIN_PATH"), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_verify_plugin_works(host);
    free(plugin);
    free(rel);
}

/* The environment cannot widen a configuration's fence: a plugin found through it is outside. */
static void
test_security_env_plugin_path_outside_fence_refused(void **state)
{
    const char *dir = scratch_dir(state);
    char *fence = make_dir(dir, "fence", 0755);
    char *env_dir = make_dir(dir, "env", 0755);
    char *plugin = copy_verify_log(env_dir, "sec_env_probe.so", 0644);
    sslplug_host *host;

    assert_int_equal(setenv("SSLPLUG_PLUGIN_PATH", env_dir, 1), 0);
    host = tu_host(FENCED_CONF("plugin_path"), fence, "sec_env_probe");
    assert_int_equal(unsetenv("SSLPLUG_PLUGIN_PATH"), 0);
    assert_ctx_refused(host, SSLPLUG_E_UNSAFE_FILE, VERIFY_PTR, plugin, OUTSIDE_RULE);
    free(plugin);
    free(env_dir);
    free(fence);
}

#define SEC_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        SEC_TEST(test_security_plugin_group_writable_refused),
        SEC_TEST(test_security_plugin_world_writable_refused),
        SEC_TEST(test_security_plugin_mode_0644_accepted),
        SEC_TEST(test_security_plugin_mode_0755_accepted),
        SEC_TEST(test_security_plugin_other_owner_refused),
        SEC_TEST(test_security_plugin_other_group_readonly_accepted),
        SEC_TEST(test_security_dir_world_writable_refused),
        SEC_TEST(test_security_dir_group_writable_refused),
        SEC_TEST(test_security_dir_world_writable_two_levels_up_refused),
        SEC_TEST(test_security_dir_other_owner_refused),
        SEC_TEST(test_security_dir_sticky_root_entry_accepted),
        SEC_TEST(test_security_dir_sticky_foreign_entry_refused),
        SEC_TEST(test_security_plugin_symlink_refused),
        SEC_TEST(test_security_insecure_still_refuses_symlink),
        SEC_TEST(test_security_insecure_accepts_writable_files_and_warns),
        SEC_TEST(test_security_insecure_warning_in_check_output),
        SEC_TEST(test_security_insecure_false_checks_as_usual),
        SEC_TEST(test_security_config_world_writable_refused),
        SEC_TEST(test_security_config_group_writable_refused),
        SEC_TEST(test_security_config_other_owner_refused),
        SEC_TEST(test_security_config_in_writable_dir_refused),
        SEC_TEST(test_security_config_symlink_to_writable_dir_refused),
        SEC_TEST(test_security_config_symlink_to_safe_file_accepted),
        SEC_TEST(test_security_config_private_accepted),
        SEC_TEST(test_security_key_readable_by_others_refused),
        SEC_TEST(test_security_key_group_writable_refused),
        SEC_TEST(test_security_key_other_owner_refused),
        SEC_TEST(test_security_certificate_world_writable_refused),
        SEC_TEST(test_security_ca_file_world_writable_refused),
        SEC_TEST(test_security_context_files_in_writable_dir_refused),
        SEC_TEST(test_security_ca_path_writable_refused),
        SEC_TEST(test_security_context_files_private_accepted),
        SEC_TEST(test_security_certificate_symlink_accepted),
        SEC_TEST(test_security_insecure_accepts_writable_context_files),
        SEC_TEST(test_security_allowed_dirs_outside_refused),
        SEC_TEST(test_security_allowed_dirs_inside_accepted),
        SEC_TEST(test_security_allowed_dirs_dotdot_escape_refused),
        SEC_TEST(test_security_allowed_dirs_symlinked_dir_escape_refused),
        SEC_TEST(test_security_allowed_dirs_name_prefix_refused),
        SEC_TEST(test_security_allowed_dirs_relative_to_config),
        SEC_TEST(test_security_plugin_path_restricts_paths),
        SEC_TEST(test_security_fence_keeps_builtin_names),
        SEC_TEST(test_security_plugin_path_bare_name_accepted),
        SEC_TEST(test_security_sha256_correct_pin_accepted),
        SEC_TEST(test_security_sha256_wrong_pin_refused),
        SEC_TEST(test_security_sha256_wrong_pin_in_array_names_entry),
        SEC_TEST(test_security_sha256_wrong_pin_refused_when_insecure),
        SEC_TEST(test_security_sha256_malformed_pin_config_error),
        SEC_TEST(test_security_reused_descriptor_never_runs_another_plugin),
        SEC_TEST(test_security_hidden_static_openssl_plugin_refused),
        SEC_TEST(test_security_static_openssl_plugin_refused),
        SEC_TEST(test_security_hidden_static_digest_only_refused),
        SEC_TEST(test_security_hidden_static_libssl_refused),
        SEC_TEST(test_security_other_libcrypto_needed_refused),
        SEC_TEST(test_security_openssl_version_text_alone_accepted),
        SEC_TEST(test_security_static_openssl_optional_skipped),
        SEC_TEST(test_security_optional_missing_info_skipped),
        SEC_TEST(test_security_optional_init_failure_info_skipped),
        SEC_TEST(test_security_optional_unsafe_info_skipped),
        SEC_TEST(test_security_optional_warning_in_check_output),
        SEC_TEST(test_security_optional_only_on_info),
        SEC_TEST(test_security_optional_must_be_boolean),
        SEC_TEST(test_security_optional_false_on_verify_accepted),
        SEC_TEST(test_security_nonoptional_missing_info_fails_closed),
        SEC_TEST(test_security_nonoptional_failing_info_fails_closed),
        SEC_TEST(test_security_env_plugin_path_relative_ignored),
        SEC_TEST(test_security_env_plugin_path_outside_fence_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
