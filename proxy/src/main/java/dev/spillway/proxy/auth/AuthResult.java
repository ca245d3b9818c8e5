package dev.spillway.proxy.auth;

/** What an {@link Authenticator} made of a request's credentials. */
public sealed interface AuthResult {

    /**
     * The caller is let in; {@code principal} names it in logs without revealing its secret, and
     * {@code caller} is the name of the {@code SPILLWAY_CALLERS} entry its credential belongs to, or null.
     */
    record Allowed(String principal, String caller) implements AuthResult {
        public Allowed(String principal) {
            this(principal, null);
        }
    }

    /** The request carries no credential this authenticator understands. */
    record NotPresented() implements AuthResult {}

    /**
     * The credential is wrong. {@code status} is 401 (not authenticated) or 403 (authenticated but not allowed);
     * {@code message} says what is wrong in general terms and never echoes the credential.
     */
    record Rejected(int status, String code, String message) implements AuthResult {}
}
