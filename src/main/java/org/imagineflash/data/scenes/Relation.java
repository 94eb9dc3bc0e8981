package org.imagineflash.data.scenes;

import java.util.List;

/**
 * How the two objects of a caption are placed on the 2×2 grid. Cells are numbered row-major: 0 1 / 2 3.
 * "left of", "right of", "above" and "below" put the objects in adjacent cells of one row or column; "and" in any two
 * different cells.
 */
public enum Relation {
    LEFT_OF(List.of("left", "of")), RIGHT_OF(List.of("right", "of")), ABOVE(List.of("above")), BELOW(List.of("below")),
    AND(List.of("and"));

    private final List<String> words;

    Relation(List<String> words) {
        this.words = words;
    }

    /** The relation's words in a caption. */
    public List<String> words() {
        return words;
    }

    public String phrase() {
        return String.join(" ", words);
    }

    /** Whether cells a (first object) and b (second) satisfy the relation. */
    public boolean holds(int a, int b) {
        int ra = a / 2;
        int ca = a % 2;
        int rb = b / 2;
        int cb = b % 2;
        return switch (this) {
            case LEFT_OF -> ra == rb && ca == 0 && cb == 1;
            case RIGHT_OF -> ra == rb && ca == 1 && cb == 0;
            case ABOVE -> ca == cb && ra == 0 && rb == 1;
            case BELOW -> ca == cb && ra == 1 && rb == 0;
            case AND -> a != b;
        };
    }

    /** The opposite spatial relation ("left of" ↔ "right of", "above" ↔ "below"); "and" is its own. */
    public Relation reversed() {
        return switch (this) {
            case LEFT_OF -> RIGHT_OF;
            case RIGHT_OF -> LEFT_OF;
            case ABOVE -> BELOW;
            case BELOW -> ABOVE;
            case AND -> AND;
        };
    }

    /** Whether this is a spatial relation (not "and"). */
    public boolean spatial() {
        return this != AND;
    }
}
