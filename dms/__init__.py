"""dms: document management and cross-reference indexing for product coordinators."""

__version__ = "0.1.0"
