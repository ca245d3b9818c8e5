package dev.spillway.proxy.server;

import dev.spillway.proxy.auth.AuthResult;
import dev.spillway.proxy.auth.InboundAuth;
import io.javalin.http.Context;
import java.util.function.Function;

/** Who may in: the same rule, and the same refusals, for the forward path and the status endpoints. */
final class AuthGate {

    private final InboundAuth auth;

    AuthGate(InboundAuth auth) {
        this.auth = auth;
    }

    /** @return the answer that refuses the caller, or null when it may in */
    ErrorAnswer refusal(Function<String, String> header) {
        return refusal(auth.authenticate(header));
    }

    AuthResult authenticate(Function<String, String> header) {
        return auth.authenticate(header);
    }

    /** @return the answer to a caller that auth did not let in, or null when it did */
    ErrorAnswer refusal(AuthResult result) {
        if (result instanceof AuthResult.Allowed) {
            return null;
        }
        if (result instanceof AuthResult.Rejected rejected) {
            ErrorAnswer answer = ErrorAnswer.of(rejected.status(), rejected.code(), rejected.message());
            return switch (rejected.status()) {
                case 401 -> answer.withHeader("WWW-Authenticate", "Bearer");
                case 503 -> answer.withHeader("Retry-After", "5");
                default -> answer;
            };
        }
        return ErrorAnswer.of(401, "missing_credentials", "This proxy requires authentication.").withHeader("WWW-Authenticate", "Bearer");
    }

    /** For the status routes: answers the refusal itself when the caller may not in. */
    boolean authorized(Context ctx) {
        ErrorAnswer refusal = refusal(ctx::header);
        if (refusal != null) {
            ErrorResponses.send(ctx, refusal);
            return false;
        }
        return true;
    }
}
