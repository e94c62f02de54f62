/* Shared by the password_* plugins; see password.h. */
#include "password.h"

#include <string.h>

size_t
sslplugi_strip_line_end(char *data, size_t len)
{
    if (len > 0 && data[len - 1] == '\n') {
        data[--len] = '\0';
        if (len > 0 && data[len - 1] == '\r') {
            data[--len] = '\0';
        }
    }
    return len;
}

int
sslplugi_password_copy(char *buf, int size, const char *password, size_t len)
{
    if (size <= 0 || len >= (size_t)size) {
        return SSLPLUG_PASSWORD_ERROR;
    }
    memcpy(buf, password, len);
    buf[len] = '\0';
    return (int)len;
}

const char *
sslplugi_key_file(const sslplug_services *services, const sslplug_handle *handle)
{
    if (!SSLPLUG_SERVICES_HAS(services, key_file) || services->key_file == NULL) {
        return NULL;
    }
    return services->key_file(handle);
}
