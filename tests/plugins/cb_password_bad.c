/*
 * cb_password_bad: a password source that breaks the callback's contract in
 * one configured way.  Every call is logged ("call attempt=N size=N", never
 * a password) so a test can count them.
 *
 * Config: {"mode": M}
 *   "oversize"    return size + 1 (a length that cannot be in the buffer)
 *   "exact_size"  fill all size bytes, no terminating NUL, return size
 *   "negative"    return SSLPLUG_PASSWORD_ERROR
 *   "minus_seven" return -7, a negative the ABI does not define
 *   "empty"       return 0 with an empty string: a valid, wrong password
 *   "endless"     a different wrong password for every attempt, never
 *                 SSLPLUG_PASSWORD_NO_MORE
 *
 * Raw symbols for the raw form: cb_password_bad_raw_oversize returns size,
 * cb_password_bad_raw_negative returns -1.
 */
#include <stdlib.h>
#include <string.h>

#include <sslplug/plugin.h>

#include "cb_config.h"

#define CB_EXPORT __attribute__((visibility("default")))

CB_EXPORT int cb_password_bad_raw_oversize(char *buf, int size, int flag);
CB_EXPORT int cb_password_bad_raw_negative(char *buf, int size, int flag);

typedef enum mode {
    MODE_OVERSIZE,
    MODE_EXACT_SIZE,
    MODE_NEGATIVE,
    MODE_MINUS_SEVEN,
    MODE_EMPTY,
    MODE_ENDLESS
} mode;

typedef struct bad {
    const sslplug_services *services;
    const sslplug_handle *handle;
    mode mode;
} bad;

static int
parse_mode(const char *name, mode *out)
{
    static const char *const names[] = {"oversize",    "exact_size", "negative",
                                        "minus_seven", "empty",      "endless"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (mode)i;
            return 1;
        }
    }
    return 0;
}

static int
bad_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    char name[32];
    bad *b = calloc(1, sizeof(*b));

    if (b == NULL) {
        services->error(handle, NULL, "out of memory");
        return 0;
    }
    if (!cb_config_string(config_json, "mode", name, sizeof(name)) || !parse_mode(name, &b->mode)) {
        services->error(handle, "/mode", "expected a known mode");
        free(b);
        return 0;
    }
    b->services = services;
    b->handle = handle;
    *state = b;
    return 1;
}

static void
bad_fini(void *state)
{
    free(state);
}

static int
bad_password(void *state, int attempt, char *buf, int size, int flag)
{
    const bad *b = state;

    (void)flag;
    b->services->log(b->handle, SSLPLUG_LOG_DEBUG, "call attempt=%d size=%d", attempt, size);
    switch (b->mode) {
    case MODE_OVERSIZE:
        return size + 1;
    case MODE_EXACT_SIZE:
        memset(buf, 'x', (size_t)size);
        return size;
    case MODE_NEGATIVE:
        return SSLPLUG_PASSWORD_ERROR;
    case MODE_MINUS_SEVEN:
        return -7;
    case MODE_EMPTY:
        buf[0] = '\0';
        return 0;
    case MODE_ENDLESS:
    default:
        return snprintf(buf, (size_t)size, "wrong-%d", attempt);
    }
}

int
cb_password_bad_raw_oversize(char *buf, int size, int flag)
{
    (void)buf;
    (void)flag;
    return size;
}

int
cb_password_bad_raw_negative(char *buf, int size, int flag)
{
    (void)buf;
    (void)size;
    (void)flag;
    return -1;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "cb_password_bad",
    .version = "1.0",
    .init = bad_init,
    .fini = bad_fini,
    .password = bad_password,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
