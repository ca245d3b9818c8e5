package dev.spillway.proxy.route;

import java.util.List;
import java.util.Set;

/**
 * The kinds of object an Azure OpenAI account holds, by the collection path they live under (the
 * same under {@code /openai/v1/} and, with an {@code api-version}, under {@code /openai/}). An
 * object of any of them exists only in the account that created it.
 */
public enum ObjectKind {
    /** {@code /responses/input_tokens} counts a prompt's tokens and {@code /responses/compact} compacts one: model calls, not objects. */
    RESPONSE(Set.of("input_tokens", "compact"), "responses"),
    CONVERSATION("conversations"),
    FILE("files"),
    /** The Uploads API has no retrieve: an upload's home is known only from the answer that created it. */
    UPLOAD("uploads"),
    BATCH("batches"),
    VECTOR_STORE("vector_stores"),
    ASSISTANT("assistants"),
    /** {@code POST /threads/runs} creates a thread and runs it: a new object, not one named. */
    THREAD(Set.of("runs"), "threads"),
    FINE_TUNING_JOB("fine_tuning", "jobs"),
    CONTAINER("containers"),
    /** A chat completion made with {@code store: true}; creating one is a model call, so its home is only ever looked up. */
    STORED_COMPLETION("chat", "completions");

    private final List<String> collection;
    private final Set<String> operations;

    ObjectKind(String... collection) {
        this(Set.of(), collection);
    }

    ObjectKind(Set<String> operations, String... collection) {
        this.collection = List.of(collection);
        this.operations = operations;
    }

    /** Whether the segment after the collection names an operation on the collection rather than an object. */
    public boolean isOperation(String segment) {
        return operations.contains(segment);
    }

    /** The collection's path segments, such as {@code [fine_tuning, jobs]}. */
    public List<String> collection() {
        return collection;
    }

    /** Whether a GET of {@code <collection>/<id>} retrieves the object, without changing anything. */
    public boolean canBeLookedUp() {
        return this != UPLOAD;
    }

    /** Whether a POST to the collection itself creates an object of this kind, whose id the answer carries. */
    public boolean createdByPostToCollection() {
        return this != STORED_COMPLETION;
    }
}
