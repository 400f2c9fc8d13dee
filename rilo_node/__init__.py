"""RILO Net node: signed customs seizure records, sharing policies, federation over gRPC."""

__version__ = "0.1.0"
