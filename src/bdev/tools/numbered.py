"""Line numbers a model copied from Read's output into the text it sends back.

Read shows each line as `{n:6}\\t{line}`, as `cat -n` does. A model quoting code for
Edit, or writing a file back with Write, often keeps those prefixes: the quote then
matches nothing, and the file is not code. When every line of a text starts with such a
prefix, with the numbers going up, the prefixes came from the copy, not from the author,
and are taken off.
"""

from __future__ import annotations

import re
from itertools import pairwise

# Exactly Read's shape, the number right-aligned in six columns: a tab-separated data
# file whose first column counts up (`1\tAlice`) is not taken for a copy.
_PREFIX = re.compile(r"^( *(\d+))\t")


def without_read_numbers(text: str) -> str | None:
    """`text` without Read's line-number prefixes when every line has one (numbers
    increasing); None when it is not such a copy."""
    ends_with_newline = text.endswith("\n")
    lines = text[:-1].split("\n") if ends_with_newline else text.split("\n")
    numbers = []
    for line in lines:
        found = _PREFIX.match(line)
        if found is None or len(found.group(1)) != 6:
            return None
        numbers.append(int(found.group(2)))
    if any(later <= earlier for earlier, later in pairwise(numbers)):
        return None
    bare = "\n".join(_PREFIX.sub("", line, count=1) for line in lines)
    return bare + "\n" if ends_with_newline else bare
