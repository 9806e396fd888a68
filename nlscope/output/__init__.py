"""Sinks: text lines, the verbose tree, hex, JSON/JSONL, capture files, stats."""
