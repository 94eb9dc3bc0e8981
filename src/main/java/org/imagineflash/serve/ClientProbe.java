package org.imagineflash.serve;

import io.javalin.http.Context;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;

/**
 * Tells whether a client closed its connection while its request waits. Jetty does not read a connection while a
 * request is being handled, so it would not notice; a non-blocking read of one byte does: −1 is the client's close.
 * A byte (a pipelined next request, which browsers and HTTP clients do not send) ends the probing and closes the
 * connection after this response, so the byte taken cannot corrupt what follows.
 */
final class ClientProbe {
    private final Context ctx;
    private final EndPoint endPoint;
    private boolean stopped;

    ClientProbe(Context ctx) {
        this.ctx = ctx;
        Request base = Request.getBaseRequest(ctx.req());
        this.endPoint = base == null ? null : base.getHttpChannel().getEndPoint();
    }

    boolean gone() {
        if (endPoint == null || stopped) {
            return false;
        }
        try {
            int n = endPoint.fill(BufferUtil.allocate(1));
            if (n > 0) {
                stopped = true;
                ctx.header("Connection", "close");
            }
            return n < 0;
        } catch (IOException e) {
            return true;
        }
    }
}
