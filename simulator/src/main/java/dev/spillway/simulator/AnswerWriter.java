package dev.spillway.simulator;

import dev.spillway.simulator.api.Answer;
import io.javalin.http.Context;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/**
 * Writes an {@link Answer} to the caller and records its status: whole bodies at once, events one
 * at a time at the token latency, with the stream faults (a connection dropped mid-stream) applied
 * here so every streamed API gets them alike.
 */
final class AnswerWriter {

    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    private final Faults faults;
    private final Traffic traffic;
    private final Duration tokenLatency;

    AnswerWriter(Faults faults, Traffic traffic, Duration tokenLatency) {
        this.faults = faults;
        this.traffic = traffic;
        this.tokenLatency = tokenLatency;
    }

    void write(Context ctx, Answer answer) throws IOException, InterruptedException {
        answer.headers().forEach(ctx::header);
        switch (answer.body()) {
            case Answer.Json body -> whole(ctx, answer.status(), "application/json", body.node().toString().getBytes(StandardCharsets.UTF_8));
            case Answer.Bytes body -> whole(ctx, answer.status(), body.contentType(), body.bytes());
            case Answer.Events body -> stream(ctx, body);
        }
    }

    private void whole(Context ctx, int status, String contentType, byte[] body) {
        traffic.answered(status);
        ctx.header("apim-request-id", UUID.randomUUID().toString());
        ctx.status(status).contentType(contentType).result(body);
    }

    private void stream(Context ctx, Answer.Events events) throws IOException, InterruptedException {
        traffic.answered(200);
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-cache");
        ServletOutputStream out = ctx.res().getOutputStream();
        int dropAfter = faults.dropStreamAfterChunks();
        int sent = 0;
        traffic.streamOpened();
        boolean abandoned = false;
        try {
            for (Answer.Event event : events.events()) {
                if (sent == dropAfter) {
                    out.flush();
                    // Abort the connection so the chunked body never gets its final chunk, as a broken backend would.
                    ServletContextRequest.getServletContextRequest(ctx.req()).getConnectionMetaData().getConnection()
                            .getEndPoint().close();
                    return;
                }
                if (event.paced() && !tokenLatency.isZero()) {
                    Thread.sleep(tokenLatency);
                }
                out.write(event.frame().getBytes(StandardCharsets.UTF_8));
                out.flush();
                sent++;
            }
            if (events.doneMarker()) {
                out.write(DONE);
                out.flush();
            }
        } catch (IOException callerGone) {
            abandoned = true;
        } finally {
            traffic.streamClosed(abandoned);
        }
    }
}
