/*
 * The modules of host/ form a DAG, from the CLI's library calls down to
 * error.c: read from the object files' symbol tables by
 * tests/lint/module_graph.py, so a new circle (a file that ends up calling
 * itself through others, as binding.c -> loader.c -> services.c ->
 * cb_password.c -> binding.c once did) fails here, named.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void
test_module_graph_host_has_no_cycle(void **state)
{
    char *out = NULL;
    int rc = tu_run(&out, "python3 %s/lint/module_graph.py --layers %s", SSLPLUG_TEST_SOURCE_DIR,
                    SSLPLUG_TEST_HOST_OBJECTS);

    (void)state;
    if (rc != 0) {
        print_error("%s\n", out);
    }
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "no cycle"));
    /* The bottom and the top, so the script read what it should have. */
    assert_non_null(strstr(out, "0: "));
    assert_non_null(strstr(out, " error"));
    assert_non_null(strstr(out, " lint"));
    free(out);
}

/* The script itself finds a cycle when there is one. */
static void
test_module_graph_script_finds_a_cycle(void **state)
{
    char *dir = tu_tmpdir(), *list, *text = NULL, *out = NULL;
    int rc;

    (void)state;
    free(tu_write(dir, "a.c", "void b(void);\nvoid a(void);\nvoid a(void) { b(); }\n", 0644));
    free(tu_write(dir, "b.c", "void a(void);\nvoid b(void);\nvoid b(void) { a(); }\n", 0644));
    assert_int_equal(tu_run(NULL, "cc -c %s/a.c -o %s/a.c.o", dir, dir), 0);
    assert_int_equal(tu_run(NULL, "cc -c %s/b.c -o %s/b.c.o", dir, dir), 0);
    assert_true(asprintf(&text, "%s/a.c.o\n%s/b.c.o\n", dir, dir) > 0);
    list = tu_write(dir, "objects.txt", text, 0644);
    free(text);
    rc = tu_run(&out, "python3 %s/lint/module_graph.py %s", SSLPLUG_TEST_SOURCE_DIR, list);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "cycle: a -> b -> a"));
    free(out);
    free(list);
    tu_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_module_graph_host_has_no_cycle),
        cmocka_unit_test(test_module_graph_script_finds_a_cycle),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
