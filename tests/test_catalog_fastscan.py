"""The catalog file's fast reading agrees with the full PyYAML path on every file it accepts.

Catalog files are generated from pieces (scaffolder's documents with ordinary and awkward
targets, hand-written and earlier-layout documents, comments with odd characters, separators
right and wrong, CRLF, a byte order mark, no final newline), then read and edited both ways:
through `fastscan` where it accepts the text, and with it switched off. Results, errors and
their lines must be the same.
"""

from __future__ import annotations

import random

import pytest
import yaml

from scaffolder import datafiles
from scaffolder.backstage.documents import parse_documents
from scaffolder.catalog import fastscan, locations, yamltext
from scaffolder.errors import CatalogFileError

TARGETS = [
    "/srv/projects/billing/catalog-info.yaml",
    "./relative/catalog-info.yaml",
    "https://github.com/acme/orders/blob/main/catalog-info.yaml",
    "~/work/x/catalog-info.yaml",
    "/with space/catalog-info.yaml",
    "/with#hash/catalog-info.yaml",
    "/with: colon/catalog-info.yaml",
    "/ends/with:",
    "null",
    "yes",
    "123",
    "-dash/x.yaml",
    "/ünïcode/catalog-info.yaml",
    "/quote'/x.yaml",
    '/dq"/x.yaml',
    "/a,b/[x]/y.yaml",
    "@at/x.yaml",
    "noslash.yaml",
]
HAND_WRITTEN = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: platform
spec:
  type: file
  target: /srv/platform/catalog-info.yaml
"""
LEGACY = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: scaffolder-file-targets
spec:
  type: file
  targets:
    - /srv/old/a/catalog-info.yaml
    # a comment in the list
    - /srv/old/b/catalog-info.yaml
"""
GAPS = [
    "",
    "# a comment\n",
    "  # indented comment\n",
    "\n",
    "   \n",
    "# tab\there\n",
    "# odd \x85 break\n",
    "# odd \u2028 break\n",
    "# bell \x07\n",
    "# bom \ufeff inside\n",
    "#no space\n",
    "%YAML 1.1\n",
    "...\n",
    "\t# tab indented\n",
]
SEPARATORS = ["---\n", "--- \n", "---\n---\n", "", "--- # c\n", "--- !!map\n"]


def own(target: str, kind: str = "file") -> str:
    return yamltext.document(kind, target)


def generate(rng: random.Random) -> str:
    parts: list[str] = []
    if rng.random() < 0.5:
        parts.append(locations.HEADER)
    for i in range(rng.randint(0, 6)):
        if i or rng.random() < 0.3:
            parts.append(rng.choice(SEPARATORS) if rng.random() < 0.25 else "---\n")
        parts.append(rng.choice(GAPS) if rng.random() < 0.4 else "")
        roll = rng.random()
        if roll < 0.7:
            kind = rng.choice(["file", "url"])
            doc = own(rng.choice(TARGETS[:4]) if rng.random() < 0.7 else rng.choice(TARGETS), kind)
            if rng.random() < 0.1:
                doc = doc.replace("  description", "  description2", 1)
            if rng.random() < 0.1:
                doc = doc.replace("name: scaffolder-", "name: scaffolder-x-", 1)  # not own
            parts.append(doc)
        elif roll < 0.85:
            parts.append(HAND_WRITTEN)
        else:
            parts.append(LEGACY)
        parts.append(rng.choice(GAPS) if rng.random() < 0.3 else "")
    text = "".join(parts)
    if rng.random() < 0.15:
        text = text.rstrip("\n")
    if rng.random() < 0.15:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.1:
        text = "\ufeff" + text
    return text


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch):
    """Switch the fast reading off: every call takes the full PyYAML path."""

    def switch() -> None:
        # `verify` is what every fast path starts with; `scan` and `scan_as` call it too.
        monkeypatch.setattr(fastscan, "verify", lambda text, limits: None)
        monkeypatch.setattr(fastscan, "scan", lambda text, limits: None)
        monkeypatch.setattr(fastscan, "scan_as", lambda text, limits, make: None)

    return switch


def outcome(fn, *args, **kwargs):
    try:
        return ("ok", fn(*args, **kwargs))
    except CatalogFileError as exc:
        return ("error", exc.message, exc.hint)


A, B = own("/srv/a/catalog-info.yaml"), own("https://github.com/acme/b/blob/main/x.yaml", "url")
EDGES = [
    A + B,
    A + "---\n---\n" + B,
    A + "---\n",
    "---\n" + A + "---\n" + B,
    "# c\n---\n# d\n" + A + "  # after\n---\n\n" + B + "# end",
    A + "--- \n" + B,
    A.replace("\n", "\r\n") + "---\n" + B,
    A + "---\n" + B.replace("type: url", "type: file "),
    A.replace("  target:", "  target:  "),
    A + "---\n" + HAND_WRITTEN + "---\n" + B,
    "",
    "# only a comment",
]
# Seeded for reproducible cases, not for secrecy.
CASES = EDGES + [generate(random.Random(seed)) for seed in range(400 - len(EDGES))]  # noqa: S311


def test_the_generated_files_exercise_both_paths():
    accepted = sum(locations.fast_documents(text) is not None for text in CASES)
    assert 50 < accepted < len(CASES) - 100


@pytest.mark.parametrize("seed", range(0, 400, 4))
def test_entries_agree(seed, slow):
    texts = CASES[seed : seed + 4]
    fast = [outcome(locations.entries_in, t, source="c.yaml") for t in texts]
    slow()
    assert [outcome(locations.entries_in, t, source="c.yaml") for t in texts] == fast


@pytest.mark.parametrize("seed", range(0, 400, 4))
def test_edits_agree(seed, slow):
    texts = CASES[seed : seed + 4]
    new = "/srv/projects/new/catalog-info.yaml"
    listed = "/srv/projects/billing/catalog-info.yaml"

    def edits(text: str) -> list[object]:
        return [
            outcome(locations.edit_register, text, new, target_type="file", source="c.yaml"),
            outcome(
                locations.edit_register,
                text,
                "https://github.com/acme/m/blob/main/catalog-info.yaml",
                target_type="url",
                source="c.yaml",
                placement="sorted",
            ),
            outcome(locations.edit_register, text, listed, target_type="file", source="c.yaml"),
            outcome(locations.edit_register, text, listed, target_type="url", source="c.yaml"),
            outcome(locations.edit_unregister, text, listed, source="c.yaml"),
            outcome(locations.edit_unregister, text, "/srv/platform/catalog-info.yaml"),
            outcome(locations.edit_unregister, text, new, source="c.yaml"),
        ]

    fast = [edits(t) for t in texts]
    slow()
    assert [edits(t) for t in texts] == fast


def test_what_the_fast_reading_accepts_reads_the_same_with_pyyaml():
    for text in CASES:
        docs = locations.fast_documents(text)
        if docs is None:
            continue
        parsed = parse_documents(text)
        assert [locations.own_document(d) for d in docs] == [p.data for p in parsed]
        assert [d.line - fastscan.TARGET_LINE for d in docs] == [p.line for p in parsed]


def test_the_value_count_matches_the_caps_of_the_full_path():
    text = "---\n".join(own(f"/srv/p{i}/catalog-info.yaml") for i in range(3))
    exact = datafiles.Limits(max_values=3 * fastscan.VALUES_PER_DOC)
    datafiles.check_yaml(text, exact)
    assert fastscan.scan(text, exact) is not None
    fewer = datafiles.Limits(max_values=3 * fastscan.VALUES_PER_DOC - 1)
    with pytest.raises(datafiles.Refused):
        datafiles.check_yaml(text, fewer)
    assert fastscan.scan(text, fewer) is None


def test_a_register_of_a_large_catalog_in_scaffolder_layout_is_plain_yaml(tmp_path):
    text = ""
    for i in range(300):
        text = locations.edit_register(text, f"/srv/p{i}/catalog-info.yaml", target_type="file")
    assert locations.fast_documents(text) is not None
    docs = list(yaml.safe_load_all(text))
    assert [d["spec"]["target"] for d in docs] == [
        f"/srv/p{i}/catalog-info.yaml" for i in range(300)
    ]
    text, found = locations.edit_unregister(text, "/srv/p0/catalog-info.yaml")
    assert found
    assert text.startswith(locations.HEADER + "apiVersion: ")
    assert len(list(yaml.safe_load_all(text))) == 299


def test_a_catalog_of_100000_targets_is_within_the_caps(tmp_path):
    """100,000 targets in scaffolder's layout are some 22 MB: over the old 16 MiB cap."""
    catalog = tmp_path / "catalog.yaml"
    doc = yamltext.document("file", "/srv/projects/svc-00000/catalog-info.yaml")
    catalog.write_text(locations.HEADER + "---\n".join([doc] * 100_000))
    assert catalog.stat().st_size > 16 << 20
    entries = locations.read_entries(catalog)
    assert len(entries) == 100_000
    assert entries[-1].line == len(catalog.read_text().splitlines())


def test_the_comment_characters_are_exactly_those_the_fast_reading_leaves_to_it() -> None:
    # `_SAFE` is written as a complement (it compiles faster): the same set, code point by
    # code point, as "tab, printable ASCII, U+00A0 on, without LS, PS, surrogates, U+FEFF,
    # U+FFFE and U+FFFF".
    import re

    from scaffolder.catalog import fastscan

    safe = re.compile(f"[{fastscan._SAFE}]")
    for code in range(0x110000):
        expected = (
            code == 0x09
            or 0x20 <= code <= 0x7E
            or (
                code >= 0xA0
                and code not in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)
                and not 0xD800 <= code <= 0xDFFF
            )
        )
        assert bool(safe.fullmatch(chr(code))) == expected, hex(code)


def test_finding_one_document_agrees_with_reading_them_all():
    """`find` (one `str.find`) and `lookup` give the document a full read gives."""
    for text in CASES:
        body = yamltext.split(text)[0]
        docs = fastscan.scan(body, locations.LIMITS)
        if docs is None:
            continue
        for target in {d.target for d in docs} | {"/srv/absent/catalog-info.yaml", "a\nb/c"}:
            same = [d for d in docs if d.target == target]
            assert fastscan.find(body, target) == (same[0] if same else None)
            assert fastscan.find(body, target, last=True) == (same[-1] if same else None)
            for kind in ("file", "url"):
                typed = [d for d in same if d.type == kind]
                assert fastscan.find(body, target, kind=kind) == (typed[0] if typed else None)
            entries = {e.target: e for e in locations.entries_in(text)}
            assert locations.lookup(text, ["/nowhere", target]) == entries.get(target)


@pytest.mark.parametrize("seed", range(0, 400, 8))
def test_lookup_agrees_with_the_full_path(seed, slow):
    texts = CASES[seed : seed + 8]
    wanted = [["/nowhere", t] for t in TARGETS] + [["/srv/platform/catalog-info.yaml"]]
    fast = [[outcome(locations.lookup, t, w, source="c.yaml") for w in wanted] for t in texts]
    slow()
    assert [
        [outcome(locations.lookup, t, w, source="c.yaml") for w in wanted] for t in texts
    ] == fast


def test_a_target_line_that_is_not_a_document_is_not_found():
    """What `find` relies on: in an accepted text, only a document's target line starts so."""
    text = "# \n  target: /srv/a/catalog-info.yaml\n" + A
    assert fastscan.verify(text, locations.LIMITS) is None  # an indented key is not a comment
    commented = "#  target: /srv/b/catalog-info.yaml\n" + A
    assert fastscan.verify(commented, locations.LIMITS) == 1
    assert fastscan.find(commented, "/srv/b/catalog-info.yaml") is None


#: Names the fast reading accepts: valid ones, and ones Backstage rejects (too long, or
#: ending in `-`).
NAMES = ["scaffolder-ok-0123456789", "scaffolder-", "scaffolder--x", "scaffolder-" + "a" * 60]


def renamed(text: str, rng: random.Random) -> str:
    """`text` with about half of scaffolder's documents given one of `NAMES`."""
    import re

    def rename(match: re.Match[str]) -> str:
        return f"  name: {rng.choice(NAMES)}{match[1][-3:]}" if rng.random() < 0.5 else match[0]

    return re.sub(r"(?m)^  name: scaffolder-(\S*)$", rename, text)


@pytest.mark.parametrize("seed", range(0, 400, 8))
def test_the_catalogs_own_facts_agree_with_the_full_path(seed):
    """validate's shortcut for scaffolder's own documents (one worked out per type) gives the
    facts of each document worked out in full, invalid names included."""
    from scaffolder.catalog import walk

    rng = random.Random(seed)  # noqa: S311 -- reproducible cases, not secrecy
    texts = list(CASES[seed : seed + 8])
    texts += [renamed(t, rng) for t in texts]
    many = "---\n".join(
        own(f"/srv/p{i}/catalog-info.yaml", rng.choice(["file", "url"])) for i in range(12)
    )
    texts += [many, renamed(many, rng), renamed(many, rng)]
    checked = 0
    for text in texts:
        if locations.fast_entries(text) is None:
            continue
        _, facts = walk.plan(text, "c.yaml", own=True)
        full = tuple(
            walk.facts_of(d.data, d.line) for d in parse_documents(yamltext.split(text)[0])
        )
        assert facts == full
        checked += any(f.problems for f in full)
    assert checked  # some documents had an invalid name
