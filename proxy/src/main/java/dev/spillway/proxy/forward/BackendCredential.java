package dev.spillway.proxy.forward;

import org.eclipse.jetty.http.HttpFields;

/** Adds a backend's credential to an outgoing request. */
public interface BackendCredential {

    /** @throws CredentialUnavailableException when no valid credential can be had right now */
    void authorize(HttpFields.Mutable headers);
}
