package dev.spillway.bench;

/**
 * A proxy under measurement running as its own process: Spillway ({@link ProxyProcess}) or its peer
 * nginx ({@link NginxPeer}). Every section drives both through the same accounts with the same load.
 */
interface MeasuredProxy extends AutoCloseable {

    /** How the report names it: {@code nginx} or {@code Spillway}. */
    String name();

    /** Base URL, such as {@code http://127.0.0.1:PORT}. */
    String url();

    /** The processes whose CPU and memory count as this proxy's. */
    ProcessTree process();

    @Override
    void close() throws InterruptedException;
}
