package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RawBackend;
import dev.spillway.proxy.testing.RawClient;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A response cut off by its backend must never look complete to the client, whatever the client's
 * {@code Connection} header said; and a backend that breaks before the first body byte is a
 * failed attempt, not a 200 with nothing in it.
 */
class CutOffResponseTest {

    private static final String PATH = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private RawBackend raw;

    @Test
    void streamCutMidwayReachesAConnectionCloseClientChunkedWithoutItsLastChunk() {
        raw = servers.raw(RawBackend.Behaviour.STREAM_THEN_DIE);
        RunningProxy proxy = servers.proxy().backend("dying", raw.url(), 1, "k").start();

        RawClient.Answer answer = RawClient.send(proxy.url(), RawClient.post(PATH, "HTTP/1.1", RunningProxy.chatBody(true)), Duration.ofSeconds(10));

        assertThat(answer.closed()).isTrue();
        assertThat(answer.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(answer.head()).containsIgnoringCase("Transfer-Encoding: chunked");
        assertThat(answer.body()).contains(RawBackend.FIRST_EVENT);
        assertThat(answer.body()).as("no terminating chunk").doesNotEndWith("0\r\n\r\n");
    }

    @Test
    void completeUnsizedResponseToAConnectionCloseClientEndsWithItsLastChunk() {
        Simulator account = servers.account();
        RunningProxy proxy = servers.proxy().backend("openai1", account, 1).start();

        RawClient.Answer answer = RawClient.send(proxy.url(), RawClient.post(PATH, "HTTP/1.1", RunningProxy.chatBody(true)), Duration.ofSeconds(10));

        assertThat(answer.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(answer.head()).containsIgnoringCase("Transfer-Encoding: chunked");
        assertThat(answer.body()).contains("data: [DONE]").endsWith("0\r\n\r\n");
    }

    @Test
    void backendBreakingBeforeTheFirstBodyByteFailsOverInsteadOfAnsweringAnEmpty200() {
        raw = servers.raw(RawBackend.Behaviour.HEADERS_THEN_CLOSE);
        Simulator healthy = servers.account();
        RunningProxy proxy = servers.proxy().backend("broken", raw.url(), 1, "k").backend("healthy", healthy, 2).start();

        RawClient.Answer answer = RawClient.send(proxy.url(), RawClient.post(PATH, "HTTP/1.1", RunningProxy.chatBody(false)), Duration.ofSeconds(10));

        assertThat(answer.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(answer.head()).containsIgnoringCase("x-spillway-backend: healthy");
        assertThat(answer.body()).contains("\"choices\"");
    }

    @Test
    void backendBreakingBeforeTheFirstBodyByteWithNoOtherBackendGets502() {
        raw = servers.raw(RawBackend.Behaviour.HEADERS_THEN_CLOSE);
        RunningProxy proxy = servers.proxy().backend("broken", raw.url(), 1, "k").start();

        RawClient.Answer answer = RawClient.send(proxy.url(), RawClient.post(PATH, "HTTP/1.1", RunningProxy.chatBody(false)), Duration.ofSeconds(10));

        assertThat(answer.statusLine()).startsWith("HTTP/1.1 502");
        assertThat(answer.body()).contains("\"code\":\"backend_unavailable\"");
    }

    @Test
    void streamCutMidwayReachesAnHttp10ClientAsAResetNotAnOrderlyClose() {
        raw = servers.raw(RawBackend.Behaviour.STREAM_THEN_DIE);
        RunningProxy proxy = servers.proxy().backend("dying", raw.url(), 1, "k").start();

        RawClient.Answer answer = RawClient.send(proxy.url(), RawClient.post(PATH, "HTTP/1.0", RunningProxy.chatBody(true)), Duration.ofSeconds(10));

        assertThat(answer.reset()).as("an HTTP/1.0 body cannot be chunked: only a reset tells the client it was cut").isTrue();
    }
}
