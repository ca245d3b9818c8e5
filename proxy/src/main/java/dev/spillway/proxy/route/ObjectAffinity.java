package dev.spillway.proxy.route;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * What a request has to do with objects that live in one account: the objects it names (it must
 * go to the account holding them), the kind it creates (the answer's {@code id} tells where the new
 * object lives), the one it deletes, or the collection it lists. Read from the path here; the
 * objects a JSON body names are added by the request inspector.
 *
 * @param apiRoot    the path the object APIs hang under for this request: {@code /openai/v1}, or
 *                   {@code /openai} for the preview APIs called with an {@code api-version}
 * @param apiVersion the request's {@code api-version}, which a lookup of a preview-API object must repeat; null for v1
 * @param named      objects named, path first; empty when the request may go anywhere
 * @param creates    the kind of object the request creates, when it is a POST to a collection
 * @param deletes    the object a DELETE removes, so its home is forgotten
 */
public record ObjectAffinity(String apiRoot, String apiVersion, List<ObjectRef> named, ObjectKind creates, ObjectRef deletes) {

    /** A request with no object in it: a model call by deployment path, or anything outside the object APIs. */
    public static final ObjectAffinity NONE = new ObjectAffinity("/openai/v1", null, List.of(), null, null);

    private static final ObjectKind[] KINDS = ObjectKind.values();

    public ObjectAffinity {
        named = List.copyOf(named);
    }

    /**
     * @param segments   the decoded path segments, starting with {@code openai}
     * @param apiVersion the {@code api-version} query parameter, or null
     */
    public static ObjectAffinity of(String method, List<String> segments, String apiVersion) {
        return of(method, segments, () -> apiVersion);
    }

    /**
     * As {@link #of(String, List, String)}, reading the {@code api-version} only for a path under
     * the preview APIs' root, so that model calls by deployment path or under /openai/v1 pay nothing for it.
     */
    public static ObjectAffinity of(String method, List<String> segments, java.util.function.Supplier<String> apiVersionOf) {
        if (segments.size() < 2 || !segments.get(0).equals("openai") || segments.get(1).equals("deployments")) {
            return NONE;
        }
        boolean v1 = segments.get(1).equals("v1");
        String root = v1 ? "/openai/v1" : "/openai";
        List<String> rest = segments.subList(v1 ? 2 : 1, segments.size());
        String apiVersion = v1 ? null : apiVersionOf.get();
        for (ObjectKind kind : KINDS) {
            List<String> collection = kind.collection();
            if (rest.size() < collection.size() || !rest.subList(0, collection.size()).equals(collection)) {
                continue;
            }
            if (rest.size() == collection.size()) {
                boolean creates = method.equalsIgnoreCase("POST") && kind.createdByPostToCollection();
                return new ObjectAffinity(root, apiVersion, List.of(), creates ? kind : null, null);
            }
            String id = rest.get(collection.size());
            if (kind.isOperation(id)) {
                return new ObjectAffinity(root, apiVersion, List.of(), null, null);
            }
            ObjectRef ref = new ObjectRef(kind, id);
            boolean deletes = method.equalsIgnoreCase("DELETE") && rest.size() == collection.size() + 1;
            return new ObjectAffinity(root, apiVersion, List.of(ref), null, deletes ? ref : null);
        }
        return new ObjectAffinity(root, apiVersion, List.of(), null, null);
    }

    /** The same request with the objects its body names added after those of its path. */
    public ObjectAffinity withBodyRefs(Collection<ObjectRef> fromBody) {
        if (fromBody.isEmpty()) {
            return this;
        }
        List<ObjectRef> all = new ArrayList<>(named.size() + fromBody.size());
        all.addAll(named);
        for (ObjectRef ref : fromBody) {
            if (!all.contains(ref)) {
                all.add(ref);
            }
        }
        return new ObjectAffinity(apiRoot, apiVersion, all, creates, deletes);
    }

    public boolean pinned() {
        return !named.isEmpty();
    }

    public Optional<ObjectKind> created() {
        return Optional.ofNullable(creates);
    }

    /** The path and query of a side-effect-free lookup of the object: a GET of it in its collection. */
    public String lookupPath(ObjectRef ref) {
        StringBuilder path = new StringBuilder(apiRoot);
        for (String segment : ref.kind().collection()) {
            path.append('/').append(segment);
        }
        path.append('/').append(java.net.URLEncoder.encode(ref.id(), java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
        if (apiVersion != null) {
            path.append("?api-version=").append(java.net.URLEncoder.encode(apiVersion, java.nio.charset.StandardCharsets.UTF_8));
        }
        return path.toString();
    }
}
