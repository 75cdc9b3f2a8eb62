"""Makes the label fonts from Debian's fonts-noto-core originals (see README.md).

    pip install fonttools
    python3 strip_fonts.py ORIGINALS_DIR   # writes the three fonts here

Keeps every glyph, character mapping and layout feature; drops TrueType
hinting, glyph names, the DSIG table and the long name records.
"""

import pathlib
import sys

from fontTools import subset
from fontTools.ttLib import TTFont

FONTS = ["NotoSans-Regular", "NotoSans-Bold", "NotoSansDevanagari-Regular"]
# Copyright, family, subfamily, unique id, full name, version, PostScript
# name, licence URL. Dropped: trademark, maker, designer, URLs, and the
# licence description (662 bytes, copied into every label's font subsets).
NAME_IDS = [0, 1, 2, 3, 4, 5, 6, 14]


def strip(src: pathlib.Path, dst: pathlib.Path) -> None:
    options = subset.Options()
    options.glyph_names = False
    options.hinting = False
    options.notdef_glyph = True
    options.notdef_outline = True
    options.layout_features = ["*"]
    options.layout_scripts = ["*"]
    options.name_IDs = NAME_IDS
    options.name_languages = ["*"]
    options.drop_tables += ["DSIG"]
    font = TTFont(src)
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=font.getGlyphOrder(), unicodes=font.getBestCmap().keys())
    subsetter.subset(font)
    name = font["name"]
    version = name.getDebugName(5).split(";")[0]
    name.setName(f"{version}; hinting removed", 5, 3, 1, 0x409)
    font.save(dst)


def main() -> None:
    originals = pathlib.Path(sys.argv[1])
    here = pathlib.Path(__file__).parent
    for f in FONTS:
        strip(originals / f"{f}.ttf", here / f"{f}.ttf")


if __name__ == "__main__":
    main()
