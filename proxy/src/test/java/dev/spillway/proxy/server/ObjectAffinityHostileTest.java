package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RawClient;
import dev.spillway.proxy.testing.RefusingPort;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A hostile review of object affinity: what careless or hostile clients and misbehaving accounts do
 * to the routing of requests about objects that live in one account. Real HTTP over loopback: the
 * proxy in this JVM, simulated accounts, and hand-written accounts ({@link FakeAccount}) that answer
 * exactly as a test says and record what reached them, request line as sent.
 */
class ObjectAffinityHostileTest {

    private static final String RESPONSES = "/openai/v1/responses";
    private static final String FILES = "/openai/v1/files";

    private final ObjectMapper json = new ObjectMapper();
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();

    @AfterEach
    void closeFakes() throws Exception {
        for (AutoCloseable closeable : closeAfter) {
            closeable.close();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Findings
    // ------------------------------------------------------------------------------------------

    /**
     * Responses' {@code metadata} is the client's own key/value map; a key named {@code conversation}
     * is a label, not a Conversations object. The inspector reads ref fields "at any depth", so the
     * label is looked up at every account, and the client gets a 404 for a valid request that names
     * no object at all.
     */
    @Test
    void aMetadataKeyNamedConversationIsNotAnObjectReference() {
        RunningProxy proxy = proxyOver(servers.account(), servers.account(), servers.account());

        HttpResponse<String> response = proxy.post(RESPONSES, "{\"model\":\"chat\",\"input\":\"Hello\",\"max_output_tokens\":20,"
                + "\"metadata\":{\"conversation\":\"support-ticket-42\"}}");

        assertThat(response.statusCode()).as("a plain Responses call with a metadata label: %s", response.body()).isEqualTo(200);
    }

    /** The same with a chat completion stored with metadata whose key happens to be {@code file_id}. */
    @Test
    void aChatCompletionWhoseMetadataHasAFileIdKeyIsNotLookedUp() {
        Simulator a = servers.account();
        Simulator b = servers.account();
        RunningProxy proxy = proxyOver(a, b);

        HttpResponse<String> response = proxy.post("/openai/v1/chat/completions", "{\"model\":\"chat\",\"store\":true,"
                + "\"metadata\":{\"file_id\":\"crm-7781\"},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":10}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(a.traffic().recent().stream().filter(r -> r.method().equals("GET")).count()
                + b.traffic().recent().stream().filter(r -> r.method().equals("GET")).count()).as("no lookup of a metadata value").isZero();
    }

    /**
     * One account answers the lookup 404, another cannot be reached: the client gets 503
     * object_home_unreachable, but the 404 answer HomeLookup kept ({@code notFound}) is neither
     * relayed nor discarded, so its exchange never completes and its connection is never returned:
     * every such request costs a new connection to the healthy account, held until the idle timeout.
     */
    @Test
    void aLookupThatEndsUnreachableReleasesTheConnectionOfTheAccountThatSaid404() throws Exception {
        FakeAccount a = fake(request -> plain(404, "{\"error\":{\"code\":\"404\",\"message\":\"No such File object\"}}"));
        RefusingPort down = new RefusingPort();
        closeAfter.add(down);
        RunningProxy proxy = servers.proxy().backend("a", a.url(), 1, "backend-key").backend("down", down.url(), 1, "backend-key").start();

        for (int i = 0; i < 6; i++) {
            HttpResponse<String> response = proxy.get(FILES + "/file-nowhere-" + i);
            assertThat(response.statusCode()).isEqualTo(503);
        }
        Thread.sleep(500);

        assertThat(a.requests("GET")).isEqualTo(6);
        assertThat(a.connections()).as("six sequential lookups over one kept-alive connection, not one leaked connection each")
                .isLessThanOrEqualTo(2);
    }

    /**
     * Once one account has said it holds the object, the lookups still out at the other accounts are
     * left to run: to an account that hangs, each miss leaves a connection open for the whole headers
     * timeout, after the client has long had its answer, and outside the per-backend cap
     * (SPILLWAY_MAX_REQUESTS_PER_BACKEND) that is meant to stop one slow backend holding every connection.
     */
    @Test
    void lookupsStillOutWhenTheHomeIsFoundDoNotPileUpAtAHangingAccount() throws Exception {
        FakeAccount home = fake(request -> plain(200, "{\"id\":\"" + lastSegment(request.target()) + "\",\"object\":\"file\"}"));
        FakeAccount hanging = fake(request -> null);
        RunningProxy proxy = servers.proxy()
                .env("SPILLWAY_MAX_REQUESTS_PER_BACKEND", "2")
                .env("SPILLWAY_HEADERS_TIMEOUT_MS", "60000")
                .backend("home", home.url(), 1, "backend-key").backend("hanging", hanging.url(), 2, "backend-key").start();

        for (int i = 0; i < 8; i++) {
            HttpResponse<String> response = proxy.get(FILES + "/file-" + i);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("home");
        }
        Thread.sleep(500);

        assertThat(proxy.get("/metrics").body()).contains("spillway_in_flight_requests 0.0");
        assertThat(hanging.open()).as("connections still held at the hanging account after every client was answered")
                .isLessThanOrEqualTo(2);
    }

    /**
     * An id no account can hold (20,000 characters) goes into a 20 KB lookup URL, which the proxy's
     * own HTTP client fails to send (no account receives anything); the lookup counts every account as
     * "could not be asked", so the client is told 503 object_home_unreachable, "Retry after 1 seconds",
     * for a request that can never succeed (and the 20 KB id is echoed back in the message).
     */
    @Test
    void anAbsurdlyLongIdIsRefusedAsTheClientsMistakeNotAnswered503Retry() {
        RunningProxy proxy = proxyOver(servers.account(), servers.account(), servers.account());
        String id = "resp_" + "a".repeat(20_000);

        HttpResponse<String> response = proxy.post(RESPONSES, "{\"model\":\"chat\",\"input\":\"Hi\",\"previous_response_id\":\"" + id + "\"}");

        assertThat(response.statusCode()).as("%s %s", response.statusCode(), abbreviate(response.body()))
                .isBetween(400, 499);
        assertThat(response.headers().firstValue("Retry-After")).as("nothing to retry").isEmpty();
    }

    /**
     * An id from the JSON body goes into the lookup URL with URLEncoder, which leaves '.' alone, and
     * the URL is resolved against the backend's (java.net.URI#resolve normalises dot segments): the
     * ids "." and ".." make the proxy send the account GET /openai/v1/files/ (a list) and GET
     * /openai/v1/, with its credential, although only canonical paths may be forwarded (README,
     * Security; DESIGN.md).
     */
    @Test
    void bodyIdsMadeOfDotsAreNotSentToTheAccountsAsDotSegments() {
        FakeAccount a = fake(request -> plain(404, "{\"error\":{\"code\":\"404\",\"message\":\"Resource not found\"}}"));
        RunningProxy proxy = servers.proxy().backend("a", a.url(), 1, "backend-key").start();

        for (String id : List.of(".", "..")) {
            proxy.post("/openai/v1/batches", "{\"input_file_id\":\"" + id + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        }

        List<String> lookups = a.seen().stream().filter(r -> r.method().equals("GET")).map(FakeAccount.Seen::target).toList();
        // Dots are no id any service gives out: not looked up at all, and never sent as a dot segment.
        assertThat(lookups).as("each lookup is a GET of one object in /files")
                .allSatisfy(target -> {
                    assertThat(target).startsWith(FILES + "/");
                    assertThat(lastSegment(target)).isNotIn("", ".", "..");
                });
    }

    /**
     * A misbehaving account answers a creation with the id of an object another account holds. The
     * proxy remembers it as that object's home, and from then on every request naming the object goes
     * to the wrong account, whose 404 is relayed, and the entry is never corrected (expire-after-access
     * keeps it while it is being named). A remembered home answering 404 for the object should be
     * forgotten and the object looked up again.
     */
    @Test
    void aRememberedHomeThatSays404IsForgottenSoTheRealHomeIsFound() throws Exception {
        Simulator real = servers.account();
        String fileId = json.readTree(uploadDirectly(real, "real.jsonl", "{}\n")).path("id").asText();
        FakeAccount liar = fake(request -> request.method().equals("POST")
                ? plain(200, "{\"id\":\"" + fileId + "\",\"object\":\"file\",\"purpose\":\"batch\"}")
                : plain(404, "{\"error\":{\"message\":\"No such File object: " + lastSegment(request.target()) + "\"}}"));
        RunningProxy proxy = servers.proxy().backend("real", real.url(), 1, "backend-key").backend("liar", liar.url(), 1, "backend-key").start();
        for (int i = 0; i < 40 && liar.requests("POST") == 0; i++) {
            upload(proxy, "x.jsonl", "{}\n");
        }
        assertThat(liar.requests("POST")).as("an upload reached the liar").isPositive();

        HttpResponse<String> first = proxy.get(FILES + "/" + fileId);
        HttpResponse<String> second = proxy.get(FILES + "/" + fileId);
        HttpResponse<String> third = proxy.get(FILES + "/" + fileId);

        assertThat(first.headers().firstValue("x-spillway-backend")).hasValue("liar");
        assertThat(third.statusCode()).as("after the remembered home said 404 (twice): %s", third.body()).isEqualTo(200);
        assertThat(third.headers().firstValue("x-spillway-backend")).hasValue("real");
    }

    /**
     * An account (or a gateway in front of it) that answers 2xx to everything wins every lookup it is
     * fastest at: the lookup takes any 2xx as "I hold it" without checking that the answer is the
     * object asked for (its {@code id}).
     */
    @Test
    void aLookupAnswered200ByAnAccountThatHoldsNothingDoesNotWin() throws Exception {
        FakeAccount real = fake(request -> {
            Thread.sleep(300);
            return request.target().equals(FILES + "/file-real1") ? plain(200, "{\"id\":\"file-real1\",\"object\":\"file\"}")
                    : plain(404, "{\"error\":{\"message\":\"No such File object\"}}");
        });
        FakeAccount yesToAll = fake(request -> plain(200, "{\"object\":\"list\",\"data\":[]}"));
        RunningProxy proxy = servers.proxy().backend("real", real.url(), 1, "backend-key").backend("yes", yesToAll.url(), 1, "backend-key").start();

        HttpResponse<String> response = proxy.get(FILES + "/file-real1");

        assertThat(response.headers().firstValue("x-spillway-backend")).as(response.body()).hasValue("real");
        assertThat(json.readTree(response.body()).path("id").asText()).isEqualTo("file-real1");
    }

    /**
     * The Uploads API has no GET of an upload (create, add part, complete, cancel only), so the
     * lookup of an upload the proxy does not remember (after a restart, through another replica) gets
     * the account's route-not-found 404 everywhere: the client's next part is refused with 404 although
     * its account holds the upload. README lists uploads among the objects that are routed to their
     * account.
     */
    @Test
    void anUploadThisReplicaNeverSawIsRefusedSayingWhyAndReachesNoAccount() {
        FakeAccount home = fake(FakeAccount::uploadsApi);
        FakeAccount other = fake(FakeAccount::uploadsApi);
        RunningProxy first = servers.proxy().backend("home", home.url(), 1, "backend-key").backend("other", other.url(), 2, "backend-key").start();
        HttpResponse<String> created = first.post("/openai/v1/uploads",
                "{\"purpose\":\"batch\",\"filename\":\"a.jsonl\",\"bytes\":3,\"mime_type\":\"text/jsonl\"}");
        assertThat(created.headers().firstValue("x-spillway-backend")).hasValue("home");
        String uploadId = body(created).path("id").asText();
        RunningProxy restarted = servers.proxy().backend("home", home.url(), 1, "backend-key").backend("other", other.url(), 2, "backend-key").start();

        HttpResponse<String> completed = restarted.post("/openai/v1/uploads/" + uploadId + "/complete", "{\"part_ids\":[]}");

        // The Uploads API has no retrieve, so there is nothing to look the upload up with; a random
        // account would add the part to nothing, so the client is told instead.
        assertThat(completed.statusCode()).as(completed.body()).isEqualTo(404);
        assertThat(body(completed).path("error").path("code").asText()).isEqualTo("object_home_unknown");
        assertThat(home.requests("POST") + other.requests("POST")).as("only the create reached an account").isEqualTo(1);
    }

    /**
     * A client that gives up while the proxy is still looking for the object's home: once the lookup
     * ends, the proxy sends the request (here a token-spending Responses call) to the account anyway,
     * for nobody.
     */

    /**
     * README: a miss costs one lookup per account "once per object per replica". Requests that name
     * the same unknown object at the same time each run their own lookup at every account (no
     * single flight), so ten concurrent follow-ups after a restart cost ten lookups per account.
     */
    @Test
    void concurrentRequestsNamingTheSameUnknownObjectShareOneLookup() throws Exception {
        FakeAccount home = fake(request -> {
            Thread.sleep(300);
            return plain(200, "{\"id\":\"file-shared\",\"object\":\"file\"}");
        });
        FakeAccount other = fake(request -> {
            Thread.sleep(300);
            return plain(404, "{\"error\":{\"message\":\"No such File object\"}}");
        });
        RunningProxy proxy = servers.proxy().backend("home", home.url(), 1, "backend-key").backend("other", other.url(), 1, "backend-key").start();

        List<Thread> clients = new ArrayList<>();
        AtomicInteger served = new AtomicInteger();
        for (int i = 0; i < 10; i++) {
            clients.add(Thread.ofVirtual().start(() -> {
                if (proxy.get(FILES + "/file-shared").statusCode() == 200) {
                    served.incrementAndGet();
                }
            }));
        }
        for (Thread client : clients) {
            client.join();
        }

        assertThat(served.get()).isEqualTo(10);
        assertThat(other.requests("GET")).as("lookups of one object at the account that does not hold it").isEqualTo(1);
    }

    // ------------------------------------------------------------------------------------------
    // Checked, and held up
    // ------------------------------------------------------------------------------------------

    @Test
    void objectIdsNeverBecomeMetricLabels() {
        RunningProxy proxy = proxyOver(servers.account(), servers.account());
        for (int i = 0; i < 20; i++) {
            proxy.get(RESPONSES + "/resp_label_probe_" + i);
            proxy.post(RESPONSES, "{\"model\":\"chat\",\"input\":\"x\",\"previous_response_id\":\"resp_body_probe_" + i + "\"}");
        }
        String metrics = proxy.get("/metrics").body();
        assertThat(metrics).doesNotContain("label_probe").doesNotContain("body_probe");
        assertThat(metrics).contains("spillway_object_home_lookups_total{result=\"not_found\"} 40.0");
    }

    @Test
    void oddlyTypedRefsNeitherCrashNorPin() {
        Simulator a = servers.account();
        RunningProxy proxy = proxyOver(a, servers.account());
        for (String field : List.of("\"previous_response_id\":123", "\"previous_response_id\":null", "\"conversation\":[]",
                "\"conversation\":{\"id\":42}", "\"previous_response_id\":\"\"", "\"previous_response_id\":\"   \"",
                "\"vector_store_ids\":[null,1,{},[]]")) {
            HttpResponse<String> response = proxy.post(RESPONSES, "{\"model\":\"chat\",\"input\":\"x\"," + field + "}");
            assertThat(response.statusCode()).as(field + ": " + response.body()).isLessThan(500);
        }
        StringBuilder deep = new StringBuilder("{\"model\":\"chat\",\"input\":");
        deep.append("[{\"file_ids\":".repeat(400)).append("\"f\"").append("}]".repeat(400)).append('}');
        HttpResponse<String> response = proxy.post(RESPONSES, deep.toString());
        assertThat(response.statusCode()).as(abbreviate(response.body())).isLessThan(500);
    }

    @Test
    void idsWithOddCharactersInThePathAreRefusedOrSentCanonically() {
        FakeAccount a = fake(request -> plain(404, "{\"error\":{\"message\":\"nope\"}}"));
        RunningProxy proxy = servers.proxy().backend("a", a.url(), 1, "backend-key").start();
        for (String path : List.of("/..", "/%2E%2E", "/a%2Fb", "/%25", "/x;y")) {
            RawClient.Answer answer = RawClient.send(proxy.url(), "GET " + FILES + path + " HTTP/1.1\r\nHost: p\r\napi-key: "
                    + RunningProxy.CLIENT_KEY + "\r\nConnection: close\r\n\r\n", Duration.ofSeconds(5));
            assertThat(answer.statusLine()).as(path).contains("400");
        }
        HttpResponse<String> unicode = proxy.get(FILES + "/file-%C3%A9%E2%82%AC");
        assertThat(unicode.statusCode()).isEqualTo(404);
        assertThat(a.seen()).extracting(FakeAccount.Seen::target).containsExactly(FILES + "/file-%C3%A9%E2%82%AC");
    }

    /** 201, chunked, the id split across chunks sent apart: learned before the client can name it. */
    @Test
    void aCreatedIdSplitAcrossChunksOfA201IsLearned() {
        FakeAccount home = fake(request -> request.method().equals("POST")
                ? chunked(201, "{\"object\":\"file\",\"i", "d\":\"file-sp", "lit123\",\"bytes\":3}")
                : plain(200, "{\"id\":\"file-split123\",\"object\":\"file\"}"));
        FakeAccount other = fake(request -> plain(404, "{\"error\":{\"message\":\"No such File object\"}}"));
        RunningProxy proxy = servers.proxy().backend("home", home.url(), 1, "backend-key").backend("other", other.url(), 2, "backend-key").start();

        HttpResponse<String> created = upload(proxy, "a.jsonl", "{}\n");
        HttpResponse<String> read = proxy.get(FILES + "/file-split123");

        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(read.headers().firstValue("x-spillway-backend")).hasValue("home");
        assertThat(other.requests("GET")).as("no lookup").isZero();
    }

    /**
     * README: "For such requests the proxy asks the account for an unencoded answer (it drops
     * Accept-Encoding)". OpenAiHandler.forwardedHeaders does drop the client's header, but the
     * account still gets {@code Accept-Encoding: gzip}: Jetty 12.1's HttpClient.doStart installs the
     * gzip decoder again (jetty-compression-gzip is on the classpath) after Forwarder cleared the
     * decoder factories, and adds the header to every upstream request, then decodes the answer. So
     * the strip is dead code and the README claim is false; learning still works, on the decoded bytes.
     */
    @Test
    void aCreatingRequestReachesTheAccountWithoutAcceptEncoding() {
        FakeAccount home = fake(request -> request.method().equals("POST")
                ? gzipped(200, "{\"id\":\"file-gz1\",\"object\":\"file\"}")
                : plain(200, "{\"id\":\"file-gz1\",\"object\":\"file\"}"));
        FakeAccount other = fake(request -> plain(404, "{\"error\":{\"message\":\"No such File object\"}}"));
        RunningProxy proxy = servers.proxy().backend("home", home.url(), 1, "backend-key").backend("other", other.url(), 2, "backend-key").start();

        HttpResponse<String> created = upload(proxy, "a.jsonl", "{}\n", "Accept-Encoding", "br");
        HttpResponse<String> read = proxy.get(FILES + "/file-gz1");

        assertThat(created.statusCode()).isEqualTo(200);
        assertThat(read.headers().firstValue("x-spillway-backend")).hasValue("home");
        assertThat(home.seen().get(0).headers()).as("what the account was sent for a creating request")
                .doesNotContainKey("Accept-Encoding");
    }

    /** A client that leaves while a lookup hangs at one account: the exchange still ends, and nothing stays in flight. */
    @Test
    void aClientThatLeavesDuringAHangingLookupLeavesNothingInFlight() throws Exception {
        FakeAccount hanging = fake(request -> null);
        FakeAccount other = fake(request -> plain(404, "{\"error\":{\"message\":\"not found\"}}"));
        RunningProxy proxy = servers.proxy().env("SPILLWAY_HEADERS_TIMEOUT_MS", "2000")
                .backend("hanging", hanging.url(), 1, "backend-key").backend("other", other.url(), 1, "backend-key").start();

        RawClient.Answer answer = RawClient.send(proxy.url(), "GET " + FILES + "/file-nowhere HTTP/1.1\r\nHost: proxy\r\napi-key: "
                + RunningProxy.CLIENT_KEY + "\r\n\r\n", Duration.ofMillis(300));
        assertThat(answer.text()).isEmpty();
        Thread.sleep(4_000);

        assertThat(proxy.get("/metrics").body()).contains("spillway_in_flight_requests 0.0")
                .contains("spillway_object_home_lookups_total{result=\"unreachable\"} 1.0");
        assertThat(proxy.get("/readyz", "X-No-Credential", "1").statusCode()).isEqualTo(200);
        assertThat(proxy.get(FILES + "/file-after").statusCode()).isEqualTo(503);
    }

    /** An event stream whose first data line is not JSON, and a JSON answer whose id is past 16 KB: nothing learned, nothing broken. */
    @Test
    void unreadableCreationsAreRelayedWholeAndFoundByALookupLater() {
        String padding = "x".repeat(20_000);
        FakeAccount home = fake(request -> {
            if (request.method().equals("POST") && request.body().contains("\"stream\":true")) {
                return stream("data: [not json]\n\n", "data: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_sse1\"}}\n\n");
            }
            if (request.method().equals("POST")) {
                return plain(200, "{\"object\":\"response\",\"padding\":\"" + padding + "\",\"id\":\"resp_late1\"}");
            }
            return plain(200, "{\"id\":\"" + lastSegment(request.target()) + "\",\"object\":\"response\"}");
        });
        FakeAccount other = fake(request -> plain(404, "{\"error\":{\"message\":\"not found\"}}"));
        RunningProxy proxy = servers.proxy().backend("home", home.url(), 1, "backend-key").backend("other", other.url(), 2, "backend-key").start();

        HttpResponse<String> streamed = proxy.post(RESPONSES, "{\"model\":\"chat\",\"input\":\"x\",\"stream\":true}");
        HttpResponse<String> late = proxy.post(RESPONSES, "{\"model\":\"chat\",\"input\":\"x\"}");
        HttpResponse<String> readSse = proxy.get(RESPONSES + "/resp_sse1");
        HttpResponse<String> readLate = proxy.get(RESPONSES + "/resp_late1");

        assertThat(streamed.body()).contains("resp_sse1");
        assertThat(late.body()).hasSizeGreaterThan(20_000).endsWith("\"id\":\"resp_late1\"}");
        assertThat(readSse.headers().firstValue("x-spillway-backend")).hasValue("home");
        assertThat(readLate.headers().firstValue("x-spillway-backend")).hasValue("home");
    }

    /** A lookup answered 200 with an 8 MB body is cut off; the proxy keeps serving after many such misses. */
    @Test
    void hugeLookupAnswersAndManyMissesLeaveTheProxyServing() {
        byte[] huge = new byte[8 * 1024 * 1024];
        java.util.Arrays.fill(huge, (byte) ' ');
        FakeAccount big = fake(request -> request.target().contains("file-big")
                ? new byte[][] {("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + (huge.length + 18) + "\r\n\r\n{\"id\":\"file-big\",")
                        .getBytes(StandardCharsets.US_ASCII), huge, "}".getBytes(StandardCharsets.US_ASCII)}
                : plain(404, "{\"error\":{\"message\":\"nope\"}}"));
        Simulator sim = servers.account();
        RunningProxy proxy = servers.proxy().backend("big", big.url(), 1, "backend-key").backend("sim", sim.url(), 1, "backend-key").start();

        for (int i = 0; i < 200; i++) {
            assertThat(proxy.get(FILES + "/file-miss-" + i).statusCode()).isEqualTo(404);
        }
        HttpResponse<String> found = proxy.get(FILES + "/file-big");

        assertThat(found.headers().firstValue("x-spillway-backend")).hasValue("big");
        assertThat(found.body()).hasSize(huge.length + 18);
        assertThat(proxy.get(FILES + "/file-miss-last").statusCode()).isEqualTo(404);
        assertThat(proxy.get("/metrics").body()).contains("spillway_in_flight_requests 0.0");
    }

    /** Multipart: the model part after a large file, a model part with a filename, and more than 1,000 parts after the model. */
    @Test
    void multipartModelsAreFoundWhereverThePartIs() {
        FakeAccount a = fake(request -> plain(200, "{\"text\":\"ok\"}"));
        RunningProxy proxy = servers.proxy().backend("a", a.url(), 1, "backend-key").start();
        String boundary = "b0undary";
        String file = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n"
                + "y".repeat(15 * 1024 * 1024) + "--" + boundary + "\r\n";
        String model = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper\r\n";
        String end = "--" + boundary + "--\r\n";

        HttpResponse<String> late = form(proxy, boundary, file + model + end);
        HttpResponse<String> withFilename = form(proxy, boundary,
                "--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"; filename=\"m.txt\"\r\n\r\nwhisper\r\n" + end);
        HttpResponse<String> manyParts = form(proxy, boundary, model
                + ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n").repeat(1_500) + end);
        HttpResponse<String> noBoundary = proxy.send(proxy.request("/openai/v1/audio/transcriptions")
                .setHeader("Content-Type", "multipart/form-data")
                .POST(HttpRequest.BodyPublishers.ofString(model + end)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(late.statusCode()).as(late.body()).isEqualTo(200);
        assertThat(withFilename.statusCode()).as("a file part named model is not the model").isEqualTo(400);
        assertThat(manyParts.statusCode()).as(manyParts.body()).isEqualTo(200);
        assertThat(noBoundary.statusCode()).isEqualTo(400);
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    private RunningProxy proxyOver(Simulator... accounts) {
        RunningProxy.Builder builder = servers.proxy();
        for (int i = 0; i < accounts.length; i++) {
            builder.backend("openai" + (i + 1), accounts[i], 1);
        }
        return builder.start();
    }

    private FakeAccount fake(FakeAccount.Script script) {
        FakeAccount account = new FakeAccount(script);
        closeAfter.add(account);
        return account;
    }

    private JsonNode body(HttpResponse<String> response) {
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String lastSegment(String target) {
        String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "... (" + text.length() + " chars)" : text;
    }

    private static String uploadForm(String boundary, String filename, String content) {
        return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
    }

    private static HttpResponse<String> upload(RunningProxy proxy, String filename, String content, String... headers) {
        String boundary = "hostile-boundary";
        return proxy.send(proxy.request(FILES, headers).setHeader("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(uploadForm(boundary, filename, content))).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> form(RunningProxy proxy, String boundary, String form) {
        return proxy.send(proxy.request("/openai/v1/audio/transcriptions").setHeader("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Creates a file at the account itself, not through the proxy: the proxy has never seen it. */
    private static String uploadDirectly(Simulator account, String filename, String content) throws Exception {
        String boundary = "direct-boundary";
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(account.url() + FILES))
                .header("api-key", "backend-key").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(uploadForm(boundary, filename, content))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    static byte[][] plain(int status, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return new byte[][] {("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), bytes};
    }

    static byte[][] chunked(int status, String... chunks) {
        List<byte[]> pieces = new ArrayList<>();
        pieces.add(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        for (String chunk : chunks) {
            byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
            pieces.add((Integer.toHexString(bytes.length) + "\r\n" + chunk + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        pieces.add("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return pieces.toArray(byte[][]::new);
    }

    static byte[][] stream(String... events) {
        byte[][] pieces = chunked(200, events);
        pieces[0] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        return pieces;
    }

    static byte[][] gzipped(int status, String body) {
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(body.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new byte[][] {("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: "
                + zipped.size() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), zipped.toByteArray()};
    }

    /**
     * An HTTP/1.1 server on loopback, kept alive, that answers each request as its script says (in
     * pieces, each flushed 50 ms apart; null: never answer) and records the request line as it arrived.
     */
    static final class FakeAccount implements AutoCloseable {

        record Seen(String method, String target, Map<String, String> headers, String body) {}

        interface Script {
            byte[][] answer(Seen request) throws Exception;
        }

        private final ServerSocket server;
        private final Script script;
        private final AtomicInteger connections = new AtomicInteger();
        private final AtomicInteger open = new AtomicInteger();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final List<Seen> seen = new CopyOnWriteArrayList<>();

        FakeAccount(Script script) {
            this.script = script;
            try {
                server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread.ofVirtual().start(this::accept);
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        /** Connections the proxy has not closed yet. */
        int open() {
            return open.get();
        }

        List<Seen> seen() {
            return List.copyOf(seen);
        }

        long requests(String method) {
            return seen.stream().filter(r -> r.method().equals(method)).count();
        }

        /** OpenAI's Uploads API: create, add part, complete, cancel; there is no GET of an upload. */
        static byte[][] uploadsApi(Seen request) {
            String target = request.target();
            if (request.method().equals("POST") && target.equals("/openai/v1/uploads")) {
                return plain(200, "{\"id\":\"upload_" + Integer.toHexString(System.identityHashCode(request)) + "\",\"object\":\"upload\","
                        + "\"status\":\"pending\"}");
            }
            if (request.method().equals("POST") && target.matches("/openai/v1/uploads/upload_[0-9a-f]+/(parts|complete|cancel)")) {
                return plain(200, "{\"id\":\"" + target.split("/")[4] + "\",\"object\":\"upload\",\"status\":\"completed\"}");
            }
            return plain(404, "{\"error\":{\"code\":\"404\",\"message\":\"Resource not found\"}}");
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    connections.incrementAndGet();
                    open.incrementAndGet();
                    sockets.add(socket);
                    Thread.ofVirtual().start(() -> serve(socket));
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            try (socket) {
                InputStream in = new BufferedInputStream(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                while (true) {
                    String head = readHead(in);
                    if (head == null) {
                        return;
                    }
                    String[] lines = head.split("\r\n");
                    String[] requestLine = lines[0].split(" ");
                    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                    for (int i = 1; i < lines.length; i++) {
                        int colon = lines[i].indexOf(':');
                        if (colon > 0) {
                            headers.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
                        }
                    }
                    byte[] body = headers.containsKey("Content-Length") ? in.readNBytes(Integer.parseInt(headers.get("Content-Length"))) : new byte[0];
                    Seen request = new Seen(requestLine[0], requestLine[1], headers, new String(body, StandardCharsets.UTF_8));
                    seen.add(request);
                    byte[][] answer = script.answer(request);
                    if (answer == null) {
                        while (in.read() != -1) {
                            // hang until the proxy gives up on the connection
                        }
                        return;
                    }
                    for (int i = 0; i < answer.length; i++) {
                        out.write(answer[i]);
                        out.flush();
                        if (i < answer.length - 1 && answer.length > 2) {
                            Thread.sleep(50);
                        }
                    }
                }
            } catch (Exception gone) {
                // the proxy closed the connection
            } finally {
                open.decrementAndGet();
            }
        }

        private static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            int b;
            while ((b = in.read()) != -1) {
                head.write(b);
                matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
                if (matched == 4) {
                    return head.toString(StandardCharsets.ISO_8859_1);
                }
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
