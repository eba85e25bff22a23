package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Keeps the README true: every {@code ```console} block is run against the service on a random port, command by
 * command, and what each {@code $ curl ...} prints must be exactly the lines the README shows under it. A line
 * that is only {@code ...} stands for lines the README leaves out. Shell variables set in the blocks
 * ({@code $ K=...}) are kept for later commands; {@code localhost:8080} means this test's server. The whole
 * walk-through is run twice, because the README promises that pasting it twice prints the same.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ReadmeWalkthroughTest {

    @LocalServerPort
    int port;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Command(int line, String text, List<String> expected) {
    }

    @Test
    void theReadmesConsoleBlocks_printWhatTheReadmeShows_twice() throws IOException {
        List<Command> commands = commands(Files.readAllLines(Path.of("README.md"), StandardCharsets.UTF_8));
        assertThat(commands.stream().filter(c -> c.text().startsWith("curl "))).as("curl commands in the README").hasSizeGreaterThan(15);
        for (int round = 1; round <= 2; round++) {
            Map<String, String> variables = new HashMap<>();
            for (Command command : commands) {
                run(command, variables, round);
            }
        }
    }

    /** The commands of every ```console block, each with the output lines under it. */
    static List<Command> commands(List<String> readme) {
        List<Command> commands = new ArrayList<>();
        boolean inBlock = false;
        for (int i = 0; i < readme.size(); i++) {
            String line = readme.get(i);
            if (!inBlock) {
                inBlock = line.trim().equals("```console");
                continue;
            }
            if (line.trim().equals("```")) {
                inBlock = false;
            } else if (line.startsWith("$ ")) {
                commands.add(new Command(i + 1, line.substring(2).trim(), new ArrayList<>()));
            } else if (commands.isEmpty()) {
                fail("README line " + (i + 1) + ": output before any command in a console block");
            } else {
                commands.get(commands.size() - 1).expected().add(line.stripTrailing());
            }
        }
        return commands;
    }

    private void run(Command command, Map<String, String> variables, int round) {
        List<String> words = Shell.words(command.text(), variables);
        String where = "README line " + command.line() + " (round " + round + "): " + command.text();
        if (words.size() == 1 && words.get(0).matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
            String word = words.get(0);
            variables.put(word.substring(0, word.indexOf('=')), word.substring(word.indexOf('=') + 1));
            assertThat(command.expected()).as(where + " prints nothing").isEmpty();
            return;
        }
        if (words.isEmpty() || !words.get(0).equals("curl")) {
            fail(where + ": only curl and VAR=value are run from the README's console blocks");
        }
        String output = curl(words.subList(1, words.size()), where);
        List<String> actual = output.isEmpty() ? List.of() : List.of(output.replaceFirst("\n$", "").split("\n", -1));
        assertThat(matches(command.expected(), actual.stream().map(String::stripTrailing).toList()))
                .as(where + "\nREADME shows:\n" + String.join("\n", command.expected()) + "\nthe service printed:\n" + output)
                .isTrue();
    }

    /** Exact line-by-line match, where a README line "..." matches any number of lines. */
    static boolean matches(List<String> expected, List<String> actual) {
        if (expected.isEmpty()) {
            return actual.isEmpty();
        }
        if (expected.get(0).equals("...")) {
            for (int skip = 0; skip <= actual.size(); skip++) {
                if (matches(expected.subList(1, expected.size()), actual.subList(skip, actual.size()))) {
                    return true;
                }
            }
            return false;
        }
        return !actual.isEmpty() && expected.get(0).equals(actual.get(0))
                && matches(expected.subList(1, expected.size()), actual.subList(1, actual.size()));
    }

    /** The curl options the README uses: -s, -N, -X, -H, -d/--data-binary and -o /dev/null. */
    private String curl(List<String> args, String where) {
        String method = null;
        String body = null;
        String url = null;
        boolean discard = false;
        Map<String, String> headers = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "-s", "-sS", "-N", "-sN" -> {
                }
                case "-X" -> method = args.get(++i);
                case "-H" -> {
                    String header = args.get(++i);
                    headers.put(header.substring(0, header.indexOf(':')).trim().toLowerCase(), header.substring(header.indexOf(':') + 1).trim());
                }
                case "-d", "--data", "--data-binary" -> body = args.get(++i);
                case "-o" -> discard = args.get(++i).equals("/dev/null");
                default -> {
                    if (arg.startsWith("-X")) {
                        method = arg.substring(2);
                    } else if (arg.startsWith("-")) {
                        fail(where + ": the test does not know curl's " + arg);
                    } else {
                        url = arg;
                    }
                }
            }
        }
        assertThat(url).as(where + ": a URL").isNotNull();
        url = "http://" + url.replaceFirst("^https?://", "").replace("localhost:8080", "localhost:" + port);
        if (method == null) {
            method = body == null ? "GET" : "POST";
        }
        if (body != null && !headers.containsKey("content-type")) {
            headers.put("content-type", "application/x-www-form-urlencoded"); // as curl -d sends it
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return discard ? "" : response.body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(where + ": " + e, e);
        }
    }

    /** Splits a command line as a POSIX shell would for the quoting the README uses, expanding $VAR and ${VAR}. */
    static final class Shell {
        private Shell() {
        }

        static List<String> words(String line, Map<String, String> variables) {
            List<String> words = new ArrayList<>();
            StringBuilder word = null;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == ' ' || c == '\t') {
                    if (word != null) {
                        words.add(word.toString());
                        word = null;
                    }
                    continue;
                }
                if (word == null) {
                    word = new StringBuilder();
                }
                if (c == '\'') {
                    int end = line.indexOf('\'', i + 1);
                    word.append(line, i + 1, end);
                    i = end;
                } else if (c == '"') {
                    int j = i + 1;
                    while (line.charAt(j) != '"') {
                        char d = line.charAt(j);
                        if (d == '\\' && "\"\\$`".indexOf(line.charAt(j + 1)) >= 0) {
                            word.append(line.charAt(j + 1));
                            j += 2;
                        } else if (d == '$') {
                            j = expand(line, j, variables, word);
                        } else {
                            word.append(d);
                            j++;
                        }
                    }
                    i = j;
                } else if (c == '$') {
                    i = expand(line, i, variables, word) - 1;
                } else if (c == '\\' && i + 1 < line.length()) {
                    word.append(line.charAt(++i));
                } else {
                    word.append(c);
                }
            }
            if (word != null) {
                words.add(word.toString());
            }
            return words;
        }

        /** Appends the value of the variable at {@code at} (a '$') and returns the index after its name. */
        private static int expand(String line, int at, Map<String, String> variables, StringBuilder out) {
            int start = at + 1;
            boolean braced = start < line.length() && line.charAt(start) == '{';
            int i = braced ? start + 1 : start;
            int nameStart = i;
            while (i < line.length() && (Character.isLetterOrDigit(line.charAt(i)) || line.charAt(i) == '_')) {
                i++;
            }
            String name = line.substring(nameStart, i);
            if (name.isEmpty()) {
                out.append('$');
                return start;
            }
            String value = variables.get(name);
            if (value == null) {
                throw new AssertionError("the README uses $" + name + " before setting it");
            }
            out.append(value);
            return braced ? i + 1 : i;
        }
    }
}
