package dev.spillway.proxy.forward;

import java.nio.ByteBuffer;

/** Sees each chunk of a relayed body before it is written to the client, without moving its position. */
@FunctionalInterface
public interface BodyTap {

    void accept(ByteBuffer bytes);

    /**
     * The whole body has been seen, and its last bytes are about to be written: whatever depends
     * on the body is settled here, before the client can read the end and send its next request.
     */
    default void ended() {
    }

    /** Both taps, this one first. */
    default BodyTap andThen(BodyTap next) {
        BodyTap first = this;
        return new BodyTap() {
            @Override
            public void accept(ByteBuffer bytes) {
                first.accept(bytes);
                next.accept(bytes);
            }

            @Override
            public void ended() {
                first.ended();
                next.ended();
            }
        };
    }

    /** A tap that reads nothing and runs {@code action} when the body has been seen whole. */
    static BodyTap onEnd(Runnable action) {
        return new BodyTap() {
            @Override
            public void accept(ByteBuffer bytes) {
            }

            @Override
            public void ended() {
                action.run();
            }
        };
    }
}
