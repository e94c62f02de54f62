/*
 * acme_info: an info plugin in C++ that counts finished handshakes and logs
 * each with its protocol and cipher.
 *
 *     "info": {"plugin": "/opt/acme/acme_info.so"}
 *
 * C++ is fine on both sides of the ABI as long as the entry point has C
 * linkage (extern "C"), no exception ever leaves a function the host calls,
 * and the descriptor is a plain sslplug_plugin.  The descriptor is built
 * from a value-initialised struct, so every member this file does not set is
 * zero (absent), also members a newer plugin.h may add.
 */
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>

#include <openssl/ssl.h>

#include <sslplug/plugin.h>

namespace {

class HandshakeCounter
{
  public:
    HandshakeCounter(const sslplug_services *services, const sslplug_handle *handle)
        : services_(services), handle_(handle)
    {
    }

    /* Called concurrently from connection threads: the count is atomic. */
    void
    done(const SSL *ssl)
    {
        unsigned long n = ++count_;

        services_->log(handle_, SSLPLUG_LOG_INFO, "handshake #%lu done: %s %s (%s)", n,
                       SSL_get_version(ssl), SSL_get_cipher_name(ssl),
                       SSL_is_server(ssl) ? "server" : "client");
    }

  private:
    const sslplug_services *services_;
    const sslplug_handle *handle_;
    std::atomic<unsigned long> count_{0};
};

int
ai_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    /* No configuration: refuse one rather than ignore it. */
    if (std::strcmp(config_json, "{}") != 0) {
        services->error(handle, "", "acme_info takes no configuration");
        return 0;
    }
    /* new (nothrow): an exception must not cross into the host. */
    auto *counter = new (std::nothrow) HandshakeCounter(services, handle);
    if (counter == nullptr) {
        services->error(handle, nullptr, "out of memory");
        return 0;
    }
    *state = counter;
    return 1;
}

void
ai_fini(void *state)
{
    delete static_cast<HandshakeCounter *>(state);
}

void
ai_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)ret;
    if ((where & SSLPLUG_EVENT_HANDSHAKE_DONE) != 0) {
        static_cast<HandshakeCounter *>(state)->done(ssl);
    }
}

constexpr sslplug_plugin
make_descriptor()
{
    sslplug_plugin d{};

    d.magic = SSLPLUG_PLUGIN_MAGIC;
    d.abi_major = SSLPLUG_ABI_MAJOR;
    d.abi_minor = SSLPLUG_ABI_MINOR;
    d.size = static_cast<std::uint32_t>(sizeof(sslplug_plugin));
    d.name = "acme_info";
    d.version = "1.0.0";
    d.init = ai_init;
    d.fini = ai_fini;
    d.info = ai_info;
    d.flags = SSLPLUG_PLUGIN_THREAD_SAFE;
    /* ABI 1.2: only this event reaches ai_info; the host skips the others. */
    d.info_events = SSLPLUG_EVENT_HANDSHAKE_DONE;
    return d;
}

/* constexpr: made at compile time, no static initialisation order to mind. */
constexpr sslplug_plugin descriptor = make_descriptor();

} // namespace

extern "C" SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
