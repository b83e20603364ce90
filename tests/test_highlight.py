from index.text.highlight import key_sentences

PASSAGE = (
    "A second report, in Bloomberg, also alleged that Kaspersky had been working with the "
    "Russian intelligence agency FSB, citing internal emails it had obtained. Kaspersky said it "
    '"regularly" works with governments, but does "not have inappropriate ties with any '
    'government."'
)


def test_how_a_question_is_asked_does_not_pick_the_key_sentence():
    """'does' in the question must not match 'does' in the passage and outweigh 'FSB'."""
    idf = {"doe": 2.5, "fsb": 2.0, "work": 1.0}  # 'does' rarer in the corpus than 'FSB'
    (span,) = key_sentences(
        PASSAGE, "does the FSB work with Kaspersky", idf=idf, vendor_terms=("Kaspersky",)
    )
    assert (
        PASSAGE[span[0] : span[1]].startswith("A second report")
        and "FSB" in PASSAGE[span[0] : span[1]]
    )
