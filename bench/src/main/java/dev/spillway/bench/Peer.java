package dev.spillway.bench;

/** The two proxies every section measures side by side. */
enum Peer {
    NGINX,
    SPILLWAY
}
