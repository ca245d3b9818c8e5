package dev.spillway.proxy.auth;

import java.util.List;
import java.util.function.Function;

/**
 * Lets a request in if any configured authenticator accepts it. A Bearer credential may be an
 * API key or an Entra ID token, so each authenticator gets its say; when all refuse, the most
 * telling refusal is returned (403 or 503 over a specific 401 over "no credential").
 */
public final class InboundAuth {

    private final List<Authenticator> authenticators;
    private final boolean open;

    private InboundAuth(List<Authenticator> authenticators, boolean open) {
        this.authenticators = List.copyOf(authenticators);
        this.open = open;
    }

    public static InboundAuth of(List<Authenticator> authenticators) {
        if (authenticators.isEmpty()) {
            throw new IllegalArgumentException("at least one authenticator is needed; use InboundAuth.disabled() for an open proxy");
        }
        return new InboundAuth(authenticators, false);
    }

    /** {@code SPILLWAY_AUTH=none}: everyone is let in. */
    public static InboundAuth disabled() {
        return new InboundAuth(List.of(), true);
    }

    public AuthResult authenticate(Function<String, String> header) {
        if (open) {
            return new AuthResult.Allowed("anonymous");
        }
        AuthResult best = new AuthResult.Rejected(401, "missing_credentials",
                "This proxy requires authentication: send 'api-key: <key>' or 'Authorization: Bearer <key or Entra ID token>'.");
        int bestRank = 0;
        for (Authenticator authenticator : authenticators) {
            AuthResult result = authenticator.authenticate(header);
            if (result instanceof AuthResult.Allowed) {
                return result;
            }
            int rank = result instanceof AuthResult.Rejected rejected ? (rejected.status() == 401 ? 1 : 2) : 0;
            if (rank > bestRank) {
                best = result;
                bestRank = rank;
            }
        }
        return best;
    }
}
