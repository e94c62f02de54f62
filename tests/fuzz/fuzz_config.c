/*
 * libFuzzer target over configuration parsing, validation and path
 * resolution (sslplug_host_load_string).  No plugin code is loaded: that
 * happens only at sslplug_ctx_new.  Seeded with config/ and tests/config/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sslplug/sslplug.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size + 1);
    sslplug_error err;
    sslplug_host *host;

    if (json == NULL) {
        return 0;
    }
    memcpy(json, data, size);
    json[size] = '\0';
    host = sslplug_host_load_string(json, "/nonexistent/fuzz", &err);
    /* Either a host, or an error that says something. */
    if (host == NULL && (err.code == SSLPLUG_OK || err.message[0] == '\0')) {
        abort();
    }
    sslplug_host_free(host);
    free(json);
    return 0;
}
