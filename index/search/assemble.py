"""Ranked passages -> `Result`s: per-article cap, near-duplicates folded, newer sources flagged.

Near-duplicate articles (a wire story republished) fold into one result listing the others in
`also_in`; a result about a vendor with a newer article elsewhere gets `superseded_by`, and the
first result's gets a notice, so the newest facts are always visible.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from index.search.results import ArticleRef, Result
from index.store.reader import StoredIndex
from index.text.highlight import key_sentences

MAX_PER_ARTICLE = 2


class ResultBuilder:
    def __init__(self, index: StoredIndex, idf) -> None:  # type: ignore[no-untyped-def]
        self.index = index
        self.vendors = index.vendors
        self.idf = idf
        self.clusters: list[list[int]] = index.vendor_data.get("duplicates", [])
        self.cluster_of = {int(a): n for n, group in enumerate(self.clusters) for a in group}
        self.article_index = {a.id: i for i, a in enumerate(index.articles)}
        self.ordinal = np.array(
            [a.published.toordinal() if a.published else 0 for a in index.articles],
            dtype=np.int64,
        )
        self._refs: dict[int, ArticleRef] = {}  # the sha256 of an article's text, once
        self.by_date = {  # vendor -> the articles about it, newest first
            key: sorted(ids, key=lambda a: -self.ordinal[a])
            for key, ids in self.vendors.about_articles.items()
        }

    def ref(self, article_idx: int) -> ArticleRef:
        ref = self._refs.get(article_idx)
        if ref is None:
            ref = self._refs[article_idx] = ArticleRef.of(self.index.articles[article_idx])
        return ref

    def quote_of(self, row: int) -> str:
        """The text of passage `row`."""
        article_idx, start, end = self.index.passages[row].tolist()
        return self.index.articles[article_idx].text[start:end]

    def result(self, row: int, score: float, query: str, vendor_terms: tuple[str, ...]) -> Result:
        article_idx, start, end = self.index.passages[row].tolist()
        quote = self.index.articles[article_idx].text[start:end]
        table = self.index.sentences  # None: worked out from the quote (an older index)
        return Result(
            rank=0,
            score=score,
            quote=quote,
            article=self.ref(article_idx),
            start=start,
            end=end,
            highlights=key_sentences(
                quote,
                query,
                idf=self.idf,
                vendor_terms=vendor_terms,
                max_sentences=2,
                read=table.of(row) if table is not None else None,
            ),
            vendors=[self.vendors.name(v) for v in self.vendors.about[article_idx]],
        )

    def results(
        self,
        query: str,
        rows: np.ndarray,
        scores: np.ndarray,
        k: int,
        vendor_terms: tuple[str, ...] = (),
    ) -> list[Result]:
        """Top-k results from `rows` ranked best first: at most MAX_PER_ARTICLE per article,
        near-duplicates folded into the first of their group shown."""
        picked: list[Result] = []
        per_article: dict[int, int] = {}
        shown_cluster: dict[int, Result] = {}
        for row, score in zip(rows.tolist(), scores.tolist(), strict=True):
            article_idx = int(self.index.passages[row, 0])
            cluster = self.cluster_of.get(article_idx)
            owner = shown_cluster.get(cluster) if cluster is not None else None
            if owner is not None and owner.article.id != self.index.articles[article_idx].id:
                continue
            if per_article.get(article_idx, 0) >= MAX_PER_ARTICLE:
                continue
            per_article[article_idx] = per_article.get(article_idx, 0) + 1
            result = self.result(row, score, query, vendor_terms)
            if cluster is not None and owner is None:
                shown_cluster[cluster] = result
                result.also_in = [self.ref(a) for a in self.clusters[cluster] if a != article_idx]
            picked.append(result)
            if len(picked) >= k:
                break
        for rank, result in enumerate(picked, 1):
            result.rank = rank
        return picked

    def newest_about(self, keys: list[str], after: date, exclude: set[int]) -> int | None:
        """The newest article about any of `keys` published after `after`, if any."""
        best: int | None = None
        for key in keys:
            for idx in self.by_date.get(key, ()):  # newest first: the first usable one wins
                if self.ordinal[idx] <= after.toordinal():
                    break
                if idx not in exclude:
                    if best is None or self.ordinal[idx] > self.ordinal[best]:
                        best = idx
                    break
        return best

    def flag_superseded(
        self,
        results: list[Result],
        notes: list[str],
        asked: list[str] | None,
        companies: set[str] | None = None,
    ) -> None:
        """Point every result to the newest later article about the same vendor, if any.

        "Same vendor" is the vendor asked about when the query names one (a passage about
        Kaspersky that mentions Cisco is not superseded by newer Kaspersky news for a Cisco
        question), else the vendors the quoted article is about, only those in `companies`
        when given: not the senator, agency or law it is also "about" (a drone act's release
        is not superseded by the same senator's newer Kaspersky release).
        """
        for result in results:
            idx = self.article_index[result.article.id]
            article = self.index.articles[idx]
            if article.published is None:
                continue
            cluster = self.cluster_of.get(idx)
            exclude = {idx} | (set(self.clusters[cluster]) if cluster is not None else set())
            keys = asked or [k for k in self.vendors.about[idx] if not companies or k in companies]
            newer = self.newest_about(keys, article.published, exclude)
            if newer is not None:
                result.superseded_by = self.ref(newer)
        if results and results[0].superseded_by is not None:
            newer_ref = results[0].superseded_by
            notes.append(
                f"A newer source exists than the first quote ({results[0].article.published}): "
                f"{newer_ref.title!r} ({newer_ref.publisher or 'unknown publisher'}, "
                f"{newer_ref.published})."
            )
