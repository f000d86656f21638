"""The terms the archive-search benchmark searches: a seeded random sample drawn from the loaded
records themselves, across kinds and frequency bands.

- ``bigram``: two characters of real text, chosen evenly across document-frequency bands (from a
  pool of bigrams at random positions of random records, each counted);
- ``title substring`` / ``body substring``: 3–6 consecutive characters (one run: no blank inside)
  at a random place of a random record's 题名 / 正文;
- ``文号 fragment``: a random record's 文号 cut the ways people type it (舞工信〔2022〕,
  工信〔2022〕, 〔2022〕25号, 25号, 舞工信2022, the whole 文号);
- ``absent``: words the corpus does not contain (区块链, 元宇宙 …) and joins of two real bigrams
  that never occur together — every bigram may be frequent, the phrase is not there.

Every term's exact number of matching records is counted (bigram index, then ``LIKE``), which
puts it in a frequency band.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

KINDS = ("bigram", "title substring", "body substring", "文号 fragment", "absent")
FILTERED = "with 年度 filter"
BANDS = [  # (label, lowest, highest) by matching records
    ("0", 0, 0),
    ("1–20", 1, 20),
    ("21–200", 21, 200),
    ("201–2,000", 201, 2000),
    ("2,001–20,000", 2001, 20000),
    ("> 20,000", 20001, 10**12),
]
ABSENT_WORDS = [
    "区块链", "元宇宙", "碳达峰", "人工智能", "量子通信", "冬奥会", "自贸区", "数据要素",
    "低空经济", "新质生产力", "算力网络", "大模型", "共享单车", "直播带货", "跨境电商",
    "深海探测", "航天员", "高铁站", "冰雪运动", "北斗导航",
]  # fmt: skip


@dataclass(frozen=True)
class Term:
    kind: str
    text: str
    matches: int
    year: int | None = None

    @property
    def band(self) -> str:
        return next(label for label, low, high in BANDS if low <= self.matches <= high)

    @property
    def label(self) -> str:
        return self.text + (f" (年度 {self.year})" if self.year else "")


def exact_count(records: Any, text: str) -> int:
    """Records containing every term of ``text`` (full bigram index, then ``LIKE``): the truth
    the search is checked against, independent of how it plans."""
    from circulation.archive.search import _indexed, _like, query_terms

    terms = query_terms(text)
    return int(
        records.filter(_indexed(None, terms, "search_vector") & _like(terms, "search_text")).count()
    )


def _runs(text: str, shortest: int) -> list[str]:
    from circulation.archive.search import normalise

    return [run for run in normalise(text).split() if len(run) >= shortest]


class Sampler:
    def __init__(self, records: Any, seed: int) -> None:
        self.records = records
        self.rng = random.Random(seed)
        bounds = records.order_by("id").values_list("id", flat=True)
        self.first, self.last = (
            bounds.first(),
            records.order_by("-id").values_list("id", flat=True).first(),
        )

    def _row(self) -> Any:
        while True:
            pk = self.rng.randint(self.first, self.last)
            row = (
                self.records.filter(pk__gte=pk)
                .order_by("pk")
                .values("title", "doc_number", "notice__body", "year")
                .first()
            )
            if row:
                return row

    def _substring(self, field: str, low: int, high: int) -> str:
        while True:
            runs = _runs(self._row()[field], low)
            if runs:
                run = self.rng.choice(runs)
                length = self.rng.randint(low, min(high, len(run)))
                start = self.rng.randint(0, len(run) - length)
                return run[start : start + length]

    def substrings(self, kind: str, field: str, count: int) -> list[Term]:
        seen: dict[str, Term] = {}
        while len(seen) < count:
            text = self._substring(field, 3, 6)
            if text not in seen:
                seen[text] = Term(kind, text, exact_count(self.records, text))
        return list(seen.values())

    def bigrams(self, count: int, pool: int) -> list[Term]:
        texts: set[str] = set()
        while len(texts) < pool:
            texts.add(self._substring(self.rng.choice(["title", "notice__body"]), 2, 2))
        counted = [Term("bigram", text, exact_count(self.records, text)) for text in sorted(texts)]
        by_band: dict[str, list[Term]] = {}
        for term in counted:
            by_band.setdefault(term.band, []).append(term)
        chosen: list[Term] = []
        while len(chosen) < count and any(by_band.values()):  # round-robin over the bands
            for band in [label for label, _, _ in BANDS]:
                if by_band.get(band) and len(chosen) < count:
                    chosen.append(by_band[band].pop(self.rng.randrange(len(by_band[band]))))
        return chosen

    def doc_fragments(self, count: int) -> list[Term]:
        from circulation.records.doc_number import parse_doc_number

        seen: dict[str, Term] = {}
        while len(seen) < count:
            number = self._row()["doc_number"]
            parsed = parse_doc_number(number)
            code, year, serial = parsed.issuer_code, parsed.year, parsed.serial
            text = self.rng.choice(
                [
                    f"{code}〔{year}〕",
                    f"{code[1:] or code}〔{year}〕",
                    f"〔{year}〕{serial}号",
                    f"{serial}号",
                    f"{code}{year}",
                    number,
                ]
            )
            if text not in seen:
                seen[text] = Term("文号 fragment", text, exact_count(self.records, text))
        return list(seen.values())

    def absent(self, count: int) -> list[Term]:
        found: list[Term] = []
        words = ABSENT_WORDS[:]
        self.rng.shuffle(words)
        attempts = 0
        while len(found) < count and attempts < 50 * count:
            attempts += 1
            if words and len(found) < count // 2:
                text = words.pop()
            else:
                text = self._substring("notice__body", 2, 2) + self._substring("title", 2, 2)
            if text in {t.text for t in found}:
                continue
            if exact_count(self.records, text) == 0:
                found.append(Term("absent", text, 0))
        return found

    def with_year(self, terms: list[Term], count: int) -> list[Term]:
        chosen = self.rng.sample([t for t in terms if t.kind != "absent"], min(count, len(terms)))
        result = []
        for term in chosen:
            year = self.rng.randint(2015, 2024)
            records = self.records.filter(year=year)
            result.append(Term(FILTERED, term.text, exact_count(records, term.text), year))
        return result


def sample_terms(records: Any, *, per_kind: int, filtered: int, seed: int = 12) -> list[Term]:
    """``per_kind`` terms of each kind (bigrams from a pool four times as large), and
    ``filtered`` of them again with a random 年度 filter."""
    sampler = Sampler(records, seed)
    terms = sampler.bigrams(per_kind, pool=4 * per_kind)
    terms += sampler.substrings("title substring", "title", per_kind)
    terms += sampler.substrings("body substring", "notice__body", per_kind)
    terms += sampler.doc_fragments(per_kind)
    terms += sampler.absent(per_kind)
    return terms + sampler.with_year(terms, filtered)
