/*
 * The JSON Schema (config/sslplug.schema.json) against the parser
 * (host/config.c, the authority), through tests/schema/validate.py and the
 * jsonschema package (Debian's python3-jsonschema): the schema is draft
 * 2020-12 with a title and a description on every key; every shipped
 * configuration validates; the schema refuses every invalid case whose
 * "schema" file says "reject"; and at every object it describes, the schema
 * knows exactly the keys the parser accepts there, read from the parser's
 * own unknown-key message rather than from a list copied into this file.
 */
#define _GNU_SOURCE /* asprintf, scandir */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE_ROOT SSLPLUG_TEST_SOURCE_DIR "/.."
#define SCHEMA SOURCE_ROOT "/config/sslplug.schema.json"
#define VALIDATOR SSLPLUG_TEST_SOURCE_DIR "/schema/validate.py"
#define INVALID_DIR SSLPLUG_TEST_SOURCE_DIR "/config/invalid"
#define UNKNOWN "zz_unknown"
#define UNKNOWN_PREFIX "unknown key \"" UNKNOWN "\": expected one of "
#define MAX_KEYS 32
#define MAX_LOCATIONS 32

/*
 * Run the validator with args (already quoted); its exit status, and its
 * output in *out.  -I: only the interpreter's own packages, so a jsonschema
 * in the user's site directory cannot stand in for Debian's.
 */
static int
validator(char **out, const char *args)
{
    int status = tu_run(out, "'%s' -I '%s' %s", SSLPLUG_TEST_PYTHON, VALIDATOR, args);

    if (status != 0) {
        /* Not print_error: the output can be longer than its buffer. */
        fputs(*out, stderr);
        if (strstr(*out, "No module named") != NULL) {
            fputs("(install python3-jsonschema: .ci/deps does)\n", stderr);
        }
        fflush(stderr);
    }
    return status;
}

/* Lines of text that start with prefix. */
static int
count_lines(const char *text, const char *prefix)
{
    const char *line = text;
    int n = 0;

    while (line != NULL && *line != '\0') {
        n += strncmp(line, prefix, strlen(prefix)) == 0;
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    return n;
}

static void
test_schema_is_draft_2020_12_with_titles(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(validator(&out, "schema '" SCHEMA "'"), 0);
    free(out);
}

static void
test_schema_accepts_every_shipped_config(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(validator(&out, "valid '" SCHEMA "' '" SOURCE_ROOT "'"), 0);
    /* A glob that found little would pass nearly vacuously. */
    assert_true(count_lines(out, "ok ") >= 50);
    free(out);
}

static int
not_hidden(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* A case's schema file: 1 "reject", 0 "n/a REASON", -1 missing or anything else. */
static int
schema_decision(const char *name)
{
    char *path = NULL, *text;
    int decision = -1;

    assert_true(asprintf(&path, "%s/%s/schema", INVALID_DIR, name) >= 0);
    text = tu_file_read(path, NULL);
    if (text != NULL) {
        text[strcspn(text, "\n")] = '\0';
        if (strcmp(text, "reject") == 0) {
            decision = 1;
        } else if (strncmp(text, "n/a ", 4) == 0 && text[4] != '\0') {
            decision = 0;
        }
    }
    if (decision < 0) {
        print_error("invalid/%s: its schema file must say \"reject\" or \"n/a REASON\"\n", name);
    }
    free(text);
    free(path);
    return decision;
}

static void
test_schema_rejects_schema_level_invalid_cases(void **state)
{
    struct dirent **names = NULL;
    char *args = NULL, *out = NULL;
    int n, rejects = 0, undecided = 0;

    (void)state;
    n = scandir(INVALID_DIR, &names, not_hidden, alphasort);
    assert_true(n > 0);
    assert_true(asprintf(&args, "reject '%s'", SCHEMA) >= 0);
    for (int i = 0; i < n; i++) {
        int decision = schema_decision(names[i]->d_name);
        char *more = NULL;

        undecided += decision < 0;
        if (decision == 1) {
            assert_true(asprintf(&more, "%s '%s/%s/config.json'", args, INVALID_DIR,
                                 names[i]->d_name) >= 0);
            free(args);
            args = more;
            rejects++;
        }
        free(names[i]);
    }
    free(names);
    assert_int_equal(undecided, 0);
    assert_true(rejects >= 80);
    assert_int_equal(validator(&out, args), 0);
    assert_int_equal(count_lines(out, "rejected "), rejects);
    free(out);
    free(args);
}

/* An object location: where the parser is fed an unknown key, and the keys each side knows. */
typedef struct location {
    char schema[64];  /* as validate.py takes it: "*" for any member name */
    char pointer[96]; /* where the parser reports the unknown key */
    char *parser[MAX_KEYS];
    size_t parser_count;
    char *schema_keys[MAX_KEYS];
    size_t schema_count;
} location;

/*
 * Load json, which has the key UNKNOWN at loc->pointer, and read the keys the
 * parser accepts there from its message.
 */
static void
parser_keys(location *loc, const char *json)
{
    sslplug_error err;
    const char *p;

    assert_null(tu_host_try(&err, "%s", json));
    if (err.code != SSLPLUG_E_CONFIG || strcmp(err.pointer, loc->pointer) != 0 ||
        strncmp(err.message, UNKNOWN_PREFIX, strlen(UNKNOWN_PREFIX)) != 0) {
        print_error("%s: \"%s\" at %s, expected " UNKNOWN_PREFIX "... at %s\n", json, err.message,
                    err.pointer, loc->pointer);
        fail();
    }
    for (p = err.message + strlen(UNKNOWN_PREFIX); *p == '"'; p += 2) {
        const char *end = strchr(p + 1, '"');

        assert_non_null(end);
        assert_true(loc->parser_count < MAX_KEYS);
        loc->parser[loc->parser_count] = strndup(p + 1, (size_t)(end - p - 1));
        assert_non_null(loc->parser[loc->parser_count++]);
        p = end + 1;
        if (*p == '\0') {
            return;
        }
        if (strncmp(p, ", ", 2) != 0) {
            break;
        }
    }
    print_error("cannot read the key list of \"%s\"\n", err.message);
    fail();
}

static location *
add_location(location *locs, size_t *count, const char *schema, const char *pointer)
{
    location *loc;

    assert_true(*count < MAX_LOCATIONS);
    loc = &locs[(*count)++];
    memset(loc, 0, sizeof(*loc));
    snprintf(loc->schema, sizeof(loc->schema), "%s", schema);
    snprintf(loc->pointer, sizeof(loc->pointer), "%s", pointer);
    return loc;
}

/* Fill each location's schema_keys from the lines "keys<TAB>LOC<TAB>KEY KEY ..." of out. */
static void
read_schema_keys(location *locs, size_t count, char *out)
{
    char *save = NULL;

    for (char *line = strtok_r(out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *loc_name, *keys, *key_save = NULL;

        if (strncmp(line, "keys\t", 5) != 0 || (keys = strchr(line + 5, '\t')) == NULL) {
            continue;
        }
        loc_name = line + 5;
        *keys++ = '\0';
        for (size_t i = 0; i < count; i++) {
            if (strcmp(locs[i].schema, loc_name) != 0) {
                continue;
            }
            for (char *k = strtok_r(keys, " ", &key_save); k != NULL;
                 k = strtok_r(NULL, " ", &key_save)) {
                assert_true(locs[i].schema_count < MAX_KEYS);
                locs[i].schema_keys[locs[i].schema_count] = strdup(k);
                assert_non_null(locs[i].schema_keys[locs[i].schema_count++]);
            }
        }
    }
}

static int
has_key(char *const *keys, size_t count, const char *key)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(keys[i], key) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Print every key one side knows at loc and the other does not; returns how many. */
static int
compare_keys(const location *loc)
{
    int diff = 0;

    for (size_t i = 0; i < loc->parser_count; i++) {
        if (!has_key(loc->schema_keys, loc->schema_count, loc->parser[i])) {
            print_error("\"%s\": the parser accepts \"%s\", the schema does not describe it\n",
                        loc->schema, loc->parser[i]);
            diff++;
        }
    }
    for (size_t i = 0; i < loc->schema_count; i++) {
        if (!has_key(loc->parser, loc->parser_count, loc->schema_keys[i])) {
            print_error("\"%s\": the schema describes \"%s\", the parser refuses it\n", loc->schema,
                        loc->schema_keys[i]);
            diff++;
        }
    }
    return diff;
}

#define CONFIG_HEAD "{\"version\": 1, \"context\": {\"role\": \"server\""

static void
test_schema_knows_the_parsers_keys(void **state)
{
    location locs[MAX_LOCATIONS];
    size_t count = 0, callbacks;
    char *args = NULL, *out = NULL;
    int diff = 0;

    (void)state;
    parser_keys(add_location(locs, &count, "", "/" UNKNOWN), CONFIG_HEAD "}, \"" UNKNOWN "\": 0}");
    parser_keys(add_location(locs, &count, "/context", "/context/" UNKNOWN),
                CONFIG_HEAD ", \"" UNKNOWN "\": 0}}");
    parser_keys(add_location(locs, &count, "/contexts/*", "/contexts/a/" UNKNOWN),
                CONFIG_HEAD "}, \"contexts\": {\"a\": {\"" UNKNOWN "\": 0}}}");
    parser_keys(add_location(locs, &count, "/inject", "/inject/" UNKNOWN),
                CONFIG_HEAD "}, \"inject\": {\"" UNKNOWN "\": 0}}");
    parser_keys(add_location(locs, &count, "/inject/programs/*", "/inject/programs/p/" UNKNOWN),
                CONFIG_HEAD "}, \"inject\": {\"programs\": {\"p\": {\"" UNKNOWN "\": 0}}}}");
    callbacks = count;
    parser_keys(add_location(locs, &count, "/callbacks", "/callbacks/" UNKNOWN),
                CONFIG_HEAD "}, \"callbacks\": {\"" UNKNOWN "\": {}}}");
    /* An entry of every callback type the parser knows. */
    for (size_t t = 0; t < locs[callbacks].parser_count; t++) {
        const char *type = locs[callbacks].parser[t];
        char schema[64], pointer[96], *json = NULL;

        snprintf(schema, sizeof(schema), "/callbacks/%s", type);
        snprintf(pointer, sizeof(pointer), "/callbacks/%s/" UNKNOWN, type);
        assert_true(asprintf(&json,
                             CONFIG_HEAD "}, \"callbacks\": {\"%s\": {\"plugin\": \"x\", "
                                         "\"" UNKNOWN "\": 0}}}",
                             type) >= 0);
        parser_keys(add_location(locs, &count, schema, pointer), json);
        free(json);
    }
    assert_true(count >= 5);

    assert_true(asprintf(&args, "keys '%s'", SCHEMA) >= 0);
    for (size_t i = 0; i < count; i++) {
        char *more = NULL;

        assert_true(asprintf(&more, "%s '%s'", args, locs[i].schema) >= 0);
        free(args);
        args = more;
    }
    assert_int_equal(validator(&out, args), 0);
    read_schema_keys(locs, count, out);
    for (size_t i = 0; i < count; i++) {
        diff += compare_keys(&locs[i]);
        for (size_t k = 0; k < locs[i].parser_count; k++) {
            free(locs[i].parser[k]);
        }
        for (size_t k = 0; k < locs[i].schema_count; k++) {
            free(locs[i].schema_keys[k]);
        }
    }
    assert_int_equal(diff, 0);
    free(out);
    free(args);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_is_draft_2020_12_with_titles),
        cmocka_unit_test(test_schema_accepts_every_shipped_config),
        cmocka_unit_test(test_schema_rejects_schema_level_invalid_cases),
        cmocka_unit_test(test_schema_knows_the_parsers_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
