package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.script.Harness;
import io.vkernel.script.ReportText;
import io.vkernel.script.Script;
import io.vkernel.script.ScriptLimits;
import io.vkernel.script.ScriptException;
import io.vkernel.script.ScriptParser;
import io.vkernel.script.ScriptReport;
import io.vkernel.script.ScriptRunner;
import io.vkernel.script.ScriptTooLargeException;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/**
 * Runs a packetdrill-format script against a fresh, private kernel on virtual time and answers with the verdict for
 * every line. The kernel is not in the sandbox registry and is discarded after the run; the report carries its wire.
 */
@RestController
@Tag(name = "scripts", description = "Run packetdrill-format scripts against a fresh kernel")
class ScriptController {

    private static final String EXAMPLE = """
            0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0   bind(3, ..., ...) = 0
            +0   listen(3, 1) = 0
            +0   < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
            +0   > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>
            +.1  < . 1:1(0) ack 1 win 257
            +0   accept(3, ..., ...) = 4
            """;

    private final ScriptLimits limits;

    ScriptController(ScriptLimits limits) {
        this.limits = limits;
    }

    @PostMapping(path = "/api/v1/scripts/runs", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "Run a packetdrill script", description = "The body is a script in packetdrill's format (text/plain). "
            + "It runs against a fresh kernel at " + Harness.LOCAL_IP + " (listener port " + Harness.LOCAL_PORT + ", remote "
            + Harness.REMOTE_IP + ") on virtual time, with the seed given (default " + Harness.DEFAULT_SEED + ") so runs "
            + "repeat exactly. The answer is 200 whether the script passes or fails, with every line's verdict, the first "
            + "failure and the wire; ?format=text prints it as a terminal would. A script that cannot be run (a parse "
            + "error, or a setup line or %{ }% code outside what vkernel understands: nothing is ever run) is a 400 problem naming "
            + "the line; one over the size bounds is 413.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(mediaType = MediaType.TEXT_PLAIN_VALUE,
                    schema = @Schema(type = "string"), examples = @ExampleObject(value = EXAMPLE))),
            responses = @ApiResponse(responseCode = "200", description = "the run's report",
                    content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = ScriptReport.class))))
    ResponseEntity<?> runScript(@RequestBody(required = false) String script, @RequestParam(required = false) Long seed,
                          @RequestParam(required = false) String format,
                          @Parameter(description = "kernel settings before the script's own, as name=value (repeatable), "
                                  + "e.g. net.ipv4.tcp_rmem=4096 87380 3145728 for scripts written for older defaults")
                          @RequestParam(required = false) List<String> sysctl, HttpServletRequest request) {
        boolean text = Formats.text(format);
        requirePlainText(request.getContentType());
        if (script == null || script.isBlank()) {
            throw ApiException.badField("script", "send the script as the text/plain request body, e.g. "
                    + "curl --data-binary @test.pkt -H 'content-type: text/plain' ...");
        }
        Script parsed;
        try {
            parsed = ScriptParser.parse(script, limits, sysctl == null ? List.of() : sysctl);
        } catch (ScriptException e) {
            if (e.line() == 0 && !(e instanceof ScriptTooLargeException)) {
                // line 0: a ?sysctl= parameter, not a line of the script
                throw ApiException.badField("sysctl", e.getMessage());
            }
            throw e;
        }
        ScriptReport report = ScriptRunner.run(parsed, seed != null ? seed : Harness.DEFAULT_SEED, limits);
        return text ? Formats.plain(ReportText.render(report)) : ResponseEntity.ok(report);
    }

    /** The script is sent as it is written: text/plain (any text/*, or octet-stream from tools that send files so). */
    private static void requirePlainText(String contentType) {
        if (contentType == null) {
            return;
        }
        MediaType type;
        try {
            type = MediaType.parseMediaType(contentType);
        } catch (IllegalArgumentException e) {
            type = MediaType.APPLICATION_JSON;
        }
        if (type.getType().equals("text") || type.equalsTypeAndSubtype(MediaType.APPLICATION_OCTET_STREAM)) {
            return;
        }
        String hint = type.equalsTypeAndSubtype(MediaType.APPLICATION_FORM_URLENCODED)
                ? " (curl -d sends a form and drops the newlines; use --data-binary @script.pkt -H 'content-type: text/plain')" : "";
        throw new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type",
                "send the script itself as text/plain, not " + type + hint, "Content-Type");
    }
}
