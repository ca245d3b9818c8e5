package dev.spillway.proxy.server;

import dev.spillway.proxy.forward.UpstreamResult;
import dev.spillway.proxy.observe.AttemptLog;

/**
 * The answers the proxy makes up itself when no backend's answer can be passed on, each saying
 * what happened and what the client can do about it, without internals.
 */
final class FailoverAnswers {

    private final AttemptLog log;

    FailoverAnswers(AttemptLog log) {
        this.log = log;
    }

    /** Every backend that could serve the request is at its concurrency cap. */
    ErrorAnswer saturated() {
        return ErrorAnswer.of(503, "backends_saturated", "Every backend that could serve this request has "
                + "as many requests in flight as the proxy allows (SPILLWAY_MAX_REQUESTS_PER_BACKEND). Retry in a moment.")
                .withHeader("Retry-After", "1");
    }

    /**
     * Every backend was tried or is blocked: 429 with the earliest moment one is free when throttling
     * is why, else 502/504 by how the last attempt failed.
     */
    ErrorAnswer exhausted(String deployment, long availableAtMillis, long nowMillis, boolean throttled, UpstreamResult.Failure lastFailure) {
        String target = deployment.isEmpty() ? "this request" : "deployment '" + deployment + "'";
        if (throttled || lastFailure == null) {
            long waitMillis = Math.max(0, availableAtMillis - nowMillis);
            log.exhausted(deployment, 429, waitMillis);
            return rateLimited("Every backend for " + target + " is rate limited.", waitMillis);
        }
        log.exhausted(deployment, lastFailure.kind() == UpstreamResult.Kind.TIMEOUT ? 504 : 502, 0);
        return switch (lastFailure.kind()) {
            case TIMEOUT -> ErrorAnswer.of(504, "backend_timeout", "No backend answered " + target
                    + " in time. Retry later; if this persists, the proxy's SPILLWAY_HEADERS_TIMEOUT_MS may be too short.");
            case CREDENTIAL -> ErrorAnswer.of(502, "backend_credential_unavailable", "The proxy could not get "
                    + "a token for its backends. Check its managed identity (AZURE_CLIENT_ID) and role assignments.");
            default -> ErrorAnswer.of(502, "backend_unavailable", "No backend could be reached for " + target
                    + ". Retry later.");
        };
    }

    /**
     * The account holding the object the request names is throttled: the request was sent nowhere,
     * since no other account has the object. The earliest moment that account takes requests again.
     */
    ErrorAnswer homeThrottled(String objectId, String backend, long availableAtMillis, long nowMillis) {
        long waitMillis = Math.max(0, availableAtMillis - nowMillis);
        log.homeRefused(objectId, backend, 429, waitMillis);
        return rateLimited("The Azure OpenAI account that holds '" + objectId + "' (" + backend + ") is rate limited, "
                + "and no other account has it.", waitMillis);
    }

    /** Azure's 429 shape: the wait in the message, in whole seconds in Retry-After and exactly in retry-after-ms. */
    private static ErrorAnswer rateLimited(String why, long waitMillis) {
        long waitSeconds = Math.max(1, (waitMillis + 999) / 1000);
        return ErrorAnswer.of(429, "429", why + " Please retry after " + waitSeconds + " seconds.")
                .withHeader("Retry-After", Long.toString(waitSeconds))
                .withHeader("retry-after-ms", Long.toString(waitMillis));
    }

    /** The account holding the object failed or could not be reached, and the request was not sent elsewhere. */
    ErrorAnswer homeUnavailable(String objectId, String backend, UpstreamResult.Failure failure) {
        log.homeRefused(objectId, backend, 503, 0);
        String what = failure.kind() == UpstreamResult.Kind.TIMEOUT ? "did not answer in time" : "could not be reached";
        return ErrorAnswer.of(503, "home_unavailable", "The Azure OpenAI account that holds '" + objectId + "' (" + backend + ") "
                + what + ", and no other account has it, so the request was not sent elsewhere. Retry later.")
                .withHeader("Retry-After", "5");
    }

    /** The attempt may have reached the backend, and the request is not one the proxy may send twice. */
    ErrorAnswer notReplayed(String deployment, UpstreamResult.Failure failure) {
        boolean timeout = failure.kind() == UpstreamResult.Kind.TIMEOUT;
        log.exhausted(deployment, timeout ? 504 : 502, 0);
        String what = timeout ? "did not answer in time" : "broke the connection";
        return ErrorAnswer.of(timeout ? 504 : 502, timeout ? "backend_timeout" : "backend_unavailable",
                "The backend " + what + " after the request was sent. This request creates or changes an object, "
                + "so the proxy did not send it to another account: check whether it took effect before sending it again.");
    }
}
