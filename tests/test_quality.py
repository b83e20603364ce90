"""Answer quality on the labelled fixture set (fictional vendors), plus the real seed article.

The eval index is built once per module from tests/fixtures/eval/corpus with the real model.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import FIXTURES, REPO, run_cli

from bot.cli.evaluate import load_questions, run
from index.embed.model import model_id_for
from index.errors import IndexIncompatibleError
from index.search.retriever import Retriever
from index.store.builder import build_index
from index.store.reader import open_index

MODEL_ID = model_id_for("all-MiniLM-L6-v2")
EVAL = FIXTURES / "eval"
QUESTIONS = EVAL / "questions.jsonl"


@pytest.fixture(scope="module")
def eval_index(tmp_path_factory, embedder):
    index_dir = tmp_path_factory.mktemp("eval") / "index"
    build_index(EVAL / "corpus", index_dir, MODEL_ID, lambda: embedder)
    return open_index(index_dir, MODEL_ID)


@pytest.fixture(scope="module")
def retriever(eval_index, embedder):
    return Retriever(eval_index, embedder)


@pytest.fixture(scope="module")
def metrics(eval_index, embedder):
    return {m.pipeline: m for m in run(eval_index, embedder, load_questions(QUESTIONS))}


def test_labelled_set_is_big_and_varied_enough(eval_index):
    questions = load_questions(QUESTIONS)
    assert len(questions) >= 40
    assert sum(q.expect_none for q in questions) >= 8
    assert len(eval_index.articles) >= 25
    ids = {a.id for a in eval_index.articles}
    assert all(i in ids for q in questions for i in q.expected)
    dates_per_vendor: dict[str, set] = {}
    for article in eval_index.articles:
        dates_per_vendor.setdefault(article.id.split("-")[0], set()).add(article.published)
    assert sum(len(d) >= 3 for d in dates_per_vendor.values()) >= 6
    data = json.loads((eval_index.generation / "vendors.json").read_text())
    assert len(data["duplicates"]) >= 2  # two wire stories, each republished


def test_shipped_pipeline_meets_the_floors_and_beats_both_baselines(metrics):
    """A behaviour check on the fictional fixture: nothing is fitted here (the constants come
    from the real set, tests/fixtures/realeval), so the floors are what any sound pipeline
    must clear on it, and the shipped one must beat both single retrievers."""
    shipped, dense, lexical = metrics["hybrid"], metrics["dense"], metrics["lexical"]
    assert shipped.hit1 >= 0.9, shipped.misses
    assert shipped.hit3 >= 0.95, shipped.misses
    assert shipped.mrr10 >= 0.93, shipped.misses
    assert shipped.abstain_precision >= 0.95, shipped.misses
    assert shipped.abstain_recall >= 0.95, shipped.misses
    for baseline in (dense, lexical):
        assert shipped.hit1 > baseline.hit1
        assert shipped.mrr10 > baseline.mrr10
    # Dense-only does not meet the floors: it quotes the nearest passage for unknown vendors.
    assert dense.hit1 < 0.95 and dense.abstain_recall < 0.95
    assert lexical.abstain_recall < 0.95


def test_brief_puts_government_actions_first_and_keeps_the_newest_visible(retriever):
    answer = retriever.ask("quillon")
    assert answer.kind == "brief" and answer.vendors == ["Quillon Security"]
    ids = [r.article.id for r in answer.results]
    assert len(ids) == len(set(ids)) == 5
    # Decisive sources (a ban, a schedule removal, a directive) before the senators' letter.
    actions = ["quillon-2024-07-20-commerce-ban", "quillon-2022-06-15-gsa-removal",
               "quillon-2021-03-02-dhs-directive"]  # fmt: skip
    assert max(ids.index(a) for a in actions) < ids.index("quillon-2019-04-02-espionage-concerns")
    newest = next(r for r in answer.results if r.article.id == "quillon-2024-07-20-commerce-ban")
    assert newest.superseded_by is None
    assert all(r.superseded_by == newest.article for r in answer.results if r is not newest)
    assert answer.message.startswith("Quillon Security: 5 sources, 2019-04-02 to 2024-07-20")
    assert "Newest: 'Commerce Department Bans Sales" in answer.message
    # Aliases and legal forms reach the same brief.
    for spelling in ("AO Quillon Lab", "Quillon Labs", "QUILLON SECURITY", "quillon's",
                     "what's new with Quillon?", "latest on quillon"):  # fmt: skip
        again = retriever.ask(spelling)
        assert again.kind == "brief" and [r.article.id for r in again.results] == ids, spelling


def test_a_newer_source_than_the_first_quote_is_pointed_out(retriever):
    answer = retriever.ask("Is Quillon allowed on the GSA schedule?")
    top = answer.results[0]
    assert top.article.id == "quillon-2022-06-15-gsa-removal"
    assert top.superseded_by is not None
    assert top.superseded_by.id == "quillon-2024-07-20-commerce-ban"
    assert any("newer source" in n and "2024-07-20" in n for n in answer.notices)


def test_a_named_vendor_is_answered_only_from_articles_that_name_it(retriever, eval_index):
    answer = retriever.ask("Zentara unacceptable risk to national security", k=10)
    texts = {a.id: a.text for a in eval_index.articles}
    assert answer.results and answer.vendors == ["Zentara Telecom"]
    assert all("Zentara" in texts[r.article.id] for r in answer.results)
    # A list naming Zentara among others (an article about Hyvera) may answer too...
    hyvera = [r for r in answer.results if r.article.id == "hyvera-2021-03-12-fcc-covered"]
    assert hyvera and "Zentara" in hyvera[0].quote
    # ...and no article that never names Zentara does.
    assert not any(r.article.id.startswith(("quillon-", "norvel-")) for r in answer.results)


def test_near_duplicates_collapse_into_one_result(retriever):
    answer = retriever.ask("Is ZTC on the FCC covered list?", k=10)
    shown = [r.article.id for r in answer.results]
    pair = {"zentara-2020-11-05-fcc-covered-list", "zentara-2020-11-06-fcc-covered-list-syndicated"}
    assert len(pair & set(shown)) == 1
    holder = next(r for r in answer.results if r.article.id in pair)
    assert {a.id for a in holder.also_in} == pair - {holder.article.id}
    assert holder.also_in[0].publisher  # the other outlet is named


def test_misspelt_and_abbreviated_vendors_are_recognised(retriever):
    answer = retriever.ask("kestral data broker sold data on service members")
    assert answer.vendors == ["Kestrel DataWorks"]
    assert any("'kestral'" in n and "Kestrel DataWorks" in n for n in answer.notices)
    assert answer.results[0].article.id.startswith("kestrel-2023-09-2")
    assert retriever.ask("BPV state ban").vendors == ["Brightpath Vision"]


def test_unknown_vendor_abstains_naming_the_closest_covered_vendors(retriever):
    """Vendors whose names look alike are "closest"; when none does, the message lists what
    the corpus covers instead of calling unrelated names close."""
    answer = retriever.ask("Is Acme Widgets allowed on the GSA schedule?")
    assert answer.kind == "none" and answer.results == []
    assert answer.message.startswith(
        "Nothing in the corpus about Acme Widgets. Vendors covered include: "
    )
    covered = {"Quillon Security", "Zentara Telecom", "Hyvera", "Brightpath Vision",
               "Norvel Systems", "Orbix Payroll", "Velloria Cloud", "Kestrel DataWorks"}  # fmt: skip
    named = answer.message.split("Vendors covered include: ")[1].rstrip(".").split(", ")
    assert named and set(named) <= covered
    sister = retriever.ask("Is Brightline Vision allowed on the GSA schedule?")
    assert sister.results == []
    assert "Closest vendors covered: Brightpath Vision" in sister.message
    off_topic = retriever.ask("how long should I bake sourdough bread")
    assert off_topic.results == [] and off_topic.message.startswith("Nothing in the corpus")


def test_key_sentence_is_the_answering_one(retriever):
    cases = {
        "When do Quillon signature updates stop?": "December 29, 2024",
        "Which firmware fixes the Norvel authentication bypass?": "firmware 7.4.2",
        "Is the Norvel flaw in the CISA known exploited vulnerabilities catalog?": "CISA added",
        "How many Brightpath cameras did the state audit find?": "more than 2,000",
        "Did Orbix have multi-factor authentication on its support system?": "multi-factor",
    }
    for question, needle in cases.items():
        top = retriever.ask(question).results[0]
        marked = [top.quote[s:e] for s, e in top.highlights]
        assert any(needle in m for m in marked), (question, marked)
        assert all(top.quote[s:e].strip() for s, e in top.highlights)


def test_every_quote_traces_back_and_highlights_stay_inside(retriever, eval_index):
    texts = {a.id: a.text for a in eval_index.articles}
    highlighted = 0
    for question in ["norvel", "Zentara rip and replace", "kestrel", "payroll breach"]:
        results = retriever.ask(question, k=10).results
        assert results, question
        for r in results:
            assert texts[r.article.id][r.start : r.end] == r.quote
            assert all(0 <= s < e <= len(r.quote) for s, e in r.highlights)
            highlighted += bool(r.highlights)
    assert highlighted


@pytest.mark.parametrize(
    "question", ["what's the weather in Chicago?", "tell me about Chicago", "Chicago"]
)
def test_a_place_named_in_passing_does_not_carry_a_question_past_the_threshold(
    retriever, eval_index, question
):
    """An indictment in the corpus was unsealed in Chicago; that is no reason to answer."""
    assert any("indictment in Chicago" in a.text for a in eval_index.articles)
    answer = retriever.ask(question)
    assert answer.kind == "none" and answer.results == [], answer.message
    assert all("showing the passages" not in n for n in answer.notices)


def test_the_place_beside_a_vendor_still_answers(retriever):
    answer = retriever.ask("was Hyvera charged in Chicago?")
    assert answer.results and answer.results[0].article.id == "hyvera-2022-02-14-trade-secrets"


def test_only_an_identifier_cited_as_written_skips_the_threshold(retriever):
    """ "CVE-2023-0142" is in a passage; "CVE-2023-0999" is not, though all its pieces are."""
    assert retriever.cites(retriever.planner.plan("CVE-2023-0142"))
    unknown = retriever.planner.plan("what is CVE-2023-0999?")
    assert unknown.identifiers == ["CVE-2023-0999"]  # read as an identifier the corpus...
    assert not retriever.cites(unknown)  # ...does not contain as written
    assert retriever.ask("CVE-2023-0999").kind == "none"  # so the threshold decides
    assert retriever.ask("CVE-2023-0142").results[0].article.id == "norvel-2023-01-10-router-flaw"


@pytest.fixture(scope="module")
def seed_retriever(tmp_path_factory, embedder):
    index_dir = tmp_path_factory.mktemp("seed") / "index"
    build_index(REPO / "corpus", index_dir, MODEL_ID, lambda: embedder)
    return Retriever(open_index(index_dir, MODEL_ID), embedder)


def test_seed_article_vendor_in_passing_is_not_answered_with_kaspersky_passages(seed_retriever):
    top = seed_retriever.ask("is Kaspersky allowed on GSA?").results[0]
    assert "considering removing Kaspersky from the GSA Schedule" in top.quote
    # Cisco is named in passing: a question its passages answer gets only those passages...
    cisco = seed_retriever.ask("Has Cisco worked with federal agencies like the NSA and FBI?")
    assert cisco.kind == "answer" and cisco.results
    assert all("Cisco" in r.quote for r in cisco.results)
    assert any("mentions Cisco only in passing" in n for n in cisco.notices)
    assert all(r.superseded_by is None for r in cisco.results)
    # ...one they do not answer meets the evidence threshold like any other, and says why.
    gsa = seed_retriever.ask("Is Cisco allowed on GSA?")
    assert gsa.kind == "none" and gsa.results == []
    assert any("mentions Cisco only in passing" in n and "close enough" in n for n in gsa.notices)
    acme = seed_retriever.ask("is Acme allowed on GSA?")
    assert acme.results == [] and acme.message.endswith("Vendors covered include: Kaspersky.")
    assert seed_retriever.ask("kasperksy").kind == "brief"


def test_vendors_come_from_plain_articles_without_alias_file_or_front_matter(tmp_path, embedder):
    corpus = tmp_path / "plain"
    shutil.copytree(EVAL / "corpus", corpus)
    (corpus / "vendors.yml").unlink()
    for path in corpus.glob("*.md"):
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(line for line in lines if not line.startswith("vendors:")))
    build_index(corpus, tmp_path / "index", MODEL_ID, lambda: embedder)
    retriever = Retriever(open_index(tmp_path / "index", MODEL_ID), embedder)
    assert retriever.ask("Velloria").kind == "brief"
    brief = retriever.ask("orbix payroll")
    assert brief.kind == "brief" and {r.article.id for r in brief.results} == {
        "orbix-2023-06-30-soc2-restored",
        "orbix-2022-10-04-data-breach",
        "orbix-2019-08-12-acquisition",
    }
    data = json.loads((retriever.index.generation / "vendors.json").read_text())
    vendors = {e["name"] for e in data["entities"].values() if e["vendor"]}
    assert "FedRAMP Moderate" not in vendors and "Corvane" not in vendors
    assert retriever.ask("Is Acme allowed on the GSA schedule?").results == []
    assert retriever.ask("Stellion Cloud FedRAMP status").results == []


def test_editing_the_alias_file_alone_rebuilds_vendor_data_without_embedding(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(EVAL / "corpus", corpus)
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, MODEL_ID, lambda: embedder)
    with open(corpus / "vendors.yml", "a") as handle:
        handle.write("Norvel Systems:\n  aliases: [NVS]\nAcme Widgets: [Acme]\n")

    def must_not_load():
        raise AssertionError("the model was loaded for an alias-only change")

    report = build_index(corpus, index_dir, MODEL_ID, must_not_load)
    assert report.aliases_changed and report.embedded_passages == 0
    retriever = Retriever(open_index(index_dir, MODEL_ID), embedder)
    assert retriever.ask("NVS").vendors == ["Norvel Systems"]
    # A vendor the alias file knows but no article mentions is still "nothing in the corpus".
    acme = retriever.ask("Is Acme allowed on the GSA schedule?")
    assert acme.results == [] and acme.message.startswith(
        "Nothing in the corpus about Acme Widgets."
    )


def test_eval_command_prints_the_three_pipelines_side_by_side(tmp_path, config_for):
    corpus = tmp_path / "corpus"
    shutil.copytree(EVAL / "corpus", corpus)
    config = config_for(corpus)
    result = run_cli(config, "eval", str(QUESTIONS), "--corpus", str(corpus))
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["dense-only", "lexical-only", "shipped"]
    labels = [r[:18].strip() for r in rows[:5]]
    assert labels == ["hit@1", "hit@3", "MRR@10", "abstain precision", "abstain recall"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok", "expect_none": true}\n{"question": "no labels"}\n')
    failed = run_cli(config, "eval", str(bad))
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1
    assert "bad.jsonl line 2" in failed.stderr and "Traceback" not in failed.stderr


def test_cli_shows_brief_newer_sources_and_other_outlets(tmp_path, config_for):
    corpus = tmp_path / "corpus"
    shutil.copytree(EVAL / "corpus", corpus)
    config = config_for(corpus)
    assert run_cli(config, "index").returncode == 0
    brief = run_cli(config, "ask", "kestrel").stdout
    assert "Kestrel DataWorks: 2 sources" in brief
    assert "also: Daily Signal Tech 2023-09-22" in brief or "also: Justice Beat 2023-09-21" in brief
    assert "newer source:" in brief
    answer = run_cli(config, "ask", "When do Quillon signature updates stop?").stdout
    assert re.search(r"\*\*[^*]*December 29, 2024[^*]*\*\*", answer), answer  # key sentence
    data = json.loads(run_cli(config, "ask", "--json", "quillon").stdout)
    assert (
        data["kind"] == "brief" and data["results"][1]["superseded_by"]["published"] == "2024-07-20"
    )


ODD_ANSWERED = {"ZTC ZTC ZTC", "🙂 quillon 🙂", "CVE-2023-0142 CVE-2023-0142"}


@pytest.mark.parametrize(
    "query",
    ["???", "'s", "Inc.", "the", "AO", "ZTC ZTC ZTC", "кasperský", "🙂 quillon 🙂", "Quillon" * 80,
     "is  \t Acme's   Lab, Inc. banned?", "CVE-2023-0142 CVE-2023-0142", "-", "a" * 600, "0"],
)  # fmt: skip
def test_odd_queries_never_crash_and_stay_traceable(retriever, eval_index, query):
    answer = retriever.ask(query)
    assert answer.message
    # Quotes for what names a vendor or an identifier the corpus has, none for the rest.
    if answer.kind in {"answer", "brief"}:
        assert answer.results
        assert query in ODD_ANSWERED
    else:
        assert answer.kind in {"none", "usage"} and answer.results == []
        assert query not in ODD_ANSWERED
    texts = {a.id: a.text for a in eval_index.articles}
    for r in answer.results:
        assert texts[r.article.id][r.start : r.end] == r.quote
    assert answer.from_json(json.loads(json.dumps(answer.to_json()))).to_json() == (
        answer.to_json()
    )


def test_an_index_without_vendor_data_is_refused_with_the_fix(eval_index, tmp_path):
    """Generations written before vendors.json existed: one line saying to rebuild, never a
    silent re-derivation at load (which would cost every serving process a corpus scan)."""
    copy = tmp_path / "index"
    shutil.copytree(eval_index.generation.parent, copy)
    generation = copy / eval_index.generation.name
    (generation / "vendors.json").unlink()
    manifest_path = generation / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest.get("files", {}).pop("vendors.json", None)  # as written before vendors.json existed
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexIncompatibleError, match=r"older version.*vendorcheck index --rebuild"):
        open_index(copy, MODEL_ID)
