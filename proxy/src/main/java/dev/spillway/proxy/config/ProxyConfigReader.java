package dev.spillway.proxy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads {@link ProxyConfig} from environment variables (the contract in DESIGN.md). Every problem
 * is a {@link ConfigException} whose message names the variable and says what to change.
 */
public final class ProxyConfigReader {

    static final String BACKENDS = "SPILLWAY_BACKENDS";
    private static final Pattern REFERENCE_BACKEND = Pattern.compile("^BACKEND_([A-Za-z0-9]+)_(URL|PRIORITY|APIKEY)$");
    private static final Set<String> BACKEND_FIELDS = Set.of("name", "url", "priority", "weight", "apiKey");
    private static final String DEFAULT_AUDIENCE = "https://cognitiveservices.azure.com";
    private static final String DEFAULT_AUTHORITY = "https://login.microsoftonline.com";

    private final ObjectMapper json = new ObjectMapper();

    public ProxyConfig read(Map<String, String> env) {
        return new ProxyConfig(
                (int) number(env, "PORT", 8080, 1, 65_535),
                backends(env),
                auth(env),
                number(env, "SPILLWAY_MAX_BODY_BYTES", 20L * 1024 * 1024, 1, Long.MAX_VALUE),
                Duration.ofMillis(number(env, "SPILLWAY_CONNECT_TIMEOUT_MS", 5_000, 1, Integer.MAX_VALUE)),
                Duration.ofMillis(number(env, "SPILLWAY_HEADERS_TIMEOUT_MS", 120_000, 1, Integer.MAX_VALUE)),
                Duration.ofMillis(number(env, "SPILLWAY_FAILURE_COOLDOWN_MS", 5_000, 0, Integer.MAX_VALUE)),
                policy(env),
                value(env, "AZURE_CLIENT_ID"),
                new ProxyConfig.Limits(
                        (int) number(env, "SPILLWAY_MAX_CONCURRENT_REQUESTS", 10_000, 1, 1_000_000),
                        (int) number(env, "SPILLWAY_MAX_REQUESTS_PER_BACKEND", 6_000, 1, 1_000_000),
                        (int) number(env, "SPILLWAY_MAX_HEADER_BYTES", 16 * 1024, 1024, 1024 * 1024),
                        Duration.ofMillis(number(env, "SPILLWAY_CLIENT_IDLE_TIMEOUT_MS", 30_000, 100, Integer.MAX_VALUE)),
                        Duration.ofMillis(number(env, "SPILLWAY_CLIENT_HEADER_TIMEOUT_MS", 60_000, 100, Integer.MAX_VALUE)),
                        (int) number(env, "SPILLWAY_MAX_CONNECTIONS", 20_000, 1, 10_000_000),
                        Duration.ofMillis(number(env, "SPILLWAY_BODY_TIMEOUT_MS", 60_000, 100, Integer.MAX_VALUE)),
                        Duration.ofMillis(number(env, "SPILLWAY_DRAIN_GRACE_MS", 3_000, 0, Integer.MAX_VALUE)),
                        Duration.ofMillis(number(env, "SPILLWAY_DRAIN_TIMEOUT_MS", 30_000, 0, Integer.MAX_VALUE))),
                new ProxyConfig.Waiting(
                        // Off until its release pace follows what the accounts charge (docs/BENCHMARKS.md, quota section).
                        Duration.ofMillis(number(env, "SPILLWAY_MAX_WAIT_MS", 0, 0, 600_000)),
                        (int) number(env, "SPILLWAY_MAX_QUEUED_PER_DEPLOYMENT", 1_000, 0, 1_000_000)),
                state(env));
    }

    static final String STATE = "SPILLWAY_STATE";
    static final String STATE_AUTH = "SPILLWAY_STATE_AUTH";

    private static Optional<StateConfig> state(Map<String, String> env) {
        Optional<String> auth = value(env, STATE_AUTH);
        Optional<String> text = value(env, STATE);
        if (text.isEmpty()) {
            if (auth.isPresent()) {
                throw new ConfigException(STATE_AUTH, "is set but SPILLWAY_STATE is not; set SPILLWAY_STATE to rediss://host:port or remove it");
            }
            return Optional.empty();
        }
        StateConfig.Authentication authentication;
        if (auth.isEmpty()) {
            authentication = StateConfig.Authentication.URL;
        } else if (auth.get().equalsIgnoreCase("entra")) {
            authentication = StateConfig.Authentication.ENTRA;
        } else {
            throw new ConfigException(STATE_AUTH, "the only accepted value is 'entra' (the managed identity's token); "
                    + "leave it unset to use the password in SPILLWAY_STATE, if any");
        }
        URI uri;
        try {
            uri = new URI(text.get());
        } catch (URISyntaxException e) {
            // The reason can quote the text, password and all.
            throw new ConfigException(STATE, "is not a URL; use redis://host:port or rediss://host:port");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw new ConfigException(STATE, "must start with redis:// or rediss:// (TLS), such as rediss://spillway.westeurope.redis.azure.net:10000");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new ConfigException(STATE, "has no host; use " + scheme + "://host:port");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new ConfigException(STATE, "must have no query or fragment; use " + scheme + "://host:port");
        }
        int port = uri.getPort() == -1 ? 6379 : uri.getPort();
        int database = 0;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!path.isEmpty() && !path.equals("/")) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                database = -1;
            }
            if (database < 0 || database > 15) {
                throw new ConfigException(STATE, "the path may only name a database number 0-15, such as " + scheme + "://host:port/0");
            }
        }
        Optional<String> user = Optional.empty();
        Optional<String> password = Optional.empty();
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            String name = decode(colon < 0 ? "" : info.substring(0, colon));
            String secret = decode(colon < 0 ? info : info.substring(colon + 1));
            user = Optional.of(name).filter(n -> !n.isEmpty());
            password = Optional.of(secret).filter(p -> !p.isEmpty());
        }
        if (authentication == StateConfig.Authentication.ENTRA) {
            if (password.isPresent() || user.isPresent()) {
                throw new ConfigException(STATE, "names a user or password, but SPILLWAY_STATE_AUTH=entra signs in with the managed "
                        + "identity's token; remove one of them");
            }
            if (!scheme.equals("rediss")) {
                throw new ConfigException(STATE, "SPILLWAY_STATE_AUTH=entra sends a token, which needs TLS: use rediss://");
            }
        }
        return Optional.of(new StateConfig(uri.getHost(), port, scheme.equals("rediss"), database, user, password, authentication));
    }

    private static String decode(String text) {
        return java.net.URLDecoder.decode(text.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }

    private List<BackendConfig> backends(Map<String, String> env) {
        Optional<String> spillway = value(env, BACKENDS);
        List<String> referenceVariables = env.keySet().stream()
                .filter(name -> REFERENCE_BACKEND.matcher(name).matches()).sorted().toList();
        if (spillway.isPresent() && !referenceVariables.isEmpty()) {
            throw new ConfigException(BACKENDS, "set either SPILLWAY_BACKENDS or BACKEND_<X>_URL variables, not both (found "
                    + String.join(", ", referenceVariables) + ")");
        }
        List<BackendConfig> backends = spillway.isPresent()
                ? fromJson(spillway.get())
                : fromReferenceVariables(env, referenceVariables);
        if (backends.isEmpty()) {
            throw new ConfigException(BACKENDS, "no backends configured: set SPILLWAY_BACKENDS to a JSON array such as "
                    + "[{\"name\":\"openai1\",\"url\":\"https://openai1.openai.azure.com\"}] (or BACKEND_1_URL, ...)");
        }
        Set<String> names = new HashSet<>();
        for (BackendConfig backend : backends) {
            if (!names.add(backend.name())) {
                throw new ConfigException(BACKENDS, "backend name '" + backend.name() + "' is used twice; names must be unique");
            }
        }
        return backends;
    }

    private List<BackendConfig> fromJson(String text) {
        JsonNode root;
        try {
            root = json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException(BACKENDS, "not valid JSON (" + e.getOriginalMessage()
                    + "); expected an array such as [{\"name\":\"openai1\",\"url\":\"https://openai1.openai.azure.com\"}]");
        }
        if (root == null || !root.isArray()) {
            throw new ConfigException(BACKENDS, "expected a JSON array of backends, such as "
                    + "[{\"name\":\"openai1\",\"url\":\"https://openai1.openai.azure.com\"}]");
        }
        List<BackendConfig> backends = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            backends.add(backendFromJson(root.get(i), i));
        }
        return backends;
    }

    private BackendConfig backendFromJson(JsonNode node, int index) {
        String where = "backend #" + (index + 1);
        if (!node.isObject()) {
            throw new ConfigException(BACKENDS, where + " must be a JSON object with at least \"url\"");
        }
        for (Iterator<String> fields = node.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!BACKEND_FIELDS.contains(field)) {
                throw new ConfigException(BACKENDS, where + " has unknown field \"" + field + "\"; allowed fields are "
                        + BACKEND_FIELDS.stream().sorted().collect(Collectors.joining(", ")));
            }
        }
        String name = node.hasNonNull("name") ? text(node, "name", where) : "openai" + (index + 1);
        if (name.isBlank()) {
            throw new ConfigException(BACKENDS, where + " has an empty \"name\"");
        }
        where = "backend '" + name + "'";
        if (!node.hasNonNull("url")) {
            throw new ConfigException(BACKENDS, where + " has no \"url\" (the account endpoint, such as https://openai1.openai.azure.com)");
        }
        URI url = url(BACKENDS, where, text(node, "url", where));
        int priority = node.has("priority") ? integer(node, "priority", where, 0) : 1;
        int weight = node.has("weight") ? integer(node, "weight", where, 1) : 1;
        Optional<String> apiKey = node.hasNonNull("apiKey") ? Optional.of(text(node, "apiKey", where)).filter(k -> !k.isBlank()) : Optional.empty();
        return new BackendConfig(name, url, priority, weight, apiKey);
    }

    private List<BackendConfig> fromReferenceVariables(Map<String, String> env, List<String> variables) {
        // BACKEND_2 before BACKEND_10: numbered ids in numeric order, then named ones.
        Set<String> ids = new TreeSet<>(Comparator.comparing(ProxyConfigReader::numericFirst).thenComparing(id -> id));
        for (String variable : variables) {
            Matcher matcher = REFERENCE_BACKEND.matcher(variable);
            if (matcher.matches()) {
                ids.add(matcher.group(1));
            }
        }
        List<BackendConfig> backends = new ArrayList<>();
        for (String id : ids) {
            String prefix = "BACKEND_" + id + "_";
            String urlVariable = prefix + "URL";
            String url = value(env, urlVariable).orElseThrow(() -> new ConfigException(urlVariable,
                    "missing, but " + prefix + "* variables are set; give the account endpoint, such as https://openai1.openai.azure.com"));
            int priority = (int) number(env, prefix + "PRIORITY", 1, 0, Integer.MAX_VALUE);
            backends.add(new BackendConfig("backend" + id.toLowerCase(Locale.ROOT), url(urlVariable, "the value", url), priority, 1,
                    value(env, prefix + "APIKEY")));
        }
        return backends;
    }

    private static long numericFirst(String id) {
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private AuthConfig auth(Map<String, String> env) {
        Optional<String> mode = value(env, "SPILLWAY_AUTH");
        if (mode.isPresent() && !mode.get().equals("none")) {
            throw new ConfigException("SPILLWAY_AUTH", "the only accepted value is 'none' (no inbound auth, for local experiments); "
                    + "remove it to require SPILLWAY_API_KEYS or SPILLWAY_ENTRA_TENANT_ID");
        }
        List<String> keys = value(env, "SPILLWAY_API_KEYS").map(ProxyConfigReader::list).orElse(List.of());
        Optional<AuthConfig.EntraConfig> entra = value(env, "SPILLWAY_ENTRA_TENANT_ID").map(tenant -> new AuthConfig.EntraConfig(
                tenant(tenant),
                list(value(env, "SPILLWAY_ENTRA_AUDIENCE").orElse(DEFAULT_AUDIENCE)),
                stripTrailingSlash(url("SPILLWAY_ENTRA_AUTHORITY", "the value",
                        value(env, "SPILLWAY_ENTRA_AUTHORITY").orElse(DEFAULT_AUTHORITY)).toString())));
        List<String> principals = value(env, "SPILLWAY_ALLOWED_PRINCIPALS").map(ProxyConfigReader::list).orElse(List.of());
        List<CallerConfig> callers = value(env, CallersReader.CALLERS).map(text -> new CallersReader(json).read(text, keys)).orElse(List.of());
        boolean disabled = mode.isPresent();
        if (disabled && (!keys.isEmpty() || entra.isPresent())) {
            throw new ConfigException("SPILLWAY_AUTH", "is 'none' but SPILLWAY_API_KEYS or SPILLWAY_ENTRA_TENANT_ID is set too; remove one");
        }
        if (disabled && !callers.isEmpty()) {
            throw new ConfigException(CallersReader.CALLERS, "names callers, but SPILLWAY_AUTH=none lets anyone in unnamed; remove SPILLWAY_AUTH");
        }
        boolean callerKeys = callers.stream().anyMatch(caller -> !caller.apiKeys().isEmpty());
        if (entra.isEmpty()) {
            callers.stream().filter(caller -> !caller.principals().isEmpty()).findFirst().ifPresent(caller -> {
                throw new ConfigException(CallersReader.CALLERS, "caller '" + caller.name() + "' lists principals, but Entra ID tokens are "
                        + "not accepted; set SPILLWAY_ENTRA_TENANT_ID or remove its \"principals\"");
            });
        }
        if (!disabled && keys.isEmpty() && !callerKeys && entra.isEmpty()) {
            throw new ConfigException("SPILLWAY_API_KEYS", "no inbound auth configured: set SPILLWAY_API_KEYS (comma-separated keys), "
                    + "SPILLWAY_CALLERS (named callers with keys) and/or SPILLWAY_ENTRA_TENANT_ID; SPILLWAY_AUTH=none runs an open proxy, for local experiments only");
        }
        if (!principals.isEmpty() && entra.isEmpty()) {
            throw new ConfigException("SPILLWAY_ALLOWED_PRINCIPALS", "only applies to Entra ID tokens; set SPILLWAY_ENTRA_TENANT_ID too");
        }
        return new AuthConfig(disabled, keys, entra, principals, callers);
    }

    private static ProxyConfig.BalancingPolicy policy(Map<String, String> env) {
        Optional<String> policy = value(env, "SPILLWAY_POLICY");
        if (policy.isEmpty()) {
            return ProxyConfig.BalancingPolicy.QUOTA;
        }
        try {
            return ProxyConfig.BalancingPolicy.valueOf(policy.get().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("SPILLWAY_POLICY", "'" + policy.get() + "' is not a policy; use one of "
                    + Arrays.stream(ProxyConfig.BalancingPolicy.values()).map(p -> p.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
        }
    }

    private static List<String> list(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(item -> !item.isEmpty()).toList();
    }

    /** A tenant id goes into URLs and issuer comparisons, so it must be a GUID or a domain name, nothing else. */
    private static String tenant(String value) {
        if (!value.matches("^[A-Za-z0-9][A-Za-z0-9.-]*$")) {
            throw new ConfigException("SPILLWAY_ENTRA_TENANT_ID", "'" + value + "' is not a tenant id; use the directory (tenant) GUID");
        }
        return value;
    }

    private static URI url(String variable, String where, String text) {
        try {
            URI uri = new URI(text.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
                throw new ConfigException(variable, where + ": '" + text + "' is not an http(s) URL such as https://openai1.openai.azure.com");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                throw new ConfigException(variable, where + ": '" + text + "' must have no query, fragment or user info");
            }
            return URI.create(stripTrailingSlash(uri.toString()));
        } catch (URISyntaxException e) {
            throw new ConfigException(variable, where + ": '" + text + "' is not a valid URL (" + e.getReason() + ")");
        }
    }

    private static String stripTrailingSlash(String text) {
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (!value.isTextual()) {
            throw new ConfigException(BACKENDS, where + ": \"" + field + "\" must be a string");
        }
        return value.asText();
    }

    private static int integer(JsonNode node, String field, String where, int min) {
        JsonNode value = node.get(field);
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < min) {
            throw new ConfigException(BACKENDS, where + ": \"" + field + "\" must be a whole number >= " + min + ", got " + value);
        }
        return value.asInt();
    }

    private static long number(Map<String, String> env, String variable, long fallback, long min, long max) {
        Optional<String> text = value(env, variable);
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            long parsed = Long.parseLong(text.get().trim());
            if (parsed < min || parsed > max) {
                throw new ConfigException(variable, "must be between " + min + " and " + max + ", got " + parsed);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new ConfigException(variable, "must be a whole number, got '" + text.get() + "'");
        }
    }

    private static Optional<String> value(Map<String, String> env, String variable) {
        return Optional.ofNullable(env.get(variable)).map(String::trim).filter(v -> !v.isEmpty());
    }
}
