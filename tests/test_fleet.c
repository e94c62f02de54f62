/*
 * Fleets, with a real redis-server started here (on a unix socket in a
 * scratch directory, or on a free 127.0.0.1 port) and real `sslplug serve`
 * processes: a session made on server 1 resumes on server 2 through
 * session_redis (TLS 1.2 session ids, TLS 1.3 stateful tickets) or through
 * ticket keys shared in Redis (TLS 1.2 and 1.3 tickets), while a server 3
 * of another verify policy makes a full handshake and verifies; Redis
 * stopped mid-run costs resumptions, never a handshake, and resumption
 * comes back with Redis; the values in Redis hold no session secret and a
 * tampered one is refused.
 *
 * Every process is started with fork/exec, its output read through one
 * pipe with poll() against a deadline, and killed and reaped in the
 * teardown whatever the test's outcome (support/proc.h).
 */
#define _GNU_SOURCE /* pipe2, asprintf, memmem */
#include "proc.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <openssl/rand.h>

#define PASSWORD "fleet-test-password"

typedef struct fixture {
    tu_procs procs;
    char *dir;
    char sock[512]; /* redis' unix socket */
    char tcp[64];   /* "127.0.0.1:PORT" when started on TCP */
    tu_proc *redis;
} fixture;

/* dir/name holding len bytes, mode 0600. */
static void
write_bytes(const char *dir, const char *name, const unsigned char *bytes, size_t len)
{
    char *path = tu_write(dir, name, "", 0600);
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    free(path);
}

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    unsigned char key[32];

    assert_non_null(f);
    tu_procs_init(&f->procs);
    f->dir = tu_tmpdir();
    snprintf(f->sock, sizeof(f->sock), "%s/redis.sock", f->dir);
    assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
    write_bytes(f->dir, "sessions.key", key, sizeof(key));
    free(tu_write(f->dir, "redis.auth", PASSWORD "\n", 0600));
    *state = f;
    return 0;
}

/* Runs after every test, also one whose assertion failed: nothing is left behind. */
static int
teardown(void **state)
{
    fixture *f = *state;

    tu_procs_end(&f->procs);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

/*
 * redis-server with a password, nothing saved, on the fixture's unix socket
 * (tcp: also on a free port of 127.0.0.1).  ACL user "fleet" has the same
 * password.
 */
static void
start_redis(fixture *f, int tcp)
{
    char port[16], *conf, *text = NULL;
    const char *argv[] = {"redis-server", NULL, NULL};

    snprintf(port, sizeof(port), "%d", tcp ? tu_free_port() : 0);
    if (tcp) {
        snprintf(f->tcp, sizeof(f->tcp), "127.0.0.1:%s", port);
    }
    assert_true(asprintf(&text,
                         "port %s\nbind 127.0.0.1\nunixsocket %s\nunixsocketperm 700\nsave \"\"\n"
                         "appendonly no\ndir %s\nrequirepass %s\n"
                         "user fleet on >%s ~* &* +@all\n",
                         port, f->sock, f->dir, PASSWORD, PASSWORD) > 0);
    conf = tu_write(f->dir, "redis.conf", text, 0600);
    free(text);
    argv[1] = conf;
    f->redis = tu_proc_start(&f->procs, argv, NULL);
    if (!tu_proc_wait_for_from(f->redis, 0, "eady to accept connections")) {
        print_error("redis-server did not start:\n%s\n", f->redis->text);
        fail();
    }
    free(conf);
}

static void
stop_redis(fixture *f)
{
    tu_proc_stop(f->redis);
    f->redis = NULL;
}

/* A hiredis connection to the fixture's redis, authenticated. */
static redisContext *
redis_open(const fixture *f)
{
    redisContext *c = redisConnectUnix(f->sock);
    redisReply *r;

    assert_non_null(c);
    assert_int_equal(c->err, 0);
    r = redisCommand(c, "AUTH %s", PASSWORD);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    return c;
}

static char *config(fixture *f, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static char *
config(fixture *f, const char *name, const char *fmt, ...)
{
    char *json = NULL, *path;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&json, fmt, ap) >= 0);
    va_end(ap);
    path = tu_write(f->dir, name, json, 0644);
    free(json);
    return path;
}

/*
 * A server that requires a client certificate, verified by verify_log at
 * level, with callbacks (JSON members) added.
 */
static char *
server_config(fixture *f, const char *name, const char *level, const char *callbacks)
{
    return config(f, name,
                  "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"%s\","
                  " \"private_key\": \"%s\", \"ca_file\": \"%s\", \"verify\": \"require\"},"
                  " \"callbacks\": {\"verify\": {\"plugin\": \"verify_log\", \"config\":"
                  " {\"level\": \"%s\"}}, %s}}",
                  tu_pki("server.crt"), tu_pki("server-plain.key"), tu_pki("ca.crt"), level,
                  callbacks);
}

static char *
session_redis_entry(const fixture *f, const char *redis)
{
    char *entry = NULL;

    assert_true(asprintf(&entry,
                         "\"session_store\": {\"plugin\": \"session_redis\", \"internal_cache\":"
                         " false, \"config\": {\"redis\": \"%s\", \"key_file\": \"sessions.key\","
                         " \"auth_file\": \"redis.auth\", \"timeout_ms\": 200}}",
                         redis != NULL ? redis : f->sock) > 0);
    return entry;
}

static tu_proc *
start_serve(fixture *f, const char *conf)
{
    const char *argv[] = {SSLPLUG_TEST_CLI, "serve", conf, "--port", "0",
                          "--idle-timeout", "10",    NULL};

    return tu_proc_start(&f->procs, argv, NULL);
}

/*
 * openssl s_client with the client certificate, one line sent: resuming
 * sess_in (NULL: none), saving the session to sess_out (NULL: not).
 * Returns its output (the caller frees it); asserts it succeeded.
 */
static char *
s_client(fixture *f, const char *target, const char *protocol, int no_ticket, const char *sess_in,
         const char *sess_out)
{
    const char *argv[24] = {"openssl",
                            "s_client",
                            "-connect",
                            target,
                            "-servername",
                            "localhost",
                            "-CAfile",
                            tu_pki("ca.crt"),
                            "-verify_return_error",
                            "-ign_eof",
                            "-cert",
                            tu_pki("client.crt"),
                            "-key",
                            tu_pki("client.key"),
                            protocol};
    size_t n = 15;
    tu_proc *p;
    char *out;

    if (no_ticket) {
        argv[n++] = "-no_ticket";
    }
    if (sess_in != NULL) {
        argv[n++] = "-sess_in";
        argv[n++] = sess_in;
    }
    if (sess_out != NULL) {
        argv[n++] = "-sess_out";
        argv[n++] = sess_out;
    }
    argv[n] = NULL;
    p = tu_proc_start_piped(&f->procs, argv, NULL);
    tu_proc_send(p, "ping\n");
    if (tu_proc_wait_exit(p) != 0) {
        print_error("s_client failed:\n%s\n", p->text);
        fail();
    }
    out = strdup(p->text);
    assert_non_null(out);
    return out;
}

/* What the server reported for its next connection, from offset on: the block's text. */
static void
assert_connection(tu_proc *server, size_t offset, int resumed, int verified)
{
    assert_true(tu_proc_wait_for_from(server, offset, "closed\n"));
    tu_proc_assert_output_from(server, offset, resumed ? "resumed: yes" : "resumed: no");
    if (verified != (strstr(server->text + offset, "[server] verify") != NULL)) {
        print_error("expected %s verify lines in:\n%s\n", verified ? "" : "no",
                    server->text + offset);
        fail();
    }
}

/*
 * Sessions by id (TLS 1.2, client without tickets) and TLS 1.3 stateful
 * tickets, made on server 1, resume on server 2 (the same configuration)
 * through session_redis; server 3, whose verify policy differs, makes a
 * full handshake and runs its verify plugin.
 */
static void
test_fleet_session_store_across_servers(void **state)
{
    static const char *const protocols[] = {"-tls1_2", "-tls1_3"};
    fixture *f = *state;
    char *entry, *conf, *other, *t1, *t2, *t3, *sess, *out;
    tu_proc *s1, *s2, *s3;

    start_redis(f, 0);
    entry = session_redis_entry(f, NULL);
    conf = server_config(f, "server.json", "info", entry);
    other = server_config(f, "other.json", "debug", entry);
    s1 = start_serve(f, conf);
    s2 = start_serve(f, conf);
    s3 = start_serve(f, other);
    t1 = tu_proc_address_after(s1, "listening on 127.0.0.1:");
    t2 = tu_proc_address_after(s2, "listening on 127.0.0.1:");
    t3 = tu_proc_address_after(s3, "listening on 127.0.0.1:");
    sess = tu_path_join(f->dir, "session.pem");
    for (size_t i = 0; i < 2; i++) {
        size_t o1 = s1->len, o2 = s2->len, o3 = s3->len;

        out = s_client(f, t1, protocols[i], i == 0, NULL, sess);
        assert_non_null(strstr(out, "New, TLSv1."));
        free(out);
        assert_connection(s1, o1, 0, 1);
        tu_proc_assert_output_from(s1, o1, ": stored");

        out = s_client(f, t2, protocols[i], i == 0, sess, NULL);
        if (strstr(out, "Reused, TLSv1.") == NULL) {
            print_error("%s\nserver 2:\n%s\n", out, s2->text + o2);
        }
        assert_non_null(strstr(out, "Reused, TLSv1."));
        free(out);
        assert_connection(s2, o2, 1, 0);
        tu_proc_assert_output_from(s2, o2, ": found");

        out = s_client(f, t3, protocols[i], i == 0, sess, NULL);
        assert_non_null(strstr(out, "New, TLSv1."));
        free(out);
        assert_connection(s3, o3, 0, 1);
        tu_proc_assert_output_from(s3, o3, ": not found");
    }
    tu_proc_stop(s1);
    tu_proc_stop(s2);
    tu_proc_stop(s3);
    stop_redis(f);
    free(sess);
    free(t1);
    free(t2);
    free(t3);
    free(conf);
    free(other);
    free(entry);
}

/*
 * `sslplug connect --reconnect`: with the internal cache off, the server
 * resumes the session through Redis (TCP, ACL user and password).
 */
static void
test_fleet_connect_reconnect_through_redis(void **state)
{
    fixture *f = *state;
    char *entry, *conf, *client, *target, *out = NULL;
    tu_proc *s1;
    size_t o;

    start_redis(f, 1);
    free(tu_write(f->dir, "redis.auth", "fleet " PASSWORD "\n", 0600));
    entry = session_redis_entry(f, f->tcp);
    conf = server_config(f, "server.json", "info", entry);
    client = config(f, "client.json",
                    "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
                    " \"callbacks\": {\"client_cert\": {\"plugin\": \"client_cert_file\","
                    " \"config\": {\"certificate\": \"%s\", \"private_key\": \"%s\"}}}}",
                    tu_pki("ca.crt"), tu_pki("client.crt"), tu_pki("client.key"));
    s1 = start_serve(f, conf);
    target = tu_proc_address_after(s1, "listening on 127.0.0.1:");
    o = s1->len;
    assert_int_equal(tu_run(&out, "%s connect %s %s --servername localhost --reconnect",
                            SSLPLUG_TEST_CLI, client, target),
                     0);
    if (strstr(out, "reconnect: the server resumed the session\n") == NULL) {
        print_error("%s\n%s\n", out, s1->text);
    }
    assert_non_null(strstr(out, "reconnect: the server resumed the session\n"));
    assert_true(tu_proc_wait_for_from(s1, o, "resumed: yes"));
    tu_proc_assert_output_from(s1, o, ": found");
    free(out);
    tu_proc_stop(s1);
    stop_redis(f);
    free(target);
    free(client);
    free(conf);
    free(entry);
}

/* TLS 1.2 and 1.3 tickets of server 1 resume on server 2: the keys are shared in Redis. */
static void
test_fleet_ticket_keys_redis_across_servers(void **state)
{
    static const char *const protocols[] = {"-tls1_2", "-tls1_3"};
    fixture *f = *state;
    char *entry = NULL, *conf, *t1, *t2, *sess, *out;
    tu_proc *s1, *s2;
    redisContext *c;
    redisReply *r;

    start_redis(f, 0);
    assert_true(asprintf(&entry,
                         "\"ticket_keys\": {\"plugin\": \"ticket_keys_redis\", \"config\":"
                         " {\"redis\": \"%s\", \"key_file\": \"sessions.key\", \"auth_file\":"
                         " \"redis.auth\", \"prefix\": \"t:\"}}",
                         f->sock) > 0);
    conf = server_config(f, "server.json", "info", entry);
    s1 = start_serve(f, conf);
    s2 = start_serve(f, conf);
    t1 = tu_proc_address_after(s1, "listening on 127.0.0.1:");
    t2 = tu_proc_address_after(s2, "listening on 127.0.0.1:");
    sess = tu_path_join(f->dir, "session.pem");
    for (size_t i = 0; i < 2; i++) {
        size_t o2 = s2->len;

        out = s_client(f, t1, protocols[i], 0, NULL, sess);
        assert_non_null(strstr(out, "New, TLSv1."));
        assert_non_null(strstr(out, "TLS session ticket:"));
        free(out);
        out = s_client(f, t2, protocols[i], 0, sess, NULL);
        if (strstr(out, "Reused, TLSv1.") == NULL) {
            print_error("%s\nserver 2:\n%s\n", out, s2->text + o2);
        }
        assert_non_null(strstr(out, "Reused, TLSv1."));
        free(out);
        assert_connection(s2, o2, 1, 0);
        tu_proc_assert_output_from(s2, o2, "decrypt key=");
    }
    /* One key set, made once: next and current, sealed (no rotation yet). */
    c = redis_open(f);
    r = redisCommand(c, "STRLEN t:ticket_keys");
    assert_non_null(r);
    assert_int_equal(r->integer, 20 + 2 * 108);
    freeReplyObject(r);
    redisFree(c);
    tu_proc_stop(s1);
    tu_proc_stop(s2);
    stop_redis(f);
    free(sess);
    free(t1);
    free(t2);
    free(conf);
    free(entry);
}

/* The count before needle ("7 store errors"), from the last statistics line. */
static long
count_before(const char *text, const char *needle)
{
    const char *line = strstr(text, "final statistics:"), *at;

    assert_non_null(line);
    at = strstr(line, needle);
    assert_non_null(at);
    while (at > line && at[-1] == ' ') {
        at--;
    }
    while (at > line && at[-1] >= '0' && at[-1] <= '9') {
        at--;
    }
    return strtol(at, NULL, 10);
}

/*
 * Redis stopped in the middle of a run: every handshake still succeeds,
 * as a full one, and the misses are counted; Redis back (empty, on the same
 * socket): resumption comes back without restarting the server.
 */
static void
test_fleet_redis_outage(void **state)
{
    fixture *f = *state;
    char *entry, *conf, *client, *target, *out = NULL;
    long long deadline;
    int resumed = 0;
    tu_proc *s1;

    start_redis(f, 0);
    entry = session_redis_entry(f, NULL);
    conf = server_config(f, "server.json", "info", entry);
    client = config(f, "client.json",
                    "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
                    " \"callbacks\": {\"client_cert\": {\"plugin\": \"client_cert_file\","
                    " \"config\": {\"certificate\": \"%s\", \"private_key\": \"%s\"}}}}",
                    tu_pki("ca.crt"), tu_pki("client.crt"), tu_pki("client.key"));
    s1 = start_serve(f, conf);
    target = tu_proc_address_after(s1, "listening on 127.0.0.1:");
    assert_int_equal(tu_run(&out, "%s connect %s %s --servername localhost --reconnect",
                            SSLPLUG_TEST_CLI, client, target),
                     0);
    assert_non_null(strstr(out, "reconnect: the server resumed the session\n"));
    free(out);

    stop_redis(f);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tu_run(&out, "%s connect %s %s --servername localhost --reconnect",
                                SSLPLUG_TEST_CLI, client, target),
                         0);
        assert_non_null(strstr(out, "reconnect: not resumed: a full handshake\n"));
        free(out);
    }

    start_redis(f, 0);
    deadline = tu_now_ms() + TU_WAIT_MS;
    while (!resumed && tu_now_ms() < deadline) {
        assert_int_equal(tu_run(&out, "%s connect %s %s --servername localhost --reconnect",
                                SSLPLUG_TEST_CLI, client, target),
                         0);
        resumed = strstr(out, "reconnect: the server resumed the session\n") != NULL;
        free(out);
        if (!resumed) {
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        }
    }
    assert_true(resumed);
    tu_proc_stop(s1);
    tu_proc_assert_output_from(s1, 0, "session_redis: redis unix:");
    tu_proc_assert_output_from(s1, 0, "unavailable (");
    tu_proc_assert_output_from(s1, 0, "reachable again, after ");
    /* Each of the 3 reconnects during the outage looked its session up and failed. */
    assert_true(count_before(s1->text, "store errors") >= 3);
    assert_true(count_before(s1->text, "not stored") >= 3);
    assert_true(count_before(s1->text, "found,") >= 2);
    stop_redis(f);
    free(target);
    free(client);
    free(conf);
    free(entry);
}

/* In this process: a context from conf (a server configuration file), tracing into rep. */
static SSL_CTX *
ctx_of_file(const char *conf, tu_report *rep)
{
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(conf, &err);
    SSL_CTX *ctx;

    if (host == NULL) {
        print_error("%s: %s: %s\n", err.source, err.pointer, err.message);
        fail();
    }
    tu_report_attach(host, rep);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    return ctx;
}

static SSL_CTX *
client_ctx(void)
{
    SSL_CTX *ctx = tu_plain_client(1);

    tu_ctx_use_cert(ctx, "client");
    return ctx;
}

/* One in-memory handshake; *master gets the server's master secret; 1 if resumed. */
static int
handshake(SSL_CTX *sctx, SSL_CTX *cctx, SSL_SESSION *resume, SSL_SESSION **out,
          unsigned char *master, size_t *master_len)
{
    sslplug_pair pair;
    char byte;
    int reused;

    assert_int_equal(sslplug_pair_init(&pair, sctx, cctx, "localhost"), 1);
    if (resume != NULL) {
        assert_int_equal(SSL_set_session(pair.client, resume), 1);
    }
    assert_int_equal(sslplug_pair_handshake(&pair), 1);
    assert_int_equal(SSL_write(pair.server, "x", 1), 1);
    assert_int_equal(SSL_read(pair.client, &byte, 1), 1);
    reused = SSL_session_reused(pair.client);
    if (out != NULL) {
        *out = SSL_get1_session(pair.client);
    }
    if (master != NULL) {
        *master_len = SSL_SESSION_get_master_key(SSL_get_session(pair.server), master, 48);
    }
    SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    sslplug_pair_cleanup(&pair);
    return reused;
}

/*
 * What Redis holds: no value contains the session's master secret (or its
 * first 16 bytes); a value with one byte changed is refused (a full
 * handshake) while the untouched one resumed.
 */
static void
test_fleet_values_sealed_and_tamper_refused(void **state)
{
    fixture *f = *state;
    char *entry, *conf;
    tu_report ra = {0}, rb = {0};
    SSL_CTX *a, *b, *cl;
    SSL_SESSION *sess = NULL;
    unsigned char master[48];
    size_t master_len = 0;
    redisContext *c;
    redisReply *keys, *v;

    start_redis(f, 0);
    entry = session_redis_entry(f, NULL);
    conf = server_config(f, "server.json", "info", entry);
    a = ctx_of_file(conf, &ra);
    b = ctx_of_file(conf, &rb);
    cl = client_ctx();
    SSL_CTX_set_max_proto_version(cl, TLS1_2_VERSION);
    assert_int_equal(handshake(a, cl, NULL, &sess, master, &master_len), 0);
    assert_int_equal(master_len, 48);

    c = redis_open(f);
    keys = redisCommand(c, "KEYS sslplug:session:*");
    assert_non_null(keys);
    assert_int_equal(keys->type, REDIS_REPLY_ARRAY);
    assert_int_equal(keys->elements, 1);
    v = redisCommand(c, "GET %s", keys->element[0]->str);
    assert_non_null(v);
    assert_int_equal(v->type, REDIS_REPLY_STRING);
    assert_null(memmem(v->str, v->len, master, master_len));
    assert_null(memmem(v->str, v->len, master, 16));
    assert_true(v->len > 100);

    /* Control: the untouched value resumes on b. */
    assert_int_equal(handshake(b, cl, sess, NULL, NULL, NULL), 1);

    /* One byte of the ciphertext flipped, TTL kept: refused, a full handshake. */
    v->str[v->len / 2] ^= 0x01;
    freeReplyObject(redisCommand(c, "SET %s %b KEEPTTL", keys->element[0]->str, v->str, v->len));
    assert_int_equal(handshake(b, cl, sess, NULL, NULL, NULL), 0);
    tu_log_assert_has(&rb.log, "refused the value of sslplug:session:");
    freeReplyObject(v);
    freeReplyObject(keys);
    redisFree(c);
    SSL_SESSION_free(sess);
    SSL_CTX_free(a);
    SSL_CTX_free(b);
    SSL_CTX_free(cl);
    tu_report_free(&ra);
    tu_report_free(&rb);
    stop_redis(f);
    free(conf);
    free(entry);
}

/*
 * `sslplug check` of a fleet configuration writes nothing to Redis, and
 * says (a warning) when Redis does not answer instead of failing.
 */
static void
test_fleet_check_writes_nothing(void **state)
{
    fixture *f = *state;
    char *entry = NULL, *conf, *out = NULL;
    redisContext *c;
    redisReply *r;

    assert_true(asprintf(&entry,
                         "\"session_store\": {\"plugin\": \"session_redis\", \"config\":"
                         " {\"redis\": \"%s\", \"key_file\": \"sessions.key\", \"auth_file\":"
                         " \"redis.auth\"}}, \"ticket_keys\": {\"plugin\": \"ticket_keys_redis\","
                         " \"config\": {\"redis\": \"%s\", \"key_file\": \"sessions.key\","
                         " \"auth_file\": \"redis.auth\"}}",
                         f->sock, f->sock) > 0);
    conf = server_config(f, "server.json", "info", entry);
    assert_int_equal(tu_run(&out, "%s check %s", SSLPLUG_TEST_CLI, conf), 0);
    assert_non_null(strstr(out, "does not answer"));
    free(out);
    assert_int_equal(tu_run(&out, "%s check --strict %s", SSLPLUG_TEST_CLI, conf), 1);
    free(out);
    start_redis(f, 0);
    assert_int_equal(tu_run(&out, "%s check --strict %s", SSLPLUG_TEST_CLI, conf), 0);
    assert_null(strstr(out, "does not answer"));
    free(out);
    c = redis_open(f);
    r = redisCommand(c, "DBSIZE");
    assert_non_null(r);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    redisFree(c);
    stop_redis(f);
    free(conf);
    free(entry);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fleet_session_store_across_servers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fleet_connect_reconnect_through_redis, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fleet_ticket_keys_redis_across_servers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fleet_redis_outage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fleet_values_sealed_and_tamper_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fleet_check_writes_nothing, setup, teardown),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
