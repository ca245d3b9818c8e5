package dev.spillway.proxy.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import dev.spillway.proxy.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class EntraTokenCredentialTest {

    private static final Instant START = Instant.parse("2026-11-27T10:00:00Z");
    private final ManualClock clock = new ManualClock(START);
    private final ScriptedCredential azure = new ScriptedCredential();
    private final EntraTokenCredential credential = new EntraTokenCredential(azure, clock);

    @Test
    void tokenIsFetchedOnceAndReusedWhileFresh() {
        azure.willReturn("t1", START.plus(Duration.ofHours(1)));

        for (int i = 0; i < 100; i++) {
            assertThat(credential.token()).isEqualTo("t1");
        }
        assertThat(azure.calls).isEqualTo(1);
    }

    @Test
    void tokenIsRefreshedFiveMinutesBeforeItExpires() {
        azure.willReturn("t1", START.plus(Duration.ofHours(1)));
        azure.willReturn("t2", START.plus(Duration.ofHours(2)));
        credential.token();

        clock.advance(Duration.ofMinutes(54));
        assertThat(credential.token()).isEqualTo("t1");
        clock.advance(Duration.ofMinutes(1));
        assertThat(credential.token()).isEqualTo("t2");
    }

    @Test
    void failedRefreshKeepsUsingTheCachedTokenWhileItIsValid() {
        azure.willReturn("t1", START.plus(Duration.ofHours(1)));
        credential.token();
        clock.advance(Duration.ofMinutes(57));
        azure.willFail();

        assertThat(credential.token()).isEqualTo("t1");
    }

    @Test
    void noTokenAtAllIsACredentialFailure() {
        azure.willFail();

        assertThatThrownBy(credential::token).isInstanceOf(CredentialUnavailableException.class);
    }

    @Test
    void tokenIsSentAsABearerAuthorization() {
        azure.willReturn("t1", START.plus(Duration.ofHours(1)));
        HttpFields.Mutable headers = HttpFields.build();

        credential.authorize(headers);

        assertThat(headers.get("Authorization")).isEqualTo("Bearer t1");
    }

    private static final class ScriptedCredential implements TokenCredential {
        private final Deque<Object> script = new ArrayDeque<>();
        private int calls;

        void willReturn(String token, Instant expiresAt) {
            script.add(new AccessToken(token, expiresAt.atOffset(ZoneOffset.UTC)));
        }

        void willFail() {
            script.add(new IllegalStateException("token endpoint down"));
        }

        @Override
        public Mono<AccessToken> getToken(TokenRequestContext request) {
            return Mono.fromSupplier(() -> getTokenSync(request));
        }

        @Override
        public AccessToken getTokenSync(TokenRequestContext request) {
            calls++;
            Object next = script.isEmpty() ? new IllegalStateException("no more tokens scripted") : script.poll();
            if (next instanceof RuntimeException e) {
                throw e;
            }
            return (AccessToken) next;
        }
    }
}
