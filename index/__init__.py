"""vendorcheck engine: ingestion, chunking, embedding, on-disk index and retrieval.

Nothing in this package knows about Slack; `bot/` renders what it returns.
"""
