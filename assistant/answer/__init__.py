"""The question path: a question in, cited passages out.

    search.Assistant        loads the published index and its embedder; `ask(question)` -> records.Answer
    stores                  which index store the settings name (local segments or Milvus), opening it
    ranking                 dense and BM25 candidates fused into one ranking; cards and "More results"
    passages                ranked chunks -> passages landing on their answer (sentence, moment, page)
    highlight, shape        which sentence answers: meaning, shared words, the shape the question asks for
    moments                 which moment of a recording answers: the answering turn
    off_topic               refusals relative to this knowledge base (its calibration, the everyday questions)
    followup                follow-ups searched with the question they lean on
    spelling, language      misspelt words corrected to the knowledge base's own; questions in another script
    links, addresses        deep links, text fragments, absolute links for answers that leave the page
    examples, questions     example questions from headings; what a question may be
    documents, embedders    a whole document's text (the MCP tool); the model, opened for an index
    records                 Answer, Passage, Turn: what a question produces

Nothing here imports assistant.build, assistant.evaluate, the CLI or the web app.
"""
