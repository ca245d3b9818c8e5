package dev.spillway.proxy.server;

/** The client's request cannot be proxied as sent; the message tells the client what to fix. */
final class BadRequestException extends Exception {

    private final int status;
    private final String code;

    BadRequestException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }
}
