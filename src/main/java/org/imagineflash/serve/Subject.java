package org.imagineflash.serve;

import org.imagineflash.Generator;
import org.imagineflash.data.Prompts;
import org.imagineflash.data.scenes.CaptionParser;

/**
 * What a request draws: a class of a class-conditional model, or a caption of a text-to-image model. Both are read
 * from what the user has typed so far, so the page generates while a prompt is typed: a prefix that names one class
 * ("snea"), or the longest whole caption of a sentence being typed ("a red sneaker left of a bl" → "a red sneaker").
 *
 * @param label the class (−1 for a caption)
 * @param caption the caption (null for a class)
 */
record Subject(int label, String caption) {
    /** The subject of {@code typed} for model {@code g}; a prompt it cannot draw is an IllegalArgumentException. */
    static Subject of(Generator g, String typed) {
        if (g.isTextToImage()) {
            return new Subject(-1, CaptionParser.longestCaption(typed));
        }
        return new Subject(Generator.classOf(typed, true), null);
    }

    boolean isCaption() {
        return caption != null;
    }

    /** The class name or the caption, as the answer shows it. */
    String name() {
        return isCaption() ? caption : Prompts.name(label);
    }
}
