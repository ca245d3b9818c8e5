package dev.spillway.proxy.state;

/**
 * The arithmetic of a sliding 60 s window kept as one slot per second, shared by every store so
 * that they all count alike. A slot holds what was admitted during its second and counts until the
 * whole of that second is more than 60 s old: the window errs by up to a second on the side of
 * admitting less, never more, and a refused caller is told a time at which a slot really is gone.
 */
final class TokenWindow {

    /** The current second and the 60 before it. */
    static final int SLOTS = 61;

    private TokenWindow() {}

    static long used(long[] tokens, long[] seconds, long now) {
        long sum = 0;
        for (long s = now - (SLOTS - 1); s <= now; s++) {
            int i = index(s);
            if (seconds[i] == s) {
                sum += tokens[i];
            }
        }
        return sum;
    }

    static void add(long[] tokens, long[] seconds, long now, long amount) {
        int i = index(now);
        if (seconds[i] != now) {
            seconds[i] = now;
            tokens[i] = 0;
        }
        tokens[i] += amount;
    }

    /** Changes a slot that is still in the window; a slot that aged out is left alone. */
    static void adjust(long[] tokens, long[] seconds, long slot, long now, long change) {
        int i = index(slot);
        if (slot > now - SLOTS && seconds[i] == slot) {
            tokens[i] = Math.max(0, tokens[i] + change);
        }
    }

    /** The first moment the window holds less than {@code limit}, as its oldest slots age out. */
    static long fitsAtMillis(long[] tokens, long[] seconds, long now, long limit) {
        long used = used(tokens, seconds, now);
        for (long s = now - (SLOTS - 1); s <= now; s++) {
            int i = index(s);
            if (seconds[i] == s) {
                used -= tokens[i];
            }
            if (used < limit) {
                return agesOutMillis(s);
            }
        }
        return agesOutMillis(now);
    }

    /** When slot {@code s} stops counting: once the last millisecond of its second is 60 s old. */
    static long agesOutMillis(long s) {
        return (s + SLOTS) * 1000;
    }

    private static int index(long second) {
        return (int) Math.floorMod(second, (long) SLOTS);
    }
}
