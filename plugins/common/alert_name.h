/*
 * TLS alert descriptions by their IANA registry names ("unknown_ca",
 * "handshake_failure"), so info_jsonlog's lines and info_metrics' labels
 * name alerts alike.
 */
#ifndef SSLPLUG_ALERT_NAME_H
#define SSLPLUG_ALERT_NAME_H

#include <stddef.h>

/* Long enough for every name and for "unknown_255". */
#define SSLPLUGI_ALERT_NAME_MAX 40

/**
 * The name of an alert, from the `ret` of an SSL_CB_ALERT info callback
 * (level in the high byte, description in the low one): the registry name,
 * or "unknown_<code>" for a code the registry does not list.
 */
void sslplugi_alert_name(int ret, char out[SSLPLUGI_ALERT_NAME_MAX]);

#endif /* SSLPLUG_ALERT_NAME_H */
