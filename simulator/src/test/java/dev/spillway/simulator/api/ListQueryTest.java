package dev.spillway.simulator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ListQueryTest {

    private static final List<String> OLDEST_FIRST = List.of("a", "b", "c", "d");

    private static ListQuery query(Map<String, List<String>> params) {
        return ListQuery.of(new ObjectCall("GET", List.of(), params, Optional.empty(), new byte[0]), 2, 3, false);
    }

    @Test
    void newestFirstByDefaultAndAsManyAsTheDefaultLimit() {
        ListQuery.Page<String> page = query(Map.of()).page(OLDEST_FIRST, id -> id);

        assertThat(page.items()).containsExactly("d", "c");
        assertThat(page.hasMore()).isTrue();
    }

    @Test
    void afterStartsPastTheNamedObjectInTheAskedOrder() {
        ListQuery.Page<String> page = query(Map.of("order", List.of("asc"), "after", List.of("b"))).page(OLDEST_FIRST, id -> id);

        assertThat(page.items()).containsExactly("c", "d");
        assertThat(page.hasMore()).isFalse();
    }

    @Test
    void afterNamingNoListedObjectGivesAnEmptyPage() {
        assertThat(query(Map.of("after", List.of("zz"))).page(OLDEST_FIRST, id -> id).items()).isEmpty();
    }

    @Test
    void limitIsKeptWithinOneAndTheMaximum() {
        assertThat(query(Map.of("limit", List.of("0"))).limit()).isEqualTo(1);
        assertThat(query(Map.of("limit", List.of("50"))).limit()).isEqualTo(3);
        assertThat(query(Map.of("limit", List.of("many"))).limit()).isEqualTo(2);
    }
}
