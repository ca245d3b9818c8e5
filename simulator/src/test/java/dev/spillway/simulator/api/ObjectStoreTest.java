package dev.spillway.simulator.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ObjectStoreTest {

    @Test
    void oldestObjectIsDroppedOnceTheStoreIsFull() {
        ObjectStore<String> store = new ObjectStore<>(2);

        store.put("a", "first");
        store.put("b", "second");
        store.put("c", "third");

        assertThat(store.size()).isEqualTo(2);
        assertThat(store.get("a")).isEmpty();
        assertThat(store.oldestFirst()).containsExactly("second", "third");
    }

    @Test
    void updatedObjectKeepsItsPlaceInTheOrder() {
        ObjectStore<String> store = new ObjectStore<>(3);
        store.put("a", "first");
        store.put("b", "second");

        assertThat(store.update("a", old -> old + "!")).hasValue("first!");
        assertThat(store.update("x", old -> old)).isEmpty();
        assertThat(store.oldestFirst()).containsExactly("first!", "second");
    }

    @Test
    void removedObjectIsGone() {
        ObjectStore<String> store = new ObjectStore<>(3);
        store.put("a", "first");

        assertThat(store.remove("a")).hasValue("first");
        assertThat(store.remove("a")).isEmpty();
        assertThat(store.get("a")).isEmpty();
    }
}
