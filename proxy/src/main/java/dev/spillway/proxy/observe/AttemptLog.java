package dev.spillway.proxy.observe;

import dev.spillway.proxy.route.Endpoint;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's log lines about attempts, in one place so their wording stays stable for the people
 * and scripts that read them. No line ever carries a credential: query parameters whose names
 * suggest a secret are masked.
 */
public final class AttemptLog {

    private static final Pattern SECRET_PARAM = Pattern.compile("(?i)([?&][^=&]*(?:key|token|sig|secret|password|code)[^=&]*=)[^&]*");
    private final Logger log = LoggerFactory.getLogger("dev.spillway.proxy");

    /**
     * One line per attempt at DEBUG (SPILLWAY_LOG_LEVEL=DEBUG): at INFO it would be most of the
     * proxy's work per request. Throttles, failures and cut-off streams are logged at INFO and WARN.
     */
    public void attempt(Endpoint endpoint, String pathAndQuery, int attempt) {
        if (log.isDebugEnabled()) {
            log.debug("Proxying to {}{} (backend {}, attempt {})", endpoint.backend().url(), redact(pathAndQuery),
                    endpoint.backend().name(), attempt);
        }
    }

    public void throttled(Endpoint endpoint, Duration block) {
        log.info("Backend {} answered 429 for deployment '{}'; blocked for {} ms", endpoint.backend().name(),
                endpoint.deployment(), block.toMillis());
    }

    public void failed(Endpoint endpoint, String what) {
        log.warn("Backend {} failed ({}); trying another", endpoint.backend().name(), what);
    }

    /** A request about an object was not sent to any other account, because the one that holds the object could not serve it. */
    public void homeRefused(String objectId, String backend, int status, long retryAfterMillis) {
        log.info("Object '{}' lives in backend {}, which cannot serve it now: answered {} (retry after {} ms)",
                objectId, backend, status, retryAfterMillis);
    }

    public void exhausted(String deployment, int status, long retryAfterMillis) {
        log.info("No backend available for deployment '{}': answered {} (retry after {} ms)", deployment, status, retryAfterMillis);
    }

    public void streamBroken(Endpoint endpoint, long bytesRelayed, Throwable cause) {
        log.warn("Response from backend {} broke after {} bytes ({}); the client's response was cut off", endpoint.backend().name(),
                bytesRelayed, cause.getClass().getSimpleName());
    }

    public void clientGone(Endpoint endpoint, long bytesRelayed) {
        log.info("Client disconnected after {} bytes from backend {}; closed the upstream request", bytesRelayed, endpoint.backend().name());
    }

    static String redact(String pathAndQuery) {
        return pathAndQuery.indexOf('?') < 0 ? pathAndQuery : SECRET_PARAM.matcher(pathAndQuery).replaceAll("$1***");
    }

    /** For error messages: the failure kind in words. */
    public static String words(Enum<?> kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
