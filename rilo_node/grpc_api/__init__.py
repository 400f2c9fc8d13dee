"""Thin gRPC servicers, converters and the one error-to-status map."""
