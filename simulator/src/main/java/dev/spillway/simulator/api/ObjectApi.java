package dev.spillway.simulator.api;

/** One collection of the account's objects ({@code files}, {@code batches}, ...) and the calls on it. */
public interface ObjectApi {

    /** The answer to a call on this collection; a method or sub-path it does not serve gets 404 Resource not found. */
    Answer handle(ObjectCall call);
}
