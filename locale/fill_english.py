"""English is the source language: its catalogue's translations are the msgids themselves.

Run by `make messages` after makemessages, so the English catalogue is complete by construction
and the completeness test checks what matters: Uzbek and Russian.
"""

import sys
from pathlib import Path

import polib

HEADERS = {
    "uz": ("Uzbek", "nplurals=1; plural=0;"),
    "ru": (
        "Russian",
        "nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1 : "
        "n%10==0 || (n%10>=5 && n%10<=9) || (n%100>=11 && n%100<=14)? 2 : 3);",
    ),
    "en": ("English", "nplurals=2; plural=(n != 1);"),
}


def main(root: Path) -> None:
    for language, (name, plural_forms) in HEADERS.items():
        path = root / language / "LC_MESSAGES" / "django.po"
        po = polib.pofile(str(path), wrapwidth=0)
        po.metadata.update(
            {
                "Project-Id-Version": "Cluster Platform",
                "Language": language,
                "Language-Team": name,
                "Plural-Forms": plural_forms,
                "Content-Type": "text/plain; charset=UTF-8",
            }
        )
        po.metadata_is_fuzzy = False
        if language == "en":
            for entry in po:
                if entry.msgid_plural:
                    entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
                else:
                    entry.msgstr = entry.msgid
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
        po.save()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
