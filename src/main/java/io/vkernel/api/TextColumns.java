package io.vkernel.api;

import java.util.ArrayList;
import java.util.List;

/**
 * Column layout as ss and lsof print when their output goes to a pipe: every column is as wide as its widest cell
 * (the header included), cells are padded left or right, and each column has its own separator before it.
 */
final class TextColumns {

    enum Align { LEFT, RIGHT }

    /** One column: its header, its alignment, the text printed before it, and its narrowest width. */
    record Column(String header, Align align, String before, int minWidth) {
        Column(String header, Align align, String before) {
            this(header, align, before, header.length());
        }
    }

    private final List<Column> columns;
    private final boolean padLast;
    private final List<String[]> rows = new ArrayList<>();

    /** {@code padLast}: ss pads the last column to its width (trailing spaces), lsof does not. */
    TextColumns(boolean padLast, Column... columns) {
        this.columns = List.of(columns);
        this.padLast = padLast;
    }

    TextColumns row(String... cells) {
        if (cells.length != columns.size()) {
            throw new IllegalArgumentException("expected " + columns.size() + " cells, got " + cells.length);
        }
        rows.add(cells);
        return this;
    }

    String render() {
        int[] widths = new int[columns.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = Math.max(columns.get(c).header().length(), columns.get(c).minWidth());
            for (String[] row : rows) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        StringBuilder out = new StringBuilder();
        String[] header = columns.stream().map(Column::header).toArray(String[]::new);
        line(out, header, widths);
        for (String[] row : rows) {
            line(out, row, widths);
        }
        return out.toString();
    }

    private void line(StringBuilder out, String[] cells, int[] widths) {
        int start = out.length();
        for (int c = 0; c < cells.length; c++) {
            Column column = columns.get(c);
            out.append(column.before());
            String cell = cells[c];
            String padding = " ".repeat(widths[c] - cell.length());
            out.append(column.align() == Align.RIGHT ? padding + cell : cell + padding);
        }
        if (!padLast) {
            int end = out.length();
            while (end > start && out.charAt(end - 1) == ' ') {
                end--;
            }
            out.setLength(end);
        }
        out.append('\n');
    }
}
