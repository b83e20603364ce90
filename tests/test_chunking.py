from index.text.chunking import chunk_text, paragraphs, sentences


def test_passages_follow_paragraph_and_sentence_boundaries(embedder):
    paras = [
        "First paragraph about Norvel routers. It has two sentences.",
        "Second paragraph. " * 60,  # longer than the passage budget: cut between sentences
        "Third, short.",
    ]
    text = "\n\n".join(paras)
    spans = chunk_text(text, embedder.count_tokens, target_tokens=64, max_tokens=100)
    sentence_ends = {s.end for s in sentences(text)} | {p.end for p in paragraphs(text)}
    for span in spans:
        piece = text[span.start : span.end]
        assert piece == piece.strip() and piece
        assert span.end in sentence_ends
        assert embedder.count_tokens([piece])[0] <= 100
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    covered = "".join(text[s.start : s.end] for s in spans)
    assert covered.replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_a_sentence_longer_than_the_model_reads_is_cut_between_words(embedder):
    text = " ".join(f"word{i}" for i in range(2000))
    spans = chunk_text(text, embedder.count_tokens, target_tokens=128, max_tokens=200)
    assert len(spans) > 5
    for span in spans:
        assert embedder.count_tokens([text[span.start : span.end]])[0] <= 200
        assert span.start == 0 or text[span.start - 1] == " "
