package dev.spillway.simulator.api;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Object ids as the service hands them out: a prefix and random hex. They are random, not counted
 * and not seeded, so two simulated accounts never give out the same id and an id names the one
 * account that holds its object, which is what a proxy routing by id relies on.
 */
public final class Ids {

    private final SecureRandom random = new SecureRandom();

    /** @param hexDigits an even number of hex digits after the prefix */
    public String next(String prefix, int hexDigits) {
        byte[] bytes = new byte[hexDigits / 2];
        random.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }
}
