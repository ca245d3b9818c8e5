package dev.spillway.proxy.budget;

import dev.spillway.proxy.state.TokenLimits;

/** A named caller and its token budget (its credentials are the auth package's business). */
public record Caller(String name, TokenLimits limits) {}
