package dev.spillway.proxy.forward;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * Copies a backend's response to the client as it arrives: status, the headers that may cross,
 * then each chunk of the body as the backend's connection delivers it, written from the buffer it
 * was read into. The next chunk is read only once the client's socket took the last one, so a slow
 * client slows its backend down instead of filling the proxy's memory. Nothing is retried from
 * here on; the caller learns how the copy ended.
 *
 * <p>A body is never framed by closing the connection, since then a backend dying mid-body would
 * look like a clean end: a body of unknown length goes out chunked (HTTP/1.1), also to clients
 * that sent {@code Connection: close}, so that a cut leaves it without its final chunk. A body
 * with a known length keeps its {@code Content-Length}, so a cut leaves it short. A non-streaming
 * response commits nothing until its first body byte (or its end) has arrived, so a backend that
 * breaks before that is an ordinary failed attempt; a stream's headers go out at once instead.
 */
public final class ResponseRelay {

    /** How a relay ended. */
    public enum Ending {
        /** The whole response reached the client. */
        COMPLETE,
        /** The backend's response broke before anything was sent to the client: the attempt failed, and the client's response is untouched. */
        BROKE_BEFORE_BODY,
        /** The backend's response broke; the client's must be cut off. */
        UPSTREAM_BROKE,
        /** The client went away; the backend request was aborted. */
        CLIENT_GONE
    }

    /** @param bytes body bytes that reached the client */
    public record Result(Ending ending, long bytes, Throwable cause) {}

    /**
     * Starts the copy; {@code done} is told, once, how it ended.
     *
     * @param extraHeader a header the proxy adds, such as {@code x-spillway-backend}
     * @param tap         sees every body byte before the client does, to find the reported usage or a created object's id
     */
    public void relay(UpstreamResult.Response response, Response client, HttpField extraHeader, BodyTap tap, Consumer<Result> done) {
        relay(response, client, extraHeader, tap, null, done);
    }

    /** @param stripper takes out what the proxy asked the account to add to a stream, or null to relay the bytes as they are */
    public void relay(UpstreamResult.Response response, Response client, HttpField extraHeader, BodyTap tap, UsageStripper stripper,
                      Consumer<Result> done) {
        new Copy(response, client, extraHeader, tap, stripper, done).iterate();
    }

    public static boolean isStream(UpstreamResult.Response response) {
        String contentType = response.header("Content-Type");
        return contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    private static final class Copy extends IteratingCallback {
        private final UpstreamResult.Response response;
        private final Response client;
        private final HttpField extraHeader;
        private final BodyTap tap;
        private final UsageStripper stripper;
        private final Consumer<Result> done;
        private final boolean stream;
        private boolean headWritten;
        private boolean lastWritten;
        private Content.Chunk writing;
        private int writingBytes;
        private long relayed;
        private Result ending;

        Copy(UpstreamResult.Response response, Response client, HttpField extraHeader, BodyTap tap, UsageStripper stripper,
             Consumer<Result> done) {
            this.response = response;
            this.client = client;
            this.extraHeader = extraHeader;
            this.tap = tap;
            this.stripper = stripper;
            this.done = done;
            this.stream = isStream(response);
        }

        @Override
        protected Action process() {
            if (writing != null) {
                relayed += writingBytes;
                writing.release();
                writing = null;
            }
            if (lastWritten) {
                ending = new Result(Ending.COMPLETE, relayed, null);
                return Action.SUCCEEDED;
            }
            if (stream && !headWritten) {
                // A stream's headers go out at once: the client knows it was accepted before the first token.
                writeHead(true);
                client.write(false, BufferUtil.EMPTY_BUFFER, this);
                return Action.SCHEDULED;
            }
            Content.Chunk chunk = response.body().read();
            if (chunk == null) {
                response.body().demand(this::iterate);
                return Action.IDLE;
            }
            if (Content.Chunk.isFailure(chunk)) {
                ending = new Result(headWritten ? Ending.UPSTREAM_BROKE : Ending.BROKE_BEFORE_BODY, relayed, chunk.getFailure());
                return Action.SUCCEEDED;
            }
            ByteBuffer bytes = chunk.getByteBuffer();
            tap.accept(bytes);
            if (stripper != null) {
                bytes = stripper.strip(bytes, chunk.isLast());
            }
            if (!headWritten) {
                writeHead(!(chunk.isLast() && !chunk.hasRemaining()));
            }
            if (chunk.isLast()) {
                tap.ended();
            }
            writing = chunk;
            writingBytes = bytes.remaining();
            lastWritten = chunk.isLast();
            client.write(chunk.isLast(), bytes, this);
            return Action.SCHEDULED;
        }

        /** @param bodyFollows false when the backend's body is known to be empty */
        private void writeHead(boolean bodyFollows) {
            headWritten = true;
            client.setStatus(response.status());
            HttpFields.Mutable headers = client.getHeaders();
            Set<String> connectionTokens = HeaderPolicy.connectionTokens(response.headers().getValuesList(HttpHeader.CONNECTION));
            boolean sized = false;
            for (HttpField field : response.headers()) {
                // A stripped body is shorter than the account said.
                if (HeaderPolicy.forwardsResponseHeader(field, connectionTokens) && !(stripper != null && field.getHeader() == HttpHeader.CONTENT_LENGTH)) {
                    // The server framework sets no defaults on a core response, so every field is added as it came.
                    headers.add(field);
                    sized |= field.getHeader() == HttpHeader.CONTENT_LENGTH;
                }
            }
            if (bodyFollows && !sized) {
                // Jetty otherwise frames an unknown length by closing the connection when the client
                // asked for close; chunked is honoured on HTTP/1.1 whatever the client's Connection says.
                headers.put(HttpHeader.TRANSFER_ENCODING, "chunked");
            }
            headers.put(extraHeader);
        }

        @Override
        protected void onCompleteSuccess() {
            done.accept(ending);
        }

        @Override
        protected void onCompleteFailure(Throwable clientGone) {
            if (writing != null) {
                writing.release();
                writing = null;
            }
            // Cannot write to the client: the backend's exchange is of no use any more.
            response.abort(clientGone);
            done.accept(new Result(Ending.CLIENT_GONE, relayed, clientGone));
        }
    }
}
