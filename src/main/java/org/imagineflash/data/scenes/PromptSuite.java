package org.imagineflash.data.scenes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A list of scene prompts, each with a seed: the benchmark of the text-to-image task. The text file has one
 * {@code seed<TAB>prompt} per line; blank lines and lines starting with # are skipped. Image k of a prompt uses
 * seed + k.
 */
public record PromptSuite(List<Entry> entries) {
    public static final Path DEFAULT = Path.of("prompts/scenes.txt");

    /** A prompt, its parsed caption and its seed. */
    public record Entry(String prompt, Caption caption, long seed) {
    }

    public PromptSuite {
        entries = List.copyOf(entries);
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("a prompt suite needs at least one prompt");
        }
    }

    /** Reads a suite file; a malformed line is an error that names the file and line. */
    public static PromptSuite read(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("prompt suite " + file + " does not exist");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException("prompt suite " + file + " is not UTF-8 text");
        }
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int tab = line.indexOf('\t');
            try {
                if (tab < 0) {
                    throw new IllegalArgumentException("expected 'seed<TAB>prompt'");
                }
                long seed = Long.parseLong(line.substring(0, tab).strip());
                String prompt = line.substring(tab + 1).strip();
                out.add(new Entry(prompt, CaptionParser.parse(prompt), seed));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("prompt suite " + file + " holds no prompts");
        }
        return new PromptSuite(out);
    }

    /** Writes the suite in its file format. */
    public void write(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("# fashion-scene prompt suite: seed<TAB>prompt; image k of a prompt uses seed + k\n");
        for (Entry e : entries) {
            sb.append(e.seed()).append('\t').append(e.prompt()).append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".suite", ".tmp");
        Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The standard suite: every colour–garment pair alone (80, the 5 held-out ones included), then 55 prompts per
     * spatial relation and 100 joined by "and" with random pairs, about one in five using a held-out pair; 400
     * prompts, seeds 1000·i.
     */
    public static PromptSuite standard() {
        List<Caption> captions = new ArrayList<>();
        for (int g = 0; g < Caption.GARMENTS; g++) {
            for (NamedColour c : NamedColour.values()) {
                captions.add(Caption.of(new Caption.Item(g, c)));
            }
        }
        SplittableRandom r = new SplittableRandom(20261202L);
        List<Caption.Item> held = new ArrayList<>(Caption.HELD_OUT.stream()
                .sorted(java.util.Comparator.comparingInt(Caption.Item::garment)).toList());
        for (Relation rel : Relation.values()) {
            int count = rel == Relation.AND ? 100 : 55;
            for (int i = 0; i < count; i++) {
                Caption.Item a;
                Caption.Item b;
                do {
                    a = i % 5 == 0 ? held.get((i / 5) % held.size()) : seenItem(r);
                    b = seenItem(r);
                    if (r.nextBoolean()) {
                        Caption.Item t = a;
                        a = b;
                        b = t;
                    }
                } while (a.equals(b));
                captions.add(Caption.of(a, rel, b));
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) {
            entries.add(new Entry(captions.get(i).text(), captions.get(i), 1000L * i));
        }
        return new PromptSuite(entries);
    }

    private static Caption.Item seenItem(SplittableRandom r) {
        while (true) {
            Caption.Item it = new Caption.Item(r.nextInt(Caption.GARMENTS), NamedColour.values()[r.nextInt(NamedColour.values().length)]);
            if (!it.heldOut()) {
                return it;
            }
        }
    }
}
