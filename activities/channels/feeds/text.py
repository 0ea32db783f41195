"""Text as XML may carry it: escaped character data and CDATA sections.

Shop data is free text: `&`, `<`, Czech letters, control characters pasted from a word
processor, even `]]>`. UTF-8 carries every Czech letter as is; `&`, `<` and `>` become
entities; characters XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE/U+FFFF; lone
surrogates) are dropped, because no parser accepts them even as entities.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORBIDDEN_BUT_NUL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# joins an item's fields so they are cleaned and escaped in one pass (PostgreSQL text cannot
# hold NUL, so a field practically never has one; when one does, each is cleaned on its own)
_SEP = "\x00"


def clean(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry."""
    return _FORBIDDEN.sub("", value) if _FORBIDDEN.search(value) else value


def xml_text(value: str) -> str:
    """Character data for an element's content."""
    return clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_texts(*values: str) -> list[str]:
    """`xml_text` of each value, in one pass over all of them (a feed item has a dozen)."""
    return escape_all(values)


def escape_all(values: Sequence[str]) -> list[str]:
    """`xml_text` of each value, in a few passes over all of them joined (a batch of feed
    items: the per-value work is C-level string methods over one big string)."""
    if not values:
        return []
    joined = _SEP.join(values)
    if joined.count(_SEP) != len(values) - 1 or _FORBIDDEN_BUT_NUL.search(joined):
        joined = _SEP.join(clean(v) for v in values)
    return joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split(_SEP)


def cdata(value: str) -> str:
    """A CDATA section (the text read as written, no entities); a `]]>` inside is split across
    two sections, the only way to carry it."""
    return "<![CDATA[" + clean(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"
