package dev.spillway.proxy.forward;

/** The proxy could not get a credential for a backend (for example, the managed identity is not ready). */
public final class CredentialUnavailableException extends RuntimeException {

    public CredentialUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
