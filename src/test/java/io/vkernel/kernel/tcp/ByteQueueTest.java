package io.vkernel.kernel.tcp;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The receive and send queues' ring of bytes keeps order across wrap-around and growth. */
class ByteQueueTest {

    @Test
    void growingWhileWrapped_keepsTheBytesInOrder() {
        ByteQueue queue = new ByteQueue();
        queue.append(bytes(0, 60));
        queue.drop(50); // head at 50 of 64
        queue.append(bytes(60, 30)); // wraps: 14 bytes at the end, 16 at the start
        queue.append(bytes(90, 100)); // grows while wrapped
        assertThat(queue.size()).isEqualTo(140);
        assertThat(queue.peek(0, 140)).isEqualTo(bytes(50, 140));
        assertThat(queue.peek(13, 3)).isEqualTo(bytes(63, 3));
    }

    @Test
    void randomAppendsPeeksAndTakes_matchASimpleQueue() {
        Random random = new Random(16);
        ByteQueue queue = new ByteQueue();
        ArrayDeque<Byte> expected = new ArrayDeque<>();
        int next = 0;
        for (int op = 0; op < 5_000; op++) {
            int n = random.nextInt(300);
            switch (random.nextInt(3)) {
                case 0 -> {
                    byte[] data = bytes(next, n);
                    next += n;
                    int offset = n == 0 ? 0 : random.nextInt(n);
                    queue.append(data, offset, n - offset);
                    for (int i = offset; i < n; i++) {
                        expected.addLast(data[i]);
                    }
                }
                case 1 -> {
                    int skip = random.nextInt(expected.size() + 1);
                    byte[] seen = queue.peek(skip, n);
                    assertThat(seen).isEqualTo(expected.stream().skip(skip).limit(n).collect(ByteQueueTest::sink, ByteQueueTest::add, (a, b) -> { }).toByteArray());
                }
                default -> {
                    byte[] taken = queue.take(n);
                    assertThat(taken.length).isEqualTo(Math.min(n, expected.size()));
                    for (byte b : taken) {
                        assertThat(b).isEqualTo(expected.pollFirst());
                    }
                }
            }
            assertThat(queue.size()).isEqualTo(expected.size());
        }
    }

    private static java.io.ByteArrayOutputStream sink() {
        return new java.io.ByteArrayOutputStream();
    }

    private static void add(java.io.ByteArrayOutputStream out, Byte b) {
        out.write(b);
    }

    private static byte[] bytes(int from, int count) {
        byte[] out = new byte[count];
        for (int i = 0; i < count; i++) {
            out[i] = (byte) (from + i);
        }
        return out;
    }
}
