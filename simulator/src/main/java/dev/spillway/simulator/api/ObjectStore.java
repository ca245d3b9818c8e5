package dev.spillway.simulator.api;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The objects of one kind an account holds, oldest first, by id. Bounded: past its capacity the
 * oldest object is dropped, so a long benchmark that creates responses by the million holds a
 * fixed amount of memory (a dropped object then answers 404, as an expired one does). Thread-safe.
 */
public final class ObjectStore<T> {

    private final int capacity;
    /** Insertion order is creation order, which is the order lists are sorted by. */
    private final LinkedHashMap<String, T> byId = new LinkedHashMap<>();

    public ObjectStore(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    public synchronized void put(String id, T object) {
        byId.put(id, object);
        Iterator<String> oldest = byId.keySet().iterator();
        while (byId.size() > capacity) {
            oldest.next();
            oldest.remove();
        }
    }

    public synchronized Optional<T> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public synchronized Optional<T> remove(String id) {
        return Optional.ofNullable(byId.remove(id));
    }

    /** Replaces a held object, keeping its place in the order; empty when none has the id. */
    public synchronized Optional<T> update(String id, UnaryOperator<T> change) {
        T current = byId.get(id);
        if (current == null) {
            return Optional.empty();
        }
        T updated = change.apply(current);
        byId.put(id, updated);
        return Optional.of(updated);
    }

    /** A copy of what is held, oldest first. */
    public synchronized List<T> oldestFirst() {
        return new ArrayList<>(byId.values());
    }

    public synchronized int size() {
        return byId.size();
    }
}
