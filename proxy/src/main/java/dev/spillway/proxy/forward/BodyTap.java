package dev.spillway.proxy.forward;

import java.nio.ByteBuffer;

/** Sees each chunk of a relayed body before it is written to the client, without moving its position. */
@FunctionalInterface
public interface BodyTap {

    void accept(ByteBuffer bytes);

    /** Both taps, this one first. */
    default BodyTap andThen(BodyTap next) {
        return bytes -> {
            accept(bytes);
            next.accept(bytes);
        };
    }
}
