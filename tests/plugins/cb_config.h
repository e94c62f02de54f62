/*
 * Reading the flat "config" objects of the cb_* test plugins.  The host
 * hands init compact JSON ({"key":value,...}, no spaces), and these plugins
 * take only string and integer values without escapes, so a substring
 * search is enough; test plugins are built without jansson.
 */
#ifndef SSLPLUG_TEST_CB_CONFIG_H
#define SSLPLUG_TEST_CB_CONFIG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the value of "key" starts, or NULL when the key is absent. */
static inline const char *
cb_config_value(const char *json, const char *key)
{
    char needle[64];
    const char *p;

    snprintf(needle, sizeof(needle), "\"%s\":", key);
    p = strstr(json, needle);
    return p != NULL ? p + strlen(needle) : NULL;
}

/* A string value copied to out; 0 when absent, not a string or too long. */
static inline int
cb_config_string(const char *json, const char *key, char *out, size_t outlen)
{
    const char *v = cb_config_value(json, key);
    const char *end;

    if (v == NULL || *v != '"' || (end = strchr(v + 1, '"')) == NULL ||
        (size_t)(end - v - 1) >= outlen) {
        return 0;
    }
    memcpy(out, v + 1, (size_t)(end - v - 1));
    out[end - v - 1] = '\0';
    return 1;
}

/* An integer value, or dflt when absent. */
static inline long
cb_config_int(const char *json, const char *key, long dflt)
{
    const char *v = cb_config_value(json, key);

    return v != NULL ? strtol(v, NULL, 10) : dflt;
}

#endif /* SSLPLUG_TEST_CB_CONFIG_H */
