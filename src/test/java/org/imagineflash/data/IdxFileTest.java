package org.imagineflash.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxFileTest {
    @TempDir
    Path dir;

    static byte[] valid() {
        return new IdxFile(new int[] {2, 2, 3}, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}).toBytes();
    }

    @Test
    void rawAndGzipRoundTrip() throws IOException {
        Path raw = dir.resolve("a-idx3-ubyte");
        Files.write(raw, valid());
        IdxFile f = IdxFile.read(raw);
        assertArrayEquals(new int[] {2, 2, 3}, f.dims());
        assertEquals(12, f.u8(11));
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(valid());
        }
        Path gzp = dir.resolve("a-idx3-ubyte.gz");
        Files.write(gzp, bos.toByteArray());
        assertArrayEquals(f.data(), IdxFile.read(gzp).data());
    }

    @Test
    void badMagicTruncatedAndTrailingBytesAreClearErrors() throws IOException {
        byte[] bad = valid();
        bad[0] = 7;
        assertMessage(bad, "bad IDX magic");
        assertMessage(Arrays.copyOf(valid(), valid().length - 1), "truncated IDX data");
        assertMessage(Arrays.copyOf(valid(), valid().length + 3), "3 trailing bytes");
        byte[] type = valid();
        type[2] = 0x0D;
        assertMessage(type, "unsupported IDX element type");
        assertMessage(new byte[] {0, 0, 8, 3, 0, 0}, "truncated IDX header");
    }

    @Test
    void corruptGzipIsAClearError() throws IOException {
        Path p = dir.resolve("x.gz");
        Files.write(p, new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> IdxFile.read(p));
        assertTrue(e.getMessage().contains("corrupt gzip") || e.getMessage().contains("x.gz"), e.getMessage());
    }

    @Test
    void imagesAndLabelsMustAgree() {
        IdxFile images = new IdxFile(new int[] {2, 2, 3}, new byte[12]);
        IdxFile labels = new IdxFile(new int[] {3}, new byte[3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabeledImages.fromIdx(images, labels, 10, "t"));
        assertTrue(e.getMessage().contains("2 images but 3 labels"));
    }

    private void assertMessage(byte[] bytes, String expected) throws IOException {
        Path p = dir.resolve("f" + System.nanoTime());
        Files.write(p, bytes);
        IOException e = assertThrows(IOException.class, () -> IdxFile.read(p));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}
