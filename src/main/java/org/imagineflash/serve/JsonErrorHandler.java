package org.imagineflash.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.imagineflash.model.ModelStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Jetty's own errors (malformed request line, URI or headers too long: 400, 414, 431) as one-line JSON. */
final class JsonErrorHandler extends ErrorHandler {
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(body(reason == null ? HttpStatus.getMessage(status) : reason));
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request, HttpServletResponse response, int code,
                                              String message) throws IOException {
        baseRequest.setHandled(true);
        response.setContentType("application/json");
        response.getOutputStream().write(body(message == null ? HttpStatus.getMessage(code) : message));
    }

    private static byte[] body(String message) {
        String line = message.lines().findFirst().orElse("");
        try {
            return ("{\"error\":" + ModelStore.JSON.writeValueAsString(line) + "}").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            return "{\"error\":\"error\"}".getBytes(StandardCharsets.UTF_8);
        }
    }
}
