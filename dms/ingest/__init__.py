"""Ingest: extractors, metadata rules, the worker pool and the pipeline."""
