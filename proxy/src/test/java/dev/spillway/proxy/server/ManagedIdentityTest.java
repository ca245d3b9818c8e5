package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.ReceivedRequest;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.time.OffsetDateTime;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;

/** Backends without an API key get an Entra ID token, fetched once and reused. */
class ManagedIdentityTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private RunningProxy proxy;


    @Test
    void backendTokenIsFetchedOnceForManyRequests() {
        CountingCredential credential = new CountingCredential("entra-token-1");
        Simulator account = servers.account(SimulatorOptions.defaults().withApiKey("entra-token-1"));
        proxy = servers.proxy().backend("openai1", account.url(), 1, null).entraCredential(credential).start();

        for (int i = 0; i < 25; i++) {
            assertThat(proxy.chat("chat").statusCode()).isEqualTo(200);
        }

        assertThat(credential.calls.get()).isEqualTo(1);
        assertThat(credential.scope).isEqualTo("https://cognitiveservices.azure.com/.default");
        ReceivedRequest received = account.traffic().recent().get(0);
        assertThat(received.header("Authorization")).isEqualTo("Bearer entra-token-1");
        assertThat(received.header("api-key")).isNull();
    }

    private static final class CountingCredential implements TokenCredential {
        private final String token;
        private final AtomicInteger calls = new AtomicInteger();
        private volatile String scope;

        CountingCredential(String token) {
            this.token = token;
        }

        @Override
        public Mono<AccessToken> getToken(TokenRequestContext request) {
            return Mono.fromSupplier(() -> getTokenSync(request));
        }

        @Override
        public AccessToken getTokenSync(TokenRequestContext request) {
            calls.incrementAndGet();
            scope = String.join(" ", request.getScopes());
            return new AccessToken(token, OffsetDateTime.now().plusHours(1));
        }
    }
}
