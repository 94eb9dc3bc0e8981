package org.imagineflash.data;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

/**
 * Finds Fashion-MNIST: {@code --data}, then env IMAGINE_FLASH_DATA, then Debian's dataset-fashion-mnist
 * (/usr/share/datasets/fashion-mnist), else downloads the official files into a cache folder and checks their MD5.
 */
public final class FashionMnist {
    public static final String ENV = "IMAGINE_FLASH_DATA";
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    private static final String BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
    /** Official MD5 sums of the gzip files. */
    static final Map<String, String> MD5 = Map.of(
            "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310");

    /** Which split. */
    public enum Split {
        TRAIN("train"), TEST("t10k");
        final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    private FashionMnist() {
    }

    /** The directory holding the four files, by the lookup order above; downloads if none has them. */
    public static Path locate(Path dataDir) throws IOException {
        if (dataDir != null) {
            requireFiles(dataDir, "--data");
            return dataDir;
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            requireFiles(Path.of(env), ENV);
            return Path.of(env);
        }
        if (hasFiles(DEBIAN_DIR)) {
            return DEBIAN_DIR;
        }
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "imagine-flash", "fashion-mnist");
        if (hasFiles(cache)) {
            return cache;
        }
        download(cache);
        return cache;
    }

    public static LabeledImages load(Path dataDir, Split split) throws IOException {
        Path dir = locate(dataDir);
        IdxFile images = IdxFile.read(file(dir, split.prefix + "-images-idx3-ubyte"));
        IdxFile labels = IdxFile.read(file(dir, split.prefix + "-labels-idx1-ubyte"));
        return LabeledImages.fromIdx(images, labels, 10, dir + " (" + split.prefix + ")");
    }

    private static Path file(Path dir, String base) {
        Path gz = dir.resolve(base + ".gz");
        return Files.exists(gz) ? gz : dir.resolve(base);
    }

    static boolean hasFiles(Path dir) {
        for (String f : MD5.keySet()) {
            String raw = f.substring(0, f.length() - 3);
            if (!Files.isRegularFile(dir.resolve(f)) && !Files.isRegularFile(dir.resolve(raw))) {
                return false;
            }
        }
        return true;
    }

    private static void requireFiles(Path dir, String origin) throws IOException {
        if (!hasFiles(dir)) {
            throw new IOException("Fashion-MNIST files not found in " + dir + " (from " + origin
                    + "); expected train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]");
        }
    }

    private static void download(Path cache) throws IOException {
        Files.createDirectories(cache);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        for (Map.Entry<String, String> e : MD5.entrySet()) {
            Path target = cache.resolve(e.getKey());
            if (Files.exists(target)) {
                continue;
            }
            byte[] body;
            try {
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(BASE_URL + e.getKey()))
                        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() != 200) {
                    throw new IOException("HTTP " + r.statusCode());
                }
                try (InputStream in = r.body()) {
                    body = in.readAllBytes();
                }
            } catch (IOException | InterruptedException ex) {
                throw new IOException("Fashion-MNIST not found and could not be downloaded (" + ex.getMessage()
                        + "). Install it with 'apt-get install dataset-fashion-mnist' (Debian/Ubuntu), or put the four "
                        + "IDX files in a folder and pass --data DIR or set " + ENV + "=DIR");
            }
            String md5 = md5(body);
            if (!md5.equals(e.getValue())) {
                throw new IOException("checksum mismatch for downloaded " + e.getKey() + ": " + md5 + " ≠ " + e.getValue());
            }
            IdxFile.writeAtomically(target, body);
        }
    }

    static String md5(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
