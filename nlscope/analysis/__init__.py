"""Analysis over messages: transactions, the display filter language, statistics."""
