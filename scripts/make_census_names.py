#!/usr/bin/env python3
"""Build src/census_names.txt: personal names for the segment stage's
"details" rule, so that a full name whose parts are also common words
("angel pugh", "this is martin king", "jefferson gates") is told from a
sentence ("hope so", "love Chromecast").

Source: the US Census Bureau's 1990 name frequency lists (first names of men
and women, surnames), a US government work in the public domain, as shipped
in the PyPI package `names` 0.3.0 (Trey Hunner, MIT licence;
https://pypi.org/project/names/). The sdist is fetched with `pip download`
and checked against its sha256. Kept: every first name (5,494 with the two
lists overlapping) and the MAX_SURNAMES most frequent surnames.

Output, sorted: one name per line, lowercased, then a tab and `f` (a first
name), `l` (a surname) or `fl` (both). Deterministic.
Usage: python3 scripts/make_census_names.py [OUT]  (default src/census_names.txt)
"""
import hashlib
import pathlib
import subprocess
import sys
import tarfile
import tempfile

SDIST = "names-0.3.0.tar.gz"
SHA256 = "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671"
MAX_SURNAMES = 20000

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src/census_names.txt")
with tempfile.TemporaryDirectory() as d:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    "-d", d, "names==0.3.0"], check=True, stdout=subprocess.DEVNULL)
    path = pathlib.Path(d) / SDIST
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        sys.exit(f"{SDIST}: sha256 {digest}, expected {SHA256}")
    flags = {}
    with tarfile.open(path) as tar:
        def names(member, limit=None):
            f = tar.extractfile(f"names-0.3.0/names/{member}")
            rows = [l.split()[0].lower() for l in f.read().decode().splitlines() if l.strip()]
            return rows[:limit] if limit else rows
        for n in names("dist.male.first") + names("dist.female.first"):
            flags.setdefault(n, set()).add("f")
        for n in names("dist.all.last", MAX_SURNAMES):
            flags.setdefault(n, set()).add("l")

header = f"""# Personal names for the "details" noise rule (src/segment.rs), built by
# scripts/make_census_names.py: the US Census Bureau's 1990 frequency lists of
# first names and of surnames (public domain, US government work), the
# {MAX_SURNAMES:,} most frequent surnames and every first name, as shipped in the
# PyPI package names 0.3.0 (Trey Hunner, MIT licence). name<TAB>f|l|fl.
"""
with open(out, "w", encoding="utf-8") as f:
    f.write(header)
    for n in sorted(flags):
        f.write(f"{n}\t{''.join(sorted(flags[n]))}\n")
print(f"{out}: {len(flags)} names")
