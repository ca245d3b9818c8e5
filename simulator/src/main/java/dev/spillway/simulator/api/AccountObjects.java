package dev.spillway.simulator.api;

/**
 * The objects one simulated account holds: responses, files and batches, each in its own bounded
 * store. One per {@code Simulator}: an object created in one account exists there only, as on
 * Azure, where a response, file or batch lives in the resource that created it.
 */
public final class AccountObjects {

    /** Per kind; enough for any test, small enough that a long benchmark cannot grow without bound. */
    public static final int DEFAULT_CAPACITY = 10_000;

    private final Ids ids = new Ids();
    private final ObjectStore<StoredResponse> responses;
    private final ObjectStore<StoredFile> files;
    private final ObjectStore<StoredBatch> batches;

    public AccountObjects() {
        this(DEFAULT_CAPACITY);
    }

    public AccountObjects(int capacityPerKind) {
        this.responses = new ObjectStore<>(capacityPerKind);
        this.files = new ObjectStore<>(capacityPerKind);
        this.batches = new ObjectStore<>(capacityPerKind);
    }

    public Ids ids() {
        return ids;
    }

    public ObjectStore<StoredResponse> responses() {
        return responses;
    }

    public ObjectStore<StoredFile> files() {
        return files;
    }

    public ObjectStore<StoredBatch> batches() {
        return batches;
    }
}
