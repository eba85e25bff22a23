package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.syscall.FileCalls;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

import java.util.List;
import java.util.Map;

/**
 * The file and pipe system calls over HTTP: open, lseek, pipe, sendfile and splice (read, write and close are the
 * socket calls' endpoints, which take any FD). Thin: the checks are the kernel's (io.vkernel.kernel.syscall.FileCalls).
 */
@RestController
@RequestMapping("/api/v1/kernels/{k}/processes/{pid}")
@Tag(name = "syscalls", description = "System calls on files and pipes: open, lseek, pipe, sendfile, splice")
class FileController {

    private static final Map<String, Integer> OPEN_FLAGS = Map.of("O_RDONLY", OpenFile.O_RDONLY, "O_WRONLY", OpenFile.O_WRONLY,
            "O_RDWR", OpenFile.O_RDWR, "O_CREAT", OpenFile.O_CREAT, "O_EXCL", OpenFile.O_EXCL, "O_TRUNC", OpenFile.O_TRUNC,
            "O_APPEND", OpenFile.O_APPEND, "O_NONBLOCK", OpenFile.O_NONBLOCK);

    record OpenCall(String path, List<String> flags) {
    }

    record LseekCall(Integer fd, Long offset, String whence) {
    }

    record PipeCall(List<String> flags) {
    }

    /** {@code offset} null is NULL: the in file's position is used and moved. */
    record SendfileCall(Integer outFd, Integer inFd, Long offset, Long count) {
    }

    record SpliceCall(Integer fdIn, Integer fdOut, Long len, List<String> flags) {
    }

    private final Kernels kernels;
    private final SyscallController syscalls;

    FileController(Kernels kernels, SyscallController syscalls) {
        this.kernels = kernels;
        this.syscalls = syscalls;
    }

    @PostMapping("/open")
    @Operation(summary = "open(path, flags)")
    DeferredResult<ResponseEntity<Views.SyscallView>> open(@PathVariable String k, @PathVariable int pid, @RequestBody OpenCall body) {
        String path = Inputs.required("path", body.path(), "a file under /tmp, e.g. /tmp/notes");
        if (path.length() > 4096) {
            throw ApiException.badField("path", "a path is at most 4096 characters (PATH_MAX)");
        }
        int flags = flags("flags", body.flags(), OPEN_FLAGS);
        Kernel kernel = kernels.get(k);
        return syscalls.answer(kernel, kernel.open(pid, path, flags), null, 0L);
    }

    @PostMapping("/lseek")
    @Operation(summary = "lseek(fd, offset, whence)")
    DeferredResult<ResponseEntity<Views.SyscallView>> lseek(@PathVariable String k, @PathVariable int pid, @RequestBody LseekCall body) {
        int fd = Inputs.required("fd", body.fd(), "the file descriptor number, e.g. 5");
        long offset = Inputs.required("offset", body.offset(), "the offset in bytes");
        String whence = body.whence() == null ? "SEEK_SET" : Inputs.oneOf("whence", body.whence(), FileCalls.WHENCE);
        Kernel kernel = kernels.get(k);
        return syscalls.answer(kernel, kernel.lseek(pid, fd, offset, FileCalls.WHENCE.indexOf(whence)), null, 0L);
    }

    @PostMapping("/pipe")
    @Operation(summary = "pipe() or pipe2(O_NONBLOCK)")
    ResponseEntity<Views.SyscallView> pipe(@PathVariable String k, @PathVariable int pid, @RequestBody(required = false) PipeCall body) {
        int flags = flags("flags", body == null ? null : body.flags(), Map.of("O_NONBLOCK", OpenFile.O_NONBLOCK));
        Kernel kernel = kernels.get(k);
        Syscalls.Done done = (Syscalls.Done) kernel.pipe(pid, flags);
        Views.SyscallView view = Views.result(done.result(), null);
        return ResponseEntity.ok(done.result().ret() == 0 ? view.asPipe() : view);
    }

    @PostMapping("/sendfile")
    @Operation(summary = "sendfile(out_fd, in_fd, offset, count)")
    DeferredResult<ResponseEntity<Views.SyscallView>> sendfile(@PathVariable String k, @PathVariable int pid, @RequestBody SendfileCall body,
                                                               @RequestParam(required = false) Long wait) {
        int out = Inputs.required("outFd", body.outFd(), "the FD to write to, e.g. a connection's 4");
        int in = Inputs.required("inFd", body.inFd(), "the regular file's FD to read from, e.g. 5");
        long count = Inputs.required("count", body.count(), "how many bytes to send");
        if (count < 0 || count > (1L << 31)) {
            throw ApiException.badField("count", "count is 0 to 2147483648, got " + count);
        }
        if (body.offset() != null && body.offset() < 0) {
            throw ApiException.badField("offset", "offset is at least 0 (or absent: NULL, the file position), got " + body.offset());
        }
        Kernel kernel = kernels.get(k);
        PacketReport report = new PacketReport(null);
        return syscalls.answer(kernel, kernel.sendfile(pid, out, in, body.offset(), count, report), report, wait);
    }

    @PostMapping("/splice")
    @Operation(summary = "splice(fd_in, NULL, fd_out, NULL, len, flags)")
    DeferredResult<ResponseEntity<Views.SyscallView>> splice(@PathVariable String k, @PathVariable int pid, @RequestBody SpliceCall body,
                                                             @RequestParam(required = false) Long wait) {
        int in = Inputs.required("fdIn", body.fdIn(), "the FD to read from, e.g. a connection's 4");
        int out = Inputs.required("fdOut", body.fdOut(), "the FD to write to, e.g. a pipe's write end");
        long len = Inputs.required("len", body.len(), "how many bytes to move");
        if (len < 0 || len > (1L << 31)) {
            throw ApiException.badField("len", "len is 0 to 2147483648, got " + len);
        }
        int flags = flags("flags", body.flags(), FileCalls.SPLICE_FLAGS);
        Kernel kernel = kernels.get(k);
        PacketReport report = new PacketReport(null);
        return syscalls.answer(kernel, kernel.splice(pid, in, out, len, flags, report), report, wait);
    }

    private static int flags(String field, List<String> names, Map<String, Integer> allowed) {
        int flags = 0;
        for (String name : names == null ? List.<String>of() : names) {
            Integer bit = name == null ? null : allowed.get(name);
            if (bit == null) {
                throw ApiException.badField(field, "the flags are " + String.join(", ", new java.util.TreeSet<>(allowed.keySet()))
                        + "; got '" + name + "'");
            }
            flags |= bit;
        }
        return flags;
    }
}
