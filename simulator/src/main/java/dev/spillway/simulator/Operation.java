package dev.spillway.simulator;

/** The model calls the account answers, each charged against a deployment's quota. */
enum Operation {
    CHAT("ChatCompletions_Create"),
    EMBEDDINGS("Embeddings_Create"),
    RESPONSES("Responses_Create");

    /** The name Azure's 429 message gives the operation ("Requests to the Responses_Create Operation ..."). */
    private final String azureName;

    Operation(String azureName) {
        this.azureName = azureName;
    }

    String azureName() {
        return azureName;
    }
}
