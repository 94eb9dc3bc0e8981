package org.imagineflash.serve;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;
import org.imagineflash.model.ModelStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Reads a request's JSON body under the server's limits, whatever its framing (Content-Length or chunked): only
 * {@code application/json} (415), at most {@code maxBodyBytes} (413), within {@code readTimeoutMillis} in all (408),
 * by at most {@code maxBodyReaders} requests at once (503 for the others, without reading), one JSON value with
 * nothing after it (400 naming line and column).
 */
final class RequestBody {
    private static final ObjectReader STRICT_JSON = ModelStore.JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final ServerLimits limits;
    private final Semaphore readers;

    RequestBody(ServerLimits limits) {
        this.limits = limits;
        this.readers = new Semaphore(limits.maxBodyReaders());
    }

    /** A request refused while its body was unread; its answer has already been sent. */
    static final class Refused extends RuntimeException {
        Refused() {
            super(null, null, false, false);
        }
    }

    /** The body as a JSON value. */
    JsonNode json(Context ctx) throws IOException {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new io.javalin.http.HttpResponseException(415, "send the request as Content-Type: application/json");
        }
        try {
            return STRICT_JSON.readTree(read(ctx));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new GenerateRequest.BadRequest("malformed JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + "; send one object like {\"prompt\": \"sneaker\"}");
        }
    }

    private byte[] read(Context ctx) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limits.maxBodyBytes()) {
            throw refuse(ctx, 413, tooLarge());
        }
        if (!readers.tryAcquire()) {
            throw refuse(ctx, 503, "server busy: too many requests are sending their bodies");
        }
        try {
            long deadline = System.nanoTime() + limits.readTimeoutMillis() * 1_000_000L;
            InputStream in = ctx.req().getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1024];
            for (int r; ; ) {
                try {
                    r = in.read(buf);
                } catch (IOException e) {
                    throw refuse(ctx, 408, tooSlow());
                }
                if (r < 0) {
                    break;
                }
                out.write(buf, 0, r);
                if (out.size() > limits.maxBodyBytes()) {
                    throw refuse(ctx, 413, tooLarge());
                }
                if (System.nanoTime() > deadline) {
                    throw refuse(ctx, 408, tooSlow());
                }
            }
            return out.toByteArray();
        } finally {
            readers.release();
        }
    }

    String tooLarge() {
        return "request body too large (max " + limits.maxBodyBytes() + " bytes)";
    }

    private String tooSlow() {
        return "request body not received within " + limits.readTimeoutMillis() + " ms";
    }

    /**
     * Sends a one-line JSON error at once and closes the connection after it: Jetty would otherwise hold the answer
     * until it had read (or timed out on) the unread rest of the body.
     */
    private static Refused refuse(Context ctx, int status, String message) {
        try {
            HttpServletResponse res = ctx.res();
            res.setStatus(status);
            res.setHeader("Connection", "close");
            res.setContentType("application/json");
            byte[] b = ModelStore.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(Map.of("error", message));
            res.setContentLength(b.length);
            res.getOutputStream().write(b);
            res.flushBuffer();
        } catch (IOException e) {
            // the client is gone
        }
        return new Refused();
    }
}
