package io.vkernel.script;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one script line (comments already removed) into packetdrill's tokens: numbers ({@code 0.100}, {@code .1},
 * {@code 0x2}), words, quoted strings, the ellipsis {@code ...} and single punctuation characters. As in
 * packetdrill's lexer, {@code 0.000...0.100} is a number, an ellipsis and a number.
 */
final class Lexer {

    enum Kind { NUMBER, WORD, STRING, ELLIPSIS, PUNCT }

    /** One token and the column (1-based) where it starts, for error messages. */
    record Token(Kind kind, String text, int column) {
        boolean is(String punctOrWord) {
            return kind != Kind.STRING && text.equals(punctOrWord);
        }

        @Override
        public String toString() {
            return kind == Kind.STRING ? "\"" + text + "\"" : text;
        }
    }

    private Lexer() {
    }

    static List<Token> lex(String text, int line) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (text.startsWith("...", i)) {
                tokens.add(new Token(Kind.ELLIPSIS, "...", i + 1));
                i += 3;
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < text.length() && Character.isDigit(text.charAt(i + 1)))) {
                int end = number(text, i);
                tokens.add(new Token(Kind.NUMBER, text.substring(i, end), i + 1));
                i = end;
            } else if (Character.isLetter(c) || c == '_') {
                int end = i;
                while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                    end++;
                }
                tokens.add(new Token(Kind.WORD, text.substring(i, end), i + 1));
                i = end;
            } else if (c == '"') {
                i = string(text, i, line, tokens);
            } else if ("+*~<>.:()[]{},=|-/".indexOf(c) >= 0) {
                tokens.add(new Token(Kind.PUNCT, String.valueOf(c), i + 1));
                i++;
            } else {
                throw new ScriptException(line, "unexpected character '" + c + "' at column " + (i + 1));
            }
        }
        return tokens;
    }

    private static int number(String text, int start) {
        int i = start;
        if (text.startsWith("0x", i) || text.startsWith("0X", i)) {
            i += 2;
            while (i < text.length() && Character.digit(text.charAt(i), 16) >= 0) {
                i++;
            }
            return i;
        }
        while (i < text.length() && Character.isDigit(text.charAt(i))) {
            i++;
        }
        // a fraction needs a digit after the dot, so "0...0.1" stops before the ellipsis
        if (i + 1 < text.length() && text.charAt(i) == '.' && Character.isDigit(text.charAt(i + 1))) {
            i++;
            while (i < text.length() && Character.isDigit(text.charAt(i))) {
                i++;
            }
        }
        return i;
    }

    private static int string(String text, int start, int line, List<Token> tokens) {
        StringBuilder value = new StringBuilder();
        int i = start + 1;
        while (i < text.length() && text.charAt(i) != '"') {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(i + 1);
                value.append(switch (next) {
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    case '0' -> '\0';
                    case 'x' -> (char) -1;
                    default -> next;
                });
                if (next == 'x') {
                    // C's \xHH: one byte, as packetdrill's strings carry a key or binary data ("\xf7\x63...")
                    value.setLength(value.length() - 1);
                    int end = i + 2;
                    while (end < text.length() && end < i + 4 && Character.digit(text.charAt(end), 16) >= 0) {
                        end++;
                    }
                    if (end == i + 2) {
                        throw new ScriptException(line, "\\x at column " + (i + 1) + " needs hex digits, e.g. \\xf7");
                    }
                    value.append((char) Integer.parseInt(text.substring(i + 2, end), 16));
                    i = end;
                    continue;
                }
                i += 2;
            } else {
                value.append(c);
                i++;
            }
        }
        if (i >= text.length()) {
            throw new ScriptException(line, "string starting at column " + (start + 1) + " has no closing quote");
        }
        tokens.add(new Token(Kind.STRING, value.toString(), start + 1));
        return i + 1;
    }
}
