package io.vkernel.api;

import io.vkernel.journal.KernelJournal;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.io.PrintWriter;

/**
 * An answered request is durable: before the first byte of the answer to any request that may change a kernel (every
 * method but GET, HEAD and OPTIONS) leaves, everything the journal queued so far is committed. The wait covers the
 * request's own inputs and, through group commit, costs one commit shared by every request waiting at that moment.
 */
class JournalDurabilityFilter extends OncePerRequestFilter {

    private final KernelJournal journal;

    JournalDurabilityFilter(KernelJournal journal) {
        this.journal = journal;
    }

    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
    }

    @Override
    protected boolean shouldNotFilterErrorDispatch() {
        return false;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String method = request.getMethod();
        if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            chain.doFilter(request, response);
            return;
        }
        try (KernelJournal.Composing composing = journal.composing()) {
            Durable durable = new Durable(response, composing);
            chain.doFilter(request, durable);
            if (!request.isAsyncStarted()) {
                durable.settle();
            }
        }
    }

    private final class Durable extends HttpServletResponseWrapper {
        private final KernelJournal.Composing composing;
        private boolean settled;

        Durable(HttpServletResponse response, KernelJournal.Composing composing) {
            super(response);
            this.composing = composing;
        }

        /** The request's inputs are queued: the writer need not wait for it any more, and it waits for the commit. */
        void settle() {
            if (!settled) {
                settled = true;
                composing.close();
                journal.flush();
            }
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            settle();
            return super.getOutputStream();
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            settle();
            return super.getWriter();
        }

        @Override
        public void flushBuffer() throws IOException {
            settle();
            super.flushBuffer();
        }

        @Override
        public void sendError(int sc, String msg) throws IOException {
            settle();
            super.sendError(sc, msg);
        }

        @Override
        public void sendError(int sc) throws IOException {
            settle();
            super.sendError(sc);
        }

        @Override
        public void sendRedirect(String location) throws IOException {
            settle();
            super.sendRedirect(location);
        }
    }
}
